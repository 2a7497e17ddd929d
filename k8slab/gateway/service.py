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

from .. import classfile, state, ui
from ..config.schema import Server
from ..copies import expand
from ..errors import LabError
from ..workdir import class_folder, write_if_changed
from . import handout, keys, pubkey, remote, roster, sshd, vms
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
    """The address students type for this host's gateway (a class over several servers names
    it as this host's servers[k].gateway_address)."""
    here = next((s for s in lab.servers if not s.remote), None)
    return lab.gateway.address or (here.gateway_address if here else None) or socket.getfqdn()


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


@dataclass(frozen=True)
class Door:
    """The gateway a seat's student knocks at: the one on the server holding their copy."""
    server: Optional[Server]     # None: this host's gateway
    host: str                    # the address students type
    user: str                    # the gateway's one login account
    host_key: PublicKey


def _handout(lab, s: SeatStatus, door: Door) -> handout.Handout:
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
        gateway_host=door.host, gateway_port=lab.gateway.port, gateway_user=door.user,
        gateway_host_key=door.host_key.line, nodes=nodes, master=lab.home_node().name, stage=stage,
        chapter=lab.chapter(stage), words=lab.handout_words(),
        own_key=s.key.fingerprint if s.own else None,
        generated_key=private, fingerprint=s.key.fingerprint, revoked=s.revoked)


def _server_of(s: SeatStatus) -> Optional[Server]:
    server = s.seat.copy.on_server
    return server if server.remote else None


def _texts(lab, seats: list, files: sshd.Files, user: str, listen: str = "") -> tuple:
    """(authorized_keys, sshd_config) of a gateway serving seats: their keys, their VMs only.
    listen: where it listens (gateway.listen is this host's address; a remote server's gateway
    listens on all of that server's)."""
    home = lab.home_node().name   # the node the handouts send the students to
    lines = "".join(sshd.authorized_line(s.key.line, s.seat.student, s.targets, home)
                    for s in seats if not s.revoked)
    return lines, sshd.config_text(files, lab.gateway.port, listen or str(lab.gateway.listen), user,
                                   [t for s in seats for t in s.targets], home)


def _here(lab, seats: list, start: bool) -> Door:
    """This host's gateway, for the seats whose copies are here: files written, sshd started or
    told to re-read its config."""
    f = sshd.files(lab)
    door = Door(None, address(lab), login_user(lab),
                keys.ensure_pair(f.host_key, f"k8s-lab-gateway@{lab.name}"))
    lines, config = _texts(lab, seats, f, door.user)
    write_if_changed(f.authorized_keys, lines)
    f.authorized_keys.chmod(0o600)
    config_changed = write_if_changed(f.config, config)
    if start:
        if sshd.running_pid(f):
            if config_changed:
                sshd.reload(f)
            how = "running"
        else:
            how = "started as " + sshd.start(lab.name, f)
        ui.info(f"gateway: {how}, students reach it as {door.user}@{door.host} port {lab.gateway.port}")
    return door


def _remote_login(lab, server: Server) -> tuple:
    """(file, user): the account a remote server's gateway logs students in as, as its last
    start said (kept in that file); before one, the user ssh is given for the server, else ours."""
    login = class_folder(lab) / f"gateway-{server.name}" / "login"
    user = login.read_text().strip() if login.exists() else None
    return login, user or server.user or pwd.getpwuid(os.geteuid()).pw_name


def _remote_address(server: Server) -> str:
    return server.gateway_address or server.host


def _on(lab, server: Server, seats: list, start: bool) -> Door:
    """The gateway on a remote server, for the seats whose copies are there (gateway/remote.py):
    its host key kept here, its files and process there, in one SSH command. Its login account
    is the one ssh reaches the server as (the script says it; kept here for when it is not run)."""
    folder = class_folder(lab) / f"gateway-{server.name}"
    folder.mkdir(exist_ok=True)
    folder.chmod(0o700)
    key = folder / "ssh_host_ed25519_key"
    known_user, user = _remote_login(lab, server)
    host_key = keys.ensure_pair(key, f"k8s-lab-gateway@{lab.name}-{server.name}")
    if start:
        lines, config = _texts(lab, seats, remote.files(), remote.USER, listen="0.0.0.0")
        said = remote.run(lab, server, remote.apply_script(lab.name, {
            "ssh_host_ed25519_key": key.read_text(), "authorized_keys": lines, "sshd_config": config}),
            "start or reload").split()
        if len(said) == 3:
            user = said[2]
            write_if_changed(known_user, user + "\n")
        ui.info(f"gateway on server {server.name}: {said[0] if said else 'running'}, students "
                f"reach it as {user}@{_remote_address(server)} port {lab.gateway.port}")
    return Door(server, _remote_address(server), user, host_key)


