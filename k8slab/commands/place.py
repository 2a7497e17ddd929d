"""Placing a class's copies on its servers (docs/design-several-servers.md, section 3): read
what each server holds, from the server itself, place the copies not placed yet, show the
placement before anything runs, keep it in the class state (class.json), refuse when the class
does not fit. Only `up` places; every other task reads where the copies are (copies.expand).

A lab whose only server is this host needs none of it: its copies are all here, and doctor's
memory, disk and CPU checks are what tell whether they fit (as before there were servers).
"""
from __future__ import annotations

import dataclasses
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .. import classfile, ui
from ..allocate import capacity, placement
from ..errors import LabError
from ..vagrant import machine_ids

READ_TIMEOUT = 15   # seconds for one server to answer; an unreachable one fails only its copies
MARK = "@@k8slab-part"
KSM_FILES = ("run", "pages_shared", "pages_sharing", "full_scans")

# One command, one round trip, on the server: its memory, CPUs, the pool's free bytes, KSM's state.
# LC_ALL=C: virsh translates its labels.
READ = (f"cat /proc/meminfo; echo {MARK}; LC_ALL=C virsh -c qemu:///system nodeinfo; echo {MARK}; "
        f"LC_ALL=C virsh -c qemu:///system pool-info default --bytes 2>&1; echo {MARK}; "
        + "; ".join(f"printf '{f}='; cat /sys/kernel/mm/ksm/{f} 2>/dev/null || echo" for f in KSM_FILES)
        + f"; echo {MARK}; nproc; echo {MARK}; "
        # the pool's folder's free bytes, for a server whose pool "default" does not exist yet
        # (vagrant-libvirt makes it there) or whose libvirtd does not answer
        'd=/var/lib/libvirt/images; while [ ! -d "$d" ]; do d=$(dirname "$d"); done; '
        'df -B1 --output=avail "$d" | tail -1; echo "$d"')


def ssh_argv(lab, server, command: str, timeout: int = READ_TIMEOUT) -> list:
    """OpenSSH's ssh running command on a remote server as vagrant-libvirt reaches it (the same
    ~/.ssh, no prompt: BatchMode), so what works for one works for the other."""
    argv = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={timeout}", "-p", str(server.port)]
    if server.key:
        folder = lab.path.parent if lab.path else Path.cwd()
        argv += ["-i", str((folder / Path(server.key).expanduser()).resolve())]
    return argv + [f"{server.user + '@' if server.user else ''}{server.host}", command]


def read_server(lab, server):
    """A server's Capacity, or why it could not be read (a str)."""
    argv = ssh_argv(lab, server, READ) if server.remote else ["sh", "-c", READ]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=READ_TIMEOUT + 5,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return f"no answer in {READ_TIMEOUT + 5} s"
    except FileNotFoundError as e:
        return f"{e.filename} is not installed"
    parts = r.stdout.split(MARK + "\n")
    if r.returncode != 0 and len(parts) < 6:
        return (r.stderr.strip().splitlines() or [f"exit {r.returncode}"])[-1]
    meminfo, nodeinfo, pool, ksm, nproc, df = (parts + [""] * 6)[:6]
    files = dict(line.split("=", 1) for line in ksm.splitlines() if "=" in line)
    avail, where = (df.split() + ["", ""])[:2]
    read = capacity.capacity(meminfo, nodeinfo, pool, {k: v for k, v in files.items() if v.strip()},
                             int(avail) if avail.isdigit() else None, where)
    # libvirt's CPU count is the online CPUs: nproc's, when libvirtd does not answer (yet)
    if read.cpus is None and nproc.strip().isdigit():
        read = dataclasses.replace(read, cpus=int(nproc))
    return read


def needs_placing(lab) -> bool:
    return len(lab.servers) > 1 or any(s.remote for s in lab.servers)


def kept(lab, copies) -> dict:
    """copy index -> server from the class state; a copy listed without a server whose VMs this
    host holds (a class from before its lab file named servers) is this host's."""
    where = {k: s for k, s in classfile.placement(lab).items()
             if "servers" in classfile.read(lab)}
    here = next((s.name for s in lab.servers if not s.remote), None)
    for c in copies:
        if c.copy_index not in where and here and machine_ids(c, "libvirt"):
            where[c.copy_index] = here
    return where


def place(lab, copies: list, everyone: list) -> None:
    """Place the copies (those a task selected) of the class (everyone), show the table, keep
    it in class.json, and set each copy's server. Raises PlacementError (nothing touched) when
    they do not fit, or a kept copy's server is no longer listed."""
    if not needs_placing(lab):
        return
    with ThreadPoolExecutor(max_workers=len(lab.servers)) as pool:
        reads = dict(zip((s.name for s in lab.servers), pool.map(lambda s: read_server(lab, s), lab.servers)))
    have = kept(lab, everyone)
    p = placement.place_lab(lab, reads, have, wanted=[c.copy_index for c in copies],
                            created=[k for k in have if machine_ids(everyone[k - 1], "libvirt")])
    ui.table(placement.title(p), list(placement.COLUMNS), placement.table_rows(p))
    p.check()
    classfile.record_placement(lab, p.server_of)
    for c in everyone:
        if c.copy_index in p.server_of:
            c._server = p.server_of[c.copy_index]


def unreachable(copy) -> str:
    """"" when the copy's server answers (or is this host), else the message its task fails with
    (a dead server would otherwise hold Vagrant and virsh for TCP's own timeout)."""
    server = copy.on_server
    if not server.remote:
        return ""
    try:
        r = subprocess.run(ssh_argv(copy, server, "true"), capture_output=True, text=True,
                           timeout=READ_TIMEOUT + 5, stdin=subprocess.DEVNULL)
        why = "" if r.returncode == 0 else (r.stderr.strip().splitlines() or [f"exit {r.returncode}"])[-1]
    except subprocess.TimeoutExpired:
        why = f"no answer in {READ_TIMEOUT + 5} s"
    return f"server {server.name} ({server.target}) is unreachable: {why}" if why else ""


def check_reachable(copy) -> None:
    why = unreachable(copy)
    if why:
        raise LabError(why)

