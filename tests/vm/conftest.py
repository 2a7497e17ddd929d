"""The real-VM harness: a network namespace, libvirtd inside it, the locally built box.

A session fixture because booting VMs is the expensive part: it clears what a killed earlier
run left (processes in the namespace, k8slabt* domains, volumes, networks), starts the
daemons, makes sure the box exists, and at the end removes everything it created.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.harness import libvirt, netns
from tests.harness.box import ensure_box

REPO = Path(__file__).resolve().parents[2]


class VmHost:
    ns = netns.NS

    def __init__(self):
        self.box = None
        self.timings = {}

    def setup(self):
        start = time.monotonic()
        if netns.exists():
            print(f"harness: clearing the namespace a killed run left: pids {netns.pids()}")
            netns.delete()
        netns.create()
        libvirt.start_daemons()
        removed = libvirt.purge()
        if removed:
            print("harness: removed leftovers of an earlier run:", ", ".join(removed))
        self.timings["namespace+daemons"] = time.monotonic() - start
        start = time.monotonic()
        self.box = ensure_box()
        self.timings["box"] = time.monotonic() - start

    def teardown(self):
        try:
            libvirt.purge()
            libvirt.stop_networks()
        finally:
            netns.delete()
        print("harness timings:", {k: f"{v:.0f}s" for k, v in self.timings.items()})

    def run(self, argv, **kw) -> subprocess.CompletedProcess:
        """Run argv inside the namespace."""
        kw.setdefault("cwd", REPO)
        return subprocess.run(netns.exec_argv([str(a) for a in argv]), **kw)

    def invoke(self, *args) -> list:
        """The user's command line: `invoke ARGS` with this repo's tasks.py."""
        return [sys.executable, "-m", "invoke", "--search-root", str(REPO), *args]

    def leftovers(self, prefix=libvirt.PREFIX) -> list:
        return libvirt.leftovers(prefix)

    def write_lab(self, folder: Path, name: str, until: str = "etcd") -> Path:
        """A debian12 lab with the tutorial's three nodes, on the test box and plain QEMU."""
        path = Path(folder) / "lab.yaml"
        path.write_text(f"""\
name: {libvirt.PREFIX}-{name}
platform: debian12
box: {self.box}
provider: libvirt
libvirt: {{driver: qemu, management_network: 192.168.121.0/24}}
defaults: {{memory: 768, cpus: 1}}
private_network: 192.168.0.0/24
until: {until}
nodes:
  - {{name: k8s-master, ip: 192.168.0.15, roles: [etcd, master], aliases: [k8s-etcd]}}
  - {{name: k8s-node1, ip: 192.168.0.16, roles: [node]}}
  - {{name: k8s-node2, ip: 192.168.0.17, roles: [node]}}
""")
        return path


@pytest.fixture(scope="session")
def vmhost():
    if os.geteuid() != 0:
        pytest.skip("the VM tests need root (network namespace, libvirtd)")
    problem = libvirt.foreign_daemon()
    if problem:
        pytest.fail(f"{problem}: stop it, or run the VM tests on a machine without one")
    host = VmHost()
    try:
        host.setup()
        yield host
    finally:
        host.teardown()
