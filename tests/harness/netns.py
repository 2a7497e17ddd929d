"""The test session's network namespace: loopback only, no veth, no route out.

Everything that talks to the VMs (virtlogd, libvirtd, vagrant, ssh, the VMs and their networks)
runs in here, so no packet for 192.168.x or any other address can leave the machine. Nothing but
this harness ever enters the namespace, so a process found in it was started by a test run.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

NS = "k8slabt"


def path(ns: str = NS) -> Path:
    return Path("/run/netns") / ns


def exists(ns: str = NS) -> bool:
    return path(ns).exists()


def create(ns: str = NS) -> None:
    """`ip netns add` plus loopback up; nothing else (no veth, no address, no route)."""
    subprocess.run(["ip", "netns", "add", ns], check=True)
    subprocess.run(exec_argv(["ip", "link", "set", "lo", "up"], ns), check=True)
    links = subprocess.run(exec_argv(["ip", "-o", "link", "show"], ns),
                           capture_output=True, text=True, check=True).stdout
    names = [line.split(":")[1].strip() for line in links.splitlines() if line.strip()]
    if names != ["lo"]:
        raise RuntimeError(f"namespace {ns} should hold only lo, holds {names}")


def exec_argv(argv, ns: str = NS) -> list[str]:
    """argv wrapped so that it runs inside the namespace."""
    return ["ip", "netns", "exec", ns, *[str(a) for a in argv]]


def run(argv, ns: str = NS, **kw) -> subprocess.CompletedProcess:
    """subprocess.run(argv) inside the namespace (kw as for subprocess.run)."""
    return subprocess.run(exec_argv(argv, ns), **kw)


def pids(ns: str = NS) -> list[int]:
    if not exists(ns):
        return []
    out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def holds(pid: int, ns: str = NS) -> bool:
    """Whether process pid lives in our namespace (so a test run started it)."""
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino == path(ns).stat().st_ino
    except OSError:
        return False


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def stop(pids_, ns: str = NS, grace: float = 10.0, log=print) -> list[int]:
    """SIGTERM, then SIGKILL after `grace` s, each pid that still lives in our namespace."""
    victims = [p for p in pids_ if holds(p, ns)]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = [p for p in victims if holds(p, ns)]
        if not alive:
            break
        for pid in alive:
            if sig == signal.SIGKILL:
                log(f"harness: pid {pid} ignored SIGTERM for {grace:.0f} s: SIGKILL")
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(holds(p, ns) for p in alive):
            time.sleep(0.1)
    return victims


def delete(ns: str = NS, log=print) -> None:
    """Stop what a test run left running in the namespace, then remove it.

    Callers stop the daemons and VMs properly first; what is still in here then is a process a
    killed run left (an ssh multiplexer, a vagrant child): it is stopped by pid."""
    rest = pids(ns)
    if rest:
        log("harness: stopping processes left in namespace %s: %s"
            % (ns, "; ".join(f"{p} {cmdline(p)[:80]}" for p in rest)))
        stop(rest, ns, log=log)
    if exists(ns):
        subprocess.run(["ip", "netns", "delete", ns], check=True)
