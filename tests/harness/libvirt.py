"""libvirtd and virtlogd started by the test session inside its namespace, and the clean-up of
everything the test labs create (domains, volumes, networks whose names start with k8slabt).

No systemd runs on the test machines, so nothing else starts the daemons. Unix sockets are not
bound to a network namespace: vagrant (also run in the namespace) reaches libvirtd as usual.
"""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from . import netns

PREFIX = "k8slabt"
URI = "qemu:///system"
DAEMONS = (("virtlogd", Path("/run/virtlogd.pid")), ("libvirtd", Path("/run/libvirtd.pid")))


def _pid(pidfile: Path):
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def foreign_daemon() -> str | None:
    """A libvirtd that is not ours (e.g. the host's own): the tests would fight it for the socket."""
    for name, pidfile in DAEMONS:
        pid = _pid(pidfile)
        if pid and os.path.exists(f"/proc/{pid}") and not netns.holds(pid):
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            if name in cmd:
                return f"{name} (pid {pid}) already runs outside the test namespace"
    return None


def virsh(*args, check=False) -> subprocess.CompletedProcess:
    return subprocess.run(netns.exec_argv(["virsh", "-c", URI, *args]),
                          capture_output=True, text=True, check=check)


def start_daemons() -> dict:
    started = {}
    for name, pidfile in DAEMONS:
        pidfile.unlink(missing_ok=True)
        subprocess.run(netns.exec_argv([name, "-d"]), check=True)
        deadline = time.monotonic() + 30
        while _pid(pidfile) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        started[name] = _pid(pidfile)
    deadline = time.monotonic() + 60
    while virsh("version").returncode != 0:
        if time.monotonic() > deadline:
            raise RuntimeError("libvirtd did not answer within 60 s: " + virsh("version").stderr)
        time.sleep(0.5)
    return started


def _names(args) -> list[str]:
    out = virsh(*args).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def leftovers(prefix: str = PREFIX) -> list[str]:
    """Every domain, volume and network whose name starts with prefix."""
    found = [f"domain {d}" for d in _names(["list", "--all", "--name"]) if d.startswith(prefix)]
    found += [f"network {n}" for n in _names(["net-list", "--all", "--name"]) if n.startswith(prefix)]
    for pool in _names(["pool-list", "--all", "--name"]):
        virsh("pool-refresh", pool)
        for line in virsh("vol-list", pool).stdout.splitlines()[2:]:
            parts = line.split()
            if parts and parts[0].startswith(prefix):
                found.append(f"volume {pool}/{parts[0]}")
    return found


def purge(prefix: str = PREFIX) -> list[str]:
    """Remove this harness's domains, volumes and networks; returns what was removed."""
    removed = []
    for d in _names(["list", "--all", "--name"]):
        if d.startswith(prefix):
            virsh("destroy", d)
            virsh("undefine", d, "--remove-all-storage", "--nvram")
            if virsh("dominfo", d).returncode == 0:
                virsh("undefine", d, "--remove-all-storage")
            removed.append(f"domain {d}")
    for n in _names(["net-list", "--all", "--name"]):
        if n.startswith(prefix):
            virsh("net-destroy", n)
            virsh("net-undefine", n)
            removed.append(f"network {n}")
    for item in leftovers(prefix):
        if item.startswith("volume "):
            pool, vol = item.split(" ", 1)[1].split("/", 1)
            virsh("vol-delete", vol, "--pool", pool)
            removed.append(item)
    return removed


def stop_networks() -> None:
    """Stop every network our libvirtd started (e.g. the package's autostarted `default`):
    their dnsmasq processes live in our namespace and would outlive the daemon."""
    for n in _names(["net-list", "--name"]):
        virsh("net-destroy", n)
