"""The gateway as a whole, for a class (every copy of a lab file): keys made, the sshd's files
written from what the copies' VMs are now (their addresses, recorded by vms.install), the
students' handouts, and the one sshd started or told to re-read its config.

`up` installs the keys on each copy's VMs and then refreshes the gateway; `reset` installs them
again (the checkpoint may predate them); `destroy` of a copy closes its student's way in, of the
whole class stops the gateway; `invoke gateway` and `invoke students` do it on their own.
"""
from __future__ import annotations

import os
import pwd
import socket
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

from .. import state, ui
from ..copies import expand
from ..errors import LabError
from ..workdir import class_folder, write_if_changed
from . import handout, keys, pubkey, roster, sshd, vms
from .pubkey import PublicKey


@dataclass(frozen=True)
class SeatStatus:
    seat: roster.Seat
    key: Optional[PublicKey]         # the key that opens the gateway for them (None: none made yet)
    own: bool                        # the student brought it
    revoked: bool
    installed: bool                  # on their copy's VMs, as recorded by the last install
    targets: tuple                   # the "ip:22" their key may reach
    nodes: dict                      # node -> {"address", "host_key"}, as the last install saw them
    handout: Optional[Path] = None


def login_user(lab) -> str:
    return lab.gateway.user or pwd.getpwuid(os.geteuid()).pw_name


def address(lab) -> str:
    return lab.gateway.address or socket.getfqdn()


def student_key(lab, seat: roster.Seat, make: bool = True) -> Optional[PublicKey]:
    """The key the student brought, else the one k8s-lab made for them: made now if needed
    (make), else None when there is none yet."""
    if seat.own_key is not None:
        return seat.own_key
    path = keys.student_key_path(class_folder(lab), seat.student)
    if make:
        return keys.ensure_pair(path, f"{seat.student}@{lab.name}")
    pub = path.with_suffix(".pub")
    return pubkey.parse(pub.read_text()) if pub.exists() else None


def install(lab, copy, conns) -> dict:
    """The copy's student's key (none when revoked) and root keys on its VMs, over conns."""
    seat = roster.seat(lab, copy)
    revoked = seat.student in roster.revoked(class_folder(lab))
    key = None if revoked else student_key(lab, seat)
    done = vms.install(copy, conns, seat.student, key)
    ui.info(f"gateway: {seat.student}'s key {'removed from' if revoked else 'on'} every VM of "
            f"{copy.name} ({done['changed']} files changed)")
    return done


def _status(lab, seat: roster.Seat, gone: set, make: bool = True) -> SeatStatus:
    """One seat: its key (made when missing, with make), revoked or not, what its copy's VMs
    hold (vms.install's record) and so where the key may lead."""
    key = student_key(lab, seat, make)
    rec = vms.recorded(seat.copy)
    nodes = rec.get("nodes", {})
    revoked = seat.student in gone
    targets = tuple(f"{n['address']}:22" for n in nodes.values() if n.get("address"))
    return SeatStatus(seat, key, seat.own_key is not None, revoked,
                      key is not None and not revoked and rec.get("key") == key.fingerprint,
                      () if revoked else targets, nodes)


def _seats(lab, copies) -> list[SeatStatus]:
    gone = roster.revoked(class_folder(lab))
    return [_status(lab, seat, gone) for seat in roster.seats(lab, copies)]


def _handout(lab, s: SeatStatus, host_key: PublicKey) -> handout.Handout:
    rec = s.nodes
    stages = state.applied_stages(s.seat.copy)
    stage = stages[-1] if stages else "none"
    nodes = tuple((n.name, tuple(n.aliases), str(n.ip), rec.get(n.name, {}).get("address", ""),
                   rec.get(n.name, {}).get("host_key", "")) for n in lab.nodes)
    private = None
    if not s.own:
        private = keys.student_key_path(class_folder(lab), s.seat.student).read_text()
    return handout.Handout(
        lab=lab.name, student=s.seat.student, index=s.seat.index, copies=lab.copies,
        gateway_host=address(lab), gateway_port=lab.gateway.port, gateway_user=login_user(lab),
        gateway_host_key=host_key.line, nodes=nodes, master=lab.home_node().name, stage=stage,
        chapter=lab.chapter(stage), words=lab.handout_words(),
        own_key=s.key.fingerprint if s.own else None,
        generated_key=private, fingerprint=s.key.fingerprint, revoked=s.revoked)


