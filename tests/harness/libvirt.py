"""virtlogd and libvirtd started by the test session inside its namespace, and the clean-up of
everything the test labs create (domains, volumes, networks whose names start with k8slabt).

No systemd runs on the test machines, so nothing else starts the daemons. Unix sockets are not
bound to a network namespace: vagrant (also run in the namespace) reaches libvirtd as usual.

The pids of the daemons this harness started (and whether it had to define the storage pool
`default`) are kept in STATE, so that a run that was killed half-way is repaired by the next
one: clear_leftovers(). A pid from the state file is only ever stopped if /proc/PID/cmdline is
still that daemon and the process lives in our namespace.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from . import ksm, laptop, netns, server2

PREFIX = "k8slabt"
URI = "qemu:///system"
STATE_DIR = Path("/var/tmp/k8slab-test")
STATE = STATE_DIR / "state.json"
LOCK = STATE_DIR / "session.lock"
POOL = "default"
POOL_DIR = "/var/lib/libvirt/images"
DAEMONS = (("virtlogd", Path("/run/virtlogd.pid")), ("libvirtd", Path("/run/libvirtd.pid")))


# ------------------------------------------------------------------ state file

def _load() -> dict:
    try:
        return json.loads(STATE.read_text())
    except (OSError, ValueError):
        return {}


def _save(state: dict) -> None:
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = STATE.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    os.replace(tmp, STATE)


def _update(**changes) -> dict:
    state = _load()
    state.update(changes)
    _save(state)
    return state


def session_lock(log=print):
    """One VM session at a time on this machine (they share the namespace and the daemons).
    Returns the open lock file; the lock is held until it is closed or the process ends."""
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    f = open(LOCK, "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log("harness: another VM test session runs on this machine; waiting for it")
        fcntl.flock(f, fcntl.LOCK_EX)
    return f


# ------------------------------------------------------------------ daemons

def _pidfile_pid(pidfile: Path):
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _is_our_daemon(pid, name: str) -> bool:
    """pid still runs `name` (not a recycled pid) and lives in our namespace."""
    if not pid:
        return False
    argv0 = netns.cmdline(pid).split(" ", 1)[0]
    return os.path.basename(argv0) == name and netns.holds(pid)


def foreign_daemon() -> str | None:
    """A virtlogd/libvirtd that is not ours (e.g. the host's own): the tests would fight it for
    its sockets and pid files, and must not touch it."""
    for name, pidfile in DAEMONS:
        pid = _pidfile_pid(pidfile)
        if pid and os.path.exists(f"/proc/{pid}") and not netns.holds(pid):
            if os.path.basename(netns.cmdline(pid).split(" ", 1)[0]) == name:
                return f"{name} (pid {pid}) already runs outside the test namespace"
    return None


def virsh(*args, check=False, timeout=120) -> subprocess.CompletedProcess:
    return netns.run(["virsh", "-c", URI, *args], capture_output=True, text=True, check=check,
                     timeout=timeout)


def _answers() -> bool:
    try:
        return virsh("version", timeout=10).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def daemons_running() -> dict:
    """Our daemons from the state file that still run: {name: pid}."""
    recorded = _load().get("daemons", {})
    return {n: p for n, p in recorded.items() if _is_our_daemon(p, n)}


def start_daemons(log=print) -> dict:
    """virtlogd -d and libvirtd -d inside the namespace; waits until virsh answers.
    Returns {name: pid}, also recorded in the state file."""
    problem = foreign_daemon()
    if problem:
        raise RuntimeError(problem + ": stop it, or run the VM tests on a machine without one")
    started = daemons_running()
    for name, pidfile in DAEMONS:
        if name in started:
            continue
        pidfile.unlink(missing_ok=True)
        netns.run([name, "-d"], check=True)
        deadline = time.monotonic() + 30
        while not _is_our_daemon(_pidfile_pid(pidfile), name):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} -d wrote no pid file {pidfile} within 30 s")
            time.sleep(0.1)
        started[name] = _pidfile_pid(pidfile)
        _update(daemons=started, ns=netns.NS)
    deadline = time.monotonic() + 60
    while not _answers():
        if time.monotonic() > deadline:
            raise RuntimeError("libvirtd did not answer within 60 s: " + virsh("version").stderr)
        time.sleep(0.3)
    log(f"harness: daemons in namespace {netns.NS}: "
        + ", ".join(f"{n} pid {p}" for n, p in started.items()))
    return started


def stop_daemons(log=print) -> None:
    """Stop exactly the daemons recorded in the state file (libvirtd first)."""
    recorded = _load().get("daemons", {})
    for name in ("libvirtd", "virtlogd"):
        pid = recorded.get(name)
        if _is_our_daemon(pid, name):
            netns.stop([pid], log=log)
        elif pid and os.path.exists(f"/proc/{pid}"):
            log(f"harness: recorded {name} pid {pid} is no longer our {name}: left alone")
    _update(daemons={})


# ------------------------------------------------------------------ storage pool

def ensure_pool(log=print) -> None:
    """vagrant-libvirt stores box images and disks in the pool `default`; a fresh libvirt
    install has none. Define it (and remember that we did) when it is missing."""
    if virsh("pool-info", POOL).returncode != 0:
        Path(POOL_DIR).mkdir(parents=True, exist_ok=True)
        virsh("pool-define-as", POOL, "dir", "--target", POOL_DIR, check=True)
        _update(defined_pool=True)
        log(f"harness: defined storage pool {POOL} ({POOL_DIR}); it is undefined at the end")
    info = virsh("pool-info", POOL).stdout
    if "running" not in info:
        virsh("pool-start", POOL, check=True)
        if not _load().get("defined_pool"):
            _update(started_pool=True)


def release_pool(log=print) -> None:
    state = _load()
    if state.get("defined_pool"):
        virsh("pool-destroy", POOL)
        virsh("pool-undefine", POOL)
        log(f"harness: undefined storage pool {POOL} (defined by the harness)")
    elif state.get("started_pool"):
        virsh("pool-destroy", POOL)
    _update(defined_pool=False, started_pool=False)


# ------------------------------------------------------------------ domains, volumes, networks

def _names(args) -> list[str]:
    out = virsh(*args).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def _volumes(prefix: str):
    for pool in _names(["pool-list", "--name"]):          # active pools only: vol-list needs it
        virsh("pool-refresh", pool)
        for line in virsh("vol-list", pool).stdout.splitlines()[2:]:
            parts = line.split()
            if parts and parts[0].startswith(prefix):
                yield pool, parts[0]


def leftovers(prefix: str = PREFIX) -> list[str]:
    """Every domain, volume and network whose name starts with prefix."""
    found = [f"domain {d}" for d in _names(["list", "--all", "--name"]) if d.startswith(prefix)]
    found += [f"network {n}" for n in _names(["net-list", "--all", "--name"]) if n.startswith(prefix)]
    found += [f"volume {pool}/{vol}" for pool, vol in _volumes(prefix)]
    return found


def purge(prefix: str = PREFIX) -> list[str]:
    """Remove the domains (with their storage), volumes and networks whose names start with
    prefix; returns what was removed."""
    removed = []
    for d in _names(["list", "--all", "--name"]):
        if d.startswith(prefix):
            virsh("destroy", d)
            if virsh("undefine", d, "--remove-all-storage", "--nvram").returncode != 0:
                virsh("undefine", d, "--remove-all-storage")
            removed.append(f"domain {d}")
    for pool, vol in _volumes(prefix):
        virsh("vol-delete", vol, "--pool", pool)
        removed.append(f"volume {pool}/{vol}")
    for n in _names(["net-list", "--all", "--name"]):
        if n.startswith(prefix):
            virsh("net-destroy", n)
            virsh("net-undefine", n)
            removed.append(f"network {n}")
    return removed


def stop_networks() -> list[str]:
    """Stop (not undefine) every network our libvirtd runs, e.g. an autostarted `default`:
    their dnsmasq processes live in our namespace and would outlive the daemon."""
    active = _names(["net-list", "--name"])
    for n in active:
        virsh("net-destroy", n)
    return active


# ------------------------------------------------------------------ whole session

def cleanup(log=print) -> list[str]:
    """Everything a session (or a killed one) left: k8slabt* domains, volumes, networks, other
    running networks, the pool if we defined it, our daemons, the namespace. Returns what
    was removed."""
    removed = []
    laptop.unlink(log=log)   # the student's laptop, linked to the namespace by a veth
    server2.remove(log=log)  # the second lab server, linked likewise, with its daemons and disks
    ksm.restore(log=log)     # KSM as the host had it, if a measurement switched it on
    if netns.exists():
        try:
            start_daemons(log=lambda *_: None)   # a killed run's daemons may be gone
            removed += purge()
            removed += [f"running network {n}" for n in stop_networks()]
            release_pool(log)
        finally:
            stop_daemons(log)
        netns.delete(log=log)
        # libvirt leaves its dnsmasq run files of destroyed networks behind
        for path in Path("/run/libvirt/network").glob(f"{PREFIX}*"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    else:
        recorded = _load().get("daemons", {})
        alive = {n: p for n, p in recorded.items() if netns.cmdline(p).startswith(n)}
        if alive:
            log(f"harness: recorded daemons {alive} run but namespace {netns.NS} is gone: "
                "cannot prove they are ours, left alone")
        _update(daemons={})
    return removed


def clear_leftovers(log=print) -> list[str]:
    """Repair what a killed earlier run left, before a session starts."""
    removed = cleanup(log=log)
    if removed:
        log("harness: removed leftovers of an earlier run: " + ", ".join(removed))
    return removed
