"""The tasks that chain others, for one copy of a lab or all of them (k8slab.copies): `up`
(preflight, boot, provision with checkpoints, verify), `provision`, `verify`, `reset`,
`destroy`. Each copy runs under its own lock; several copies run side by side.

The playbook (what to provision) is the caller's: tasks.py hands in provision's.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Optional

from . import checkpoints, doctor, lifecycle, night, provisioning, ui
from . import copies as class_copies
from .gateway import keys, roster
from .gateway import service as gateway_service
from .checks import runner
from .errors import LabError
from .lock import lab_lock
from .remote import hosts_for
from .ssh import open_connections
from .vagrant import Vagrant
from .workdir import class_folder


def stages(lab, until: str = "") -> tuple:
    """The stages up to until, or the lab file's `until`."""
    return lab.stages_until(until) if until else lab.stages


def each(copies: list, fn: Callable) -> list:
    """fn(copy) for every copy, in order of the copies. One copy runs as a lab always has; several
    run side by side (a VM boot is mostly waiting), every line they print prefixed with the
    copy's name, each to its end; then one error lists the copies that failed."""
    if len(copies) == 1:
        return [fn(copies[0])]

    def run(copy):
        with ui.prefix(copy.name):
            try:
                return fn(copy), None
            except LabError as e:
                ui.say(f"error: {e}", markup=False)
                return None, e
    with ThreadPoolExecutor(max_workers=len(copies)) as pool:
        outcomes = list(pool.map(run, copies))
    failed = [(c, e) for c, (_, e) in zip(copies, outcomes) if e is not None]
    if failed:
        raise LabError(f"{len(failed)} of {len(copies)} copies failed ("
                       + ", ".join(c.name for c, _ in failed) + "); each one's error is above, "
                       "prefixed with its name. The other copies finished.")
    return [r for r, _ in outcomes]


def worst(verdicts) -> Optional[runner.Verdict]:
    """The class's verdict: a failed check anywhere, else a copy with nothing checked, else passed."""
    seen = [v for v in verdicts if v is not None]
    for v in (runner.Verdict.FAILED, runner.Verdict.NOTHING_CHECKED):
        if v in seen:
            return v
    return runner.Verdict.PASSED if seen else None


# vagrant-libvirt uploads the box into the storage pool once, guarded by a lock inside one Vagrant
# process only: a second copy's Vagrant that starts meanwhile finds the half-written volume and
# builds its disks on it (seen here: a guest halted in the BIOS, nothing to boot). So the other
# copies start once the first copy's Vagrant says its disks are made on the whole box.
BOX_UPLOADED = ("Creating image (snapshot of base box volume)", "Starting domain")