def refresh(lab, start: bool = True) -> list[SeatStatus]:
    """Bring the gateway's files and the handouts up to date with the copies' VMs, then start
    the gateway (start) or have it re-read its config; each seat's status."""
    if lab.gateway is None:
        return []
    copies = expand(lab)
    f = sshd.files(lab)
    host_key = keys.ensure_pair(f.host_key, f"k8s-lab-gateway@{lab.name}")
    seats = _seats(lab, copies)
    home = lab.home_node().name   # the node the handouts send the students to
    lines = "".join(sshd.authorized_line(s.key.line, s.seat.student, s.targets, home)
                    for s in seats if not s.revoked)
    write_if_changed(f.authorized_keys, lines)
    f.authorized_keys.chmod(0o600)
    user = login_user(lab)
    config_changed = write_if_changed(f.config, sshd.config_text(
        f, lab.gateway.port, str(lab.gateway.listen), user,
        [t for s in seats for t in s.targets], home))
    folder = class_folder(lab) / "handouts"
    folder.mkdir(exist_ok=True)
    folder.chmod(0o700)   # the students' private keys are in here
    seats = [replace(s, handout=handout.write(folder, _handout(lab, s, host_key))) for s in seats]
    if start:
        if sshd.running_pid(f):
            if config_changed:
                sshd.reload(f)
            how = "running"
        else:
            how = "started as " + sshd.start(lab.name, f)
        ui.info(f"gateway: {how}, students reach it as {user}@{address(lab)} port {lab.gateway.port}; "
                f"handouts in {folder}")
    return seats


def seat_view(lab, copy) -> tuple:
    """(student, key installed on the copy's VMs, the handout page or None), read only."""
    s = _status(lab, roster.seat(lab, copy), roster.revoked(class_folder(lab)), make=False)
    page = class_folder(lab) / "handouts" / s.seat.student / "handout.html"
    return s.seat.student, s.installed, page if page.exists() else None


def describe(lab) -> str:
    """The gateway in one line, for status."""
    pid = running(lab)
    where = f"{login_user(lab)}@{address(lab)} port {lab.gateway.port}"
    if not pid:
        return f"gateway {where}: not running (`invoke gateway` starts it)"
    unit = sshd.UNIT_DIR / sshd.unit_name(lab.name)
    how = f"systemd unit {unit.name}" if unit.exists() else "a process, not a systemd unit"
    return f"gateway {where}: running (pid {pid}, {how})"


def stop(lab) -> bool:
    was = sshd.stop(lab.name, sshd.files(lab))
    ui.info("gateway: stopped" if was else "gateway: was not running")
    return was


def running(lab) -> Optional[int]:
    return sshd.running_pid(sshd.files(lab)) if lab.gateway is not None else None


def table(lab, seats: list[SeatStatus]) -> None:
    ui.table(f"students of {lab.name}", ["student", "copy", "key", "installed", "handout"],
             [(s.seat.student, s.seat.copy.name,
               ("own " if s.own else "made ") + s.key.fingerprint[:19] + ("… REVOKED" if s.revoked else "…"),
               "yes" if s.installed else "no", str(s.handout or "-")) for s in seats])


def require(lab) -> None:
    if lab.gateway is None:
        raise LabError(f"{lab.path.name} has no `gateway:` section: add `gateway: {{}}` (port "
                       "2222, this host's name) to let students reach their copies")
