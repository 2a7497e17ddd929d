"""Placing a class's copies on its servers (docs/design-several-servers.md, section 3): read
what each server holds, from the server itself, place the copies not placed yet, show the
placement before anything runs, keep it in the class state (class.json), refuse when the class
does not fit. Only `up` places; every other task reads where the copies are (copies.expand).

A lab whose only server is this host needs none of it: its copies are all here, and doctor's
memory, disk and CPU checks are what tell whether they fit (as before there were servers).
"""
from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor

from .. import classfile, ui
from ..allocate import class_networks, placement
from ..allocate.subnets import free_subnets, start_after
from ..copies import this_host
from ..doctor.servers import READ_TIMEOUT, ServerRead, read_server, ssh_argv
from ..errors import LabError
from ..vagrant import machine_ids

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


def read_servers(lab) -> dict:
    """server name -> its Capacity (a servers.ServerRead: its networks too), or why it was not
    read; all servers at once."""
    with ThreadPoolExecutor(max_workers=len(lab.servers)) as pool:
        return dict(zip((s.name for s in lab.servers), pool.map(lambda s: read_server(lab, s), lab.servers)))


def propose(lab, copies: list, everyone: list, reads: dict) -> placement.Placement:
    """Where copies (of the class everyone) are, or would go; nothing shown or written (doctor
    checks each server's subnets for it, then shows it)."""
    have = kept(lab, everyone)
    return placement.place_lab(lab, reads, have, wanted=[c.copy_index for c in copies],
                               created=[k for k in have if machine_ids(everyone[k - 1], "libvirt")],
                               running=running(everyone, have, reads))


def running(everyone: list, have: dict, reads: dict) -> list:
    """The kept copies whose every VM runs on their server, as its read says: their memory is
    already out of its MemAvailable, not still to be taken from it."""
    return [k for k, name in have.items()
            if all(everyone[k - 1].names.domain(n.name) in getattr(reads.get(name), "running", ())
                   for n in everyone[k - 1].nodes)]


def show(p: placement.Placement) -> None:
    ui.table(placement.title(p), list(placement.COLUMNS), placement.table_rows(p))


def proposal(lab, copies: list, everyone: list, reads: dict):
    """The placement of copies, shown as a table; nothing written."""
    p = propose(lab, copies, everyone, reads)
    show(p)
    return p


def place(lab, copies: list, everyone: list) -> None:
    """Place the copies (those a task selected) of the class (everyone), show the table, keep
    it in class.json, and set each copy's server. Raises PlacementError (nothing touched) when
    they do not fit, or a kept copy's server is no longer listed."""
    if not needs_placing(lab):
        return
    reads = read_servers(lab)
    p = proposal(lab, copies, everyone, reads).check()
    classfile.record_placement(lab, p.server_of)
    for c in everyone:
        if c.copy_index in p.server_of:
            c._server = p.server_of[c.copy_index]
    free_on_their_servers(lab, everyone, reads)


def free_on_their_servers(lab, everyone: list, reads: dict) -> list:
    """A copy not created yet whose management subnet (picked free on this host, kept in
    class.json) is in use on the remote server it was placed on gets another, free on every
    server read, before Vagrant makes its network there; kept in class.json. The copies moved."""
    own = class_networks(lab.name, lab.copies)
    reached = [r for r in reads.values() if isinstance(r, ServerRead)]
    moved = []
    for c in everyone:
        server = c.on_server
        read = reads.get(server.name)
        if not server.remote or not isinstance(read, ServerRead) or machine_ids(c, "libvirt"):
            continue
        old = c.libvirt.management_network
        clash = [n for n in read.used(own) if n.overlaps(old)]
        if not clash:
            continue
        # free on every server read and here too: every later task keeps a copy's subnet only
        # while it is free here (copies.expand)
        taken = [n for r in reached for n in r.used(own)] + this_host().used() + \
            [o.libvirt.management_network for o in everyone if o is not c] + \
            [lab.private_network, *(net for _, net in lab.reserved_networks())]
        new = free_subnets(taken, 1, start=start_after(old))
        if not new:
            raise LabError(f"{c.name}'s management network {old} is in use on server {server.name} "
                           f"({clash[0]}), and no /24 in 192.168.0.0/16 is free on every server: "
                           "remove unused networks there (`virsh net-list --all`, `ip -4 route`)")
        c.libvirt = c.libvirt.model_copy(update={"management_network": new[0]})

        def change(data, k=str(c.copy_index), net=str(new[0])):
            data.setdefault("copies", {}).setdefault(k, {})["management_network"] = net
        classfile.update(lab, change)
        ui.info(f"{c.name}: its management network {old} is in use on server {server.name} "
                f"({clash[0]}); it takes {new[0]} instead (kept in {classfile.path(lab).name})")
        moved.append(c.copy_index)
    return moved


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