def boot_slots(copies: list, cpus: int = 0) -> int:
    """How many copies boot at once: a booting VM keeps a CPU busy (under plain emulation for
    minutes), so as many copies as the host has a CPU for each of their VMs, at least one.
    The others boot as soon as one is done, while the booted ones provision."""
    cpus = cpus or os.cpu_count() or 1
    return max(1, cpus // max(1, len(copies[0].nodes)))


def up(lab, copies: list, playbook, until: str = "", verify: bool = True,
       with_pods: bool = False) -> Optional[runner.Verdict]:
    """Boot and provision the copies (checkpoints after the stages the lab file lists), then
    verify them; the class's Verdict (None without verify)."""
    todo = stages(lab, until)  # a wrong --until is refused before anything runs
    running = {c.name: lifecycle.running_as_rendered(c) for c in copies}
    if all(running.values()):
        # nothing to boot: the host checks are about VMs still to start, `vagrant up` would
        # only confirm they run (seconds each, for nothing)
        ui.info("every VM is running as rendered: host checks and `vagrant up` skipped")
    else:
        # the host's problems before any change, once for the class: memory, disk and CPUs of
        # all the copies together
        doctor.preflight(lab, lifecycle.provider(lab), copies)

    box_in_pool = threading.Event()
    booting = threading.Semaphore(boot_slots(copies))

    def one(copy):
        if copy is not copies[0]:
            box_in_pool.wait()
        try:
            return booted(copy)
        finally:
            box_in_pool.set()   # whatever happened to the first copy, the others go on

    def booted(copy):
        with lab_lock(copy, "up", log=ui.info):
            # a class suspended for the night starts from its saved state, without Vagrant
            resumed = night.resume(copy) if not running[copy.name] else []
            if resumed and lifecycle.running_as_rendered(copy):
                running[copy.name] = True
            if not running[copy.name]:
                with booting:
                    lifecycle.boot(copy, on_event=lambda _, message: (
                        box_in_pool.set() if message.startswith(BOX_UPLOADED) else None))
            box_in_pool.set()
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
    return worst(with_gateway(lab, lambda: each(copies, one)))


def with_gateway(lab, fn):
    """fn(), then the gateway brought up to date with what fn did to the copies' VMs, also when
    some copies failed (the others' students still get in)."""
    if lab.gateway is None:
        return fn()
    try:
        out = fn()
    except BaseException:
        try:
            gateway_service.refresh(lab)
        except LabError as e:   # the copies' own error is the one to see; this one too
            ui.say(f"error: gateway: {e}", markup=False)
        raise
    gateway_service.refresh(lab)
    return out


def provision(lab, copies: list, playbook, until: str = "", dry_run: bool = False) -> list:
    """Apply (or show, with dry_run) the stages to the copies' running VMs; every step's result."""
    todo = stages(lab, until)

    def one(copy):
        if dry_run and not Vagrant(copy).created():   # nothing to read: show the lab file's plan
            provisioning.preview(copy, todo, playbook)
            return []
        with lab_lock(copy, "plan" if dry_run else "provision", log=ui.info):
            return provisioning.provision(copy, todo, playbook, dry_run=dry_run)
    return [r for results in each(copies, one) for r in results]


def suspend(copies: list) -> list:
    """Save every copy's running VMs to disk for the night (night.py); `up` resumes them."""
    def one(copy):
        with lab_lock(copy, "suspend", log=ui.info):
            return night.suspend(copy)
    return each(copies, one)


def verify(copies: list, playbook, stages=None, with_pods: bool = False) -> runner.Verdict:
    return worst(each(copies, lambda copy: runner.verify(copy, playbook.checks, stages=stages,
                                                         requested=with_pods)))


def reset(lab, copies: list, stage: str) -> list:
    """Put each copy back to its checkpoint of stage; the seconds each took. The checkpoint
    may predate the students' keys (or a revocation): the gateway installs them again."""
    def one(copy):
        keys = (lambda conns: gateway_service.install(lab, copy, conns)) if lab.gateway is not None else None
        with lab_lock(copy, "reset", log=ui.info):
            return checkpoints.reset(copy, stage, after=keys)
    return with_gateway(lab, lambda: each(copies, one))


def destroy(lab, copies: list) -> list:
    """Delete the copies' VMs, never while another task runs on one; False where there was
    nothing. Destroying every copy stops the class's gateway; some, closes their students' way."""
    def one(copy):
        with lab_lock(copy, "destroy", log=ui.info):
            return lifecycle.destroy(copy)
    if lab.gateway is None:
        return each(copies, one)
    if len(copies) == lab.copies:
        try:
            return each(copies, one)
        finally:
            gateway_service.stop(lab)
    return with_gateway(lab, lambda: each(copies, one))


def _install_keys(lab, copy, task: str) -> None:
    """The copy's student's keys on its running VMs, under the copy's lock."""
    if not lifecycle.running_as_rendered(copy):
        ui.info(f"gateway: {copy.name}'s VMs are not all running: its keys change at its next `up`")
        return
    with lab_lock(copy, task, log=ui.info):
        conns = open_connections(copy, Vagrant(copy))
        try:
            gateway_service.install(lab, copy, conns)
        finally:
            for c in conns.values():
                c.close()


def gateway(lab) -> None:
    """Every running copy's VMs get their student's keys; the caller then refreshes the gateway."""
    each(class_copies.expand(lab), lambda copy: _install_keys(lab, copy, "gateway"))


def change_student(lab, name: str, revoke: bool) -> None:
    """Revoke one student's access, or issue them a new key; nobody else's changes. The gateway
    is refreshed first (a revoke closes the way in at once), their VMs after."""
    seat = roster.seat_of(lab, class_copies.expand(lab), name)
    folder = class_folder(lab)
    roster.mark(folder, name, revoke)
    if not revoke and seat.own_key is None:
        keys.remove_pair(keys.student_key_path(folder, name))   # a new pair at the next refresh
    gateway_service.refresh(lab)
    _install_keys(lab, seat.copy, "students")
    ui.info(f"students: {name} {'revoked' if revoke else 'issued a new key'}")
