"""`invoke up`: the copies booted (or resumed from the night), provisioned with their
checkpoints, their students' keys installed, verified; several copies side by side.

The playbook (what to provision) is the caller's: tasks.py hands in provision's.
"""
from __future__ import annotations

import os
import threading
from typing import Optional

from .. import checkpoints, doctor, lifecycle, night, provisioning, ui
from ..checks import runner
from ..gateway import service as gateway_service
from ..providers import resolve_provider
from ..remote import hosts_for
from ..ssh import open_connections
from ..vagrant import Vagrant
from . import place
from .provision import stages
from .side_by_side import each, locked, with_gateway, worst

# vagrant-libvirt uploads the box into a server's storage pool once, guarded by a lock inside one
# Vagrant process only: a second copy's Vagrant that starts meanwhile finds the half-written volume
# and builds its disks on it (seen here: a guest halted in the BIOS, nothing to boot). So the other
# copies on a server start once its first copy's Vagrant says its disks are made on the whole box.
BOX_UPLOADED = ("Creating image (snapshot of base box volume)", "Starting domain")


def boot_slots(copies: list, cpus: int = 0) -> int:
    """How many copies boot at once: a booting VM keeps a CPU busy (under plain emulation for
    minutes), so as many copies as the host has a CPU for each of their VMs, at least one.
    The others boot as soon as one is done, while the booted ones provision."""
    cpus = cpus or os.cpu_count() or 1
    return max(1, cpus // max(1, len(copies[0].nodes)))


def up(lab, copies: list, playbook, until: str = "", verify: bool = True,
       with_pods: bool = False, everyone: Optional[list] = None) -> Optional[runner.Verdict]:
    """Boot and provision the copies (checkpoints after the stages the lab file lists), then
    verify them; the class's Verdict (None without verify). everyone: all the class's copies
    (default: copies), which placing the new ones on the lab's servers takes into account."""
    todo = stages(lab, until)  # a wrong --until is refused before anything runs
    # where each new copy goes, shown and kept before anything runs (refused if they do not fit)
    place.place(lab, copies, everyone or copies)
    running = {c.name: lifecycle.running_as_rendered(c) for c in copies}
    if all(running.values()):
        # nothing to boot: the host checks are about VMs still to start, `vagrant up` would
        # only confirm they run (seconds each, for nothing)
        ui.info("every VM is running as rendered: host checks and `vagrant up` skipped")
    else:
        # the host's problems before any change, once for the class: memory, disk and CPUs of
        # all the copies together, and what the playbook's steps need of the host
        doctor.preflight(lab, resolve_provider(lab), copies, playbook)

    first = {}   # server name -> the first copy on it, which uploads the box there
    for c in copies:
        first.setdefault(c.on_server.name, c)
    box_in_pool = {name: threading.Event() for name in first}
    booting = threading.Semaphore(boot_slots(copies))

    def one(copy):
        uploaded = box_in_pool[copy.on_server.name]
        if copy is not first[copy.on_server.name]:
            uploaded.wait()
        try:
            return booted(copy, uploaded)
        finally:
            uploaded.set()   # whatever happened to the first copy, the others go on

    def booted(copy, uploaded):
        # a copy on a server that does not answer fails with its name; the others go on
        place.check_reachable(copy)
        with locked(copy, "up"):
            # a class suspended for the night starts from its saved state, without Vagrant
            resumed = night.resume(copy) if not running[copy.name] else []
            if resumed and lifecycle.running_as_rendered(copy):
                running[copy.name] = True
            if not running[copy.name]:
                with booting:
                    lifecycle.boot(copy, on_event=lambda _, message: (
                        uploaded.set() if message.startswith(BOX_UPLOADED) else None))
            uploaded.set()
            keep = (lambda stage, changed: checkpoints.keep(copy, stage, changed)) \
                if copy.checkpoints else None
            # one connection per node for provisioning and verify alike
            conns = open_connections(copy, Vagrant(copy))
            try:
                late = night.clocks_by_agent(copy) if resumed else []
                if late:
                    hosts = hosts_for(copy, conns)
                    night.step_clocks({n: hosts[n] for n in late}, "resume/clock")
                # what provisioning read, when it changed nothing, verify need not read again
                seen: dict = {}
                provisioning.provision(copy, todo, playbook, conns=conns, after_stage=keep, seen=seen)
                if lab.gateway is not None:
                    gateway_service.install(lab, copy, conns)
                if not verify:
                    return None
                # every machine is up and provisioning reached each one: asking Vagrant for
                # their states again would only cost another `vagrant status`
                return runner.verify(copy, playbook.checks, vm_states={n.name: "running" for n in copy.nodes},
                                     conns=conns, requested=with_pods, seen=seen)
            finally:
                for c in conns.values():
                    c.close()
    return worst(with_gateway(lab, lambda: each(copies, one, reach=False)))   # booted() asks
