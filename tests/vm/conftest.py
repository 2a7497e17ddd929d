"""The real-VM harness: a network namespace, libvirtd inside it, the locally built box.

The session fixture `vmhost` (booting VMs is the expensive part, so once per session):
  1. clears what a killed earlier run left (k8slabt* domains, volumes, networks, its daemons,
     the namespace),
  2. creates the namespace `k8slabt` (loopback only, no route out),
  3. starts virtlogd and libvirtd inside it and makes sure the storage pool `default` exists,
  4. makes sure the test box is in `vagrant box list` (built from Debian packages if needed),
and at the end always removes everything it created, also after a failure or Ctrl-C.

Every test under tests/vm gets the `vm` marker: `pytest -m "not vm"` runs the fast tests only.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.harness import libvirt, netns
from tests.harness.box import ensure_box

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

TOOLS = ("ip", "virsh", "libvirtd", "virtlogd", "qemu-system-x86_64", "qemu-img", "vagrant",
         "debootstrap", "extlinux", "dnsmasq")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.vm)


def missing_prerequisites() -> list[str]:
    """What this machine lacks to run the VM tests (empty when they can run)."""
    if os.geteuid() != 0:
        return ["root (network namespace, libvirtd)"]
    missing = [t for t in TOOLS if not shutil.which(t)]
    if not os.path.exists("/dev/net/tun"):
        missing.append("/dev/net/tun (libvirt's bridges and tap devices)")
    if not os.path.isdir("/run") or not os.access("/run", os.W_OK):
        missing.append("a writable /run (netns mounts, daemon sockets)")
    plugin = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "vagrant-libvirt"],
                            capture_output=True, text=True)
    if plugin.stdout != "install ok installed":
        missing.append("the vagrant-libvirt plugin (Debian package vagrant-libvirt)")
    return missing


class VmHost:
    """What the VM tests get from the `vmhost` fixture."""

    ns = netns.NS

    def __init__(self, log=print):
        self.box: str | None = None
        self.timings: dict[str, float] = {}
        self.log = log

    # -- session
    def setup(self):
        start = time.monotonic()
        libvirt.clear_leftovers(self.log)
        self.timings["clear leftovers"] = time.monotonic() - start
        start = time.monotonic()
        netns.create()
        libvirt.start_daemons(self.log)
        libvirt.ensure_pool(self.log)
        self.timings["namespace + daemons"] = time.monotonic() - start
        start = time.monotonic()
        # K8SLAB_TEST_BOX: use a box already in `vagrant box list` instead (harness development)
        self.box = os.environ.get("K8SLAB_TEST_BOX") or ensure_box(log=self.log)
        self.timings["box"] = time.monotonic() - start

    def teardown(self):
        start = time.monotonic()
        removed = libvirt.cleanup(self.log)
        if removed:
            self.log("harness: removed at the end: " + ", ".join(removed))
        self.timings["clean-up"] = time.monotonic() - start
        self.log("harness timings: " + ", ".join(f"{k} {v:.0f} s" for k, v in self.timings.items()))

    # -- for the tests
    def run(self, argv, **kw) -> subprocess.CompletedProcess:
        """subprocess.run(argv, **kw) inside the namespace. The environment (kw `env`, else
        this process's) is passed through, with Vagrant's version check turned off; `cwd`
        defaults to the repository."""
        kw.setdefault("cwd", REPO)
        env = dict(kw.pop("env", None) or os.environ)
        env.setdefault("VAGRANT_CHECKPOINT_DISABLE", "1")
        return netns.run(argv, env=env, **kw)

    def invoke(self, *args) -> list:
        """The user's command line: `invoke ARGS` with this repo's tasks.py (to give to run)."""
        return [sys.executable, "-m", "invoke", "--search-root", str(REPO), *args]

    def virsh(self, *args) -> subprocess.CompletedProcess:
        return libvirt.virsh(*args)

    def leftovers(self, prefix=libvirt.PREFIX) -> list:
        """Domains, volumes and networks whose names start with prefix."""
        return libvirt.leftovers(prefix)

    def write_lab(self, folder: Path, name: str, until: str = "etcd", sizes=None, nodes: int = 3,
                  memory: int = 768, extra: str = "") -> Path:
        """A debian12 lab.yaml in folder with the tutorial's first `nodes` nodes, on the test box
        and plain QEMU; its libvirt names all start with k8slabt-<name>.
        sizes: node -> {"memory": MiB, "cpus": n} where a node needs more than the defaults
        (memory MiB, 1 vCPU); extra: lab file lines appended (copies, checkpoints)."""
        sizes = sizes or {}

        def mem(node):
            return "".join(f", {k}: {v}" for k, v in sizes.get(node, {}).items())
        path = Path(folder) / "lab.yaml"
        path.write_text(f"""\
name: {libvirt.PREFIX}-{name}
platform: debian12
box: {self.box}
provider: libvirt
libvirt: {{driver: qemu, management_network: 192.168.121.0/24}}
defaults: {{memory: {memory}, cpus: 1}}
private_network: 192.168.0.0/24
until: {until}
nodes:
  - {{name: k8s-master, ip: 192.168.0.15, roles: [etcd, master], aliases: [k8s-etcd]{mem("k8s-master")}}}
  - {{name: k8s-node1, ip: 192.168.0.16, roles: [node]{mem("k8s-node1")}}}
  - {{name: k8s-node2, ip: 192.168.0.17, roles: [node]{mem("k8s-node2")}}}
""")
        lines = path.read_text().splitlines(True)
        kept = [x for x in lines if not any(f"name: k8s-node{k}," in x for k in range(nodes, 3))]
        path.write_text("".join(kept) + extra)
        return path


@pytest.fixture(scope="session")
def vmhost():
    missing = missing_prerequisites()
    if missing:
        message = "VM tests need: " + "; ".join(missing) + " (tests/harness/host-setup.sh installs the packages)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    lock = libvirt.session_lock()
    host = VmHost()
    try:
        host.setup()
        yield host
    finally:
        try:
            host.teardown()
        finally:
            lock.close()


@pytest.fixture(scope="session")
def tutorial_lab(vmhost, tmp_path_factory):
    """The tutorial's three VMs, booted once for test_lab_lifecycle.py (up to the etcd stage)
    and then test_whole_tutorial.py (all six stages): a boot costs minutes under plain
    emulation. The apiserver's start is CPU-bound: the master gets a second vCPU."""
    path = vmhost.write_lab(tmp_path_factory.mktemp("lab"), "life", until="etcd",
                            sizes={"k8s-master": {"memory": 1536, "cpus": 2}})
    yield path
    # Whatever happened, leave no VM behind (the session fixture also sweeps).
    vmhost.run(vmhost.invoke("destroy", "--yes", "--config", str(path)))
