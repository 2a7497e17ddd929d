"""`invoke gateway` and `invoke students`: the students' way in for a whole class. Each copy's
running VMs get their student's keys under the copy's lock (the copies side by side); the
gateway's files and sshd follow (k8slab.gateway.service); one student revoked or re-issued
changes nobody else."""
from __future__ import annotations

from .. import copies as class_copies
from .. import lifecycle, ui
from ..gateway import keys, roster
from ..gateway import service as gateway_service
from ..ssh import open_connections
from ..vagrant import Vagrant
from ..workdir import class_folder
from .side_by_side import each, locked


def require(lab) -> None:
    """Refuse (LabError) a lab file with no `gateway:` section: both tasks ask it first, before
    their options are looked at."""
    gateway_service.require(lab)


def _install_keys(lab, copy, task: str) -> None:
    """The copy's student's keys on its running VMs, under the copy's lock."""
    if not lifecycle.running_as_rendered(copy):
        ui.info(f"gateway: {copy.name}'s VMs are not all running: its keys change at its next `up`")
        return
    with locked(copy, task):
        conns = open_connections(copy, Vagrant(copy))
        try:
            gateway_service.install(lab, copy, conns)
        finally:
            for c in conns.values():
                c.close()


def gateway(lab) -> None:
    """Every running copy's VMs get their student's keys, then the gateway is started or brought
    up to date; the roster shown."""
    each(class_copies.expand(lab), lambda copy: _install_keys(lab, copy, "gateway"))
    gateway_service.table(lab, gateway_service.refresh(lab))


def stop(lab) -> None:
    """The gateway stopped; the students' keys stay on the VMs."""
    gateway_service.stop(lab)


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


def students(lab, name: str = "", revoke: bool = False) -> None:
    """The roster shown; with a name, that student revoked (revoke) or re-issued first, and the
    gateway started if it was not."""
    if name:
        change_student(lab, name, revoke=revoke)
    gateway_service.table(lab, gateway_service.refresh(lab, start=bool(name)))
