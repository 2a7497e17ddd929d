"""The test session's network namespace: loopback only, no route out.

Everything that talks to the VMs (virtlogd, libvirtd, vagrant, ssh, the VMs and their networks)
runs in here, so no packet for 192.168.x or any other address can leave the machine.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time

NS = "k8slabt"


def exists(ns: str = NS) -> bool:
    return os.path.exists(f"/run/netns/{ns}")


def create(ns: str = NS) -> None:
    subprocess.run(["ip", "netns", "add", ns], check=True)
    subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)


def exec_argv(argv, ns: str = NS) -> list:
    return ["ip", "netns", "exec", ns, *argv]


def pids(ns: str = NS) -> list[int]:
    if not exists(ns):
        return []
    out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def holds(pid: int, ns: str = NS) -> bool:
    """Whether process pid lives in our namespace (so it is one this harness started)."""
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino == os.stat(f"/run/netns/{ns}").st_ino
    except OSError:
        return False


def kill_all(ns: str = NS, grace: float = 10.0) -> list[int]:
    """Stop every process in the namespace: all of them were started by this harness."""
    victims = pids(ns)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in victims:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") and holds(p, ns)
                                                  for p in victims):
            time.sleep(0.2)
    return victims


def delete(ns: str = NS) -> None:
    kill_all(ns)
    if exists(ns):
        subprocess.run(["ip", "netns", "delete", ns], check=True)