def refresh(lab, start: bool = True) -> list[SeatStatus]:
    """Bring each gateway's files and the handouts up to date with the copies' VMs, then start
    each gateway (start) or have it re-read its config; each seat's status. One gateway per
    server holding copies (this host's whenever the class has no copy elsewhere); a server that
    fails leaves the others' students served, and the error names it."""
    if lab.gateway is None:
        return []
    seats = _seats(lab, expand(lab))
    groups: dict = {}
    for s in seats:
        server = _server_of(s)
        groups.setdefault(server.name if server else None, (server, []))[1].append(s)
    groups.setdefault(None, (None, []))   # this host's gateway, as before servers, even with no seat here
    doors, failed = {}, []
    for name, (server, group) in groups.items():
        if name is None and not group and len(groups) > 1:
            continue   # every copy is on another server: nothing for a gateway here to serve
        try:
            doors[name] = _here(lab, group, start) if server is None else _on(lab, server, group, start)
        except LabError as e:
            failed.append(f"{'this host' if server is None else 'server ' + server.name}: {e}")
    folder = class_folder(lab) / "handouts"
    folder.mkdir(exist_ok=True)
    folder.chmod(0o700)   # the students' private keys are in here
    out = []
    for s in seats:
        server = _server_of(s)
        door = doors.get(server.name if server else None)
        out.append(replace(s, handout=handout.write(folder, _handout(lab, s, door))) if door else s)
    if start:
        ui.info(f"gateway: handouts in {folder}")
    if failed:
        raise LabError("the students' gateway failed on " + "; ".join(failed))
    return out


def seat_view(lab, copy) -> tuple:
    """(student, key installed on the copy's VMs, the handout page or None), read only."""
    s = _status(lab, roster.seat(lab, copy), roster.revoked(class_folder(lab)), make=False)
    page = class_folder(lab) / "handouts" / s.seat.student / "handout.html"
    return s.seat.student, s.installed, page if page.exists() else None


def describe(lab) -> str:
    """The gateways in a line each, for status: this host's, then each remote server's."""
    pid = running(lab)
    where = f"{login_user(lab)}@{address(lab)} port {lab.gateway.port}"
    unit = sshd.UNIT_DIR / sshd.unit_name(lab.name)
    how = f"systemd unit {unit.name}" if unit.exists() else "a process, not a systemd unit"
    lines = [f"gateway {where}: running (pid {pid}, {how})" if pid else
             f"gateway {where}: not running (`invoke gateway` starts it)"]
    for server in _remote_servers(lab):
        where = (f"{_remote_login(lab, server)[1]}@{_remote_address(server)} "
                 f"port {lab.gateway.port} (server {server.name})")
        try:
            pid = remote.run(lab, server, remote.status_script(lab.name), "status")
            lines.append(f"gateway {where}: " + (f"running (pid {pid}, a process)" if pid else
                                                 "not running (`invoke gateway` starts it)"))
        except LabError as e:
            lines.append(f"gateway {where}: not reached ({str(e).splitlines()[-1].strip(' |')})")
    return "\n".join(lines)


def stop(lab, purge: bool = False) -> bool:
    """Stop every gateway of the class: this host's and each remote server's that holds copies
    (purge: the whole class is gone, so its folder on those servers goes too)."""
    was = sshd.stop(lab.name, sshd.files(lab))
    ui.info("gateway: stopped" if was else "gateway: was not running")
    failed = []
    for server in _remote_servers(lab):
        try:
            said = remote.run(lab, server, remote.stop_script(lab.name, purge), "stop")
            ui.info(f"gateway on server {server.name}: {said or 'not running'}")
            was = was or said.startswith("stopped")
        except LabError as e:
            failed.append(str(e))
    if failed:
        raise LabError("; ".join(failed))
    return was


def _remote_servers(lab) -> list:
    """The remote servers the class placed copies on (class.json)."""
    placed = set(classfile.placement(lab).values())
    return [s for s in lab.servers if s.remote and s.name in placed]


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
