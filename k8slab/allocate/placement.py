"""Which server each copy of a class runs on (docs/design-several-servers.md, section 3). Pure:
the servers' capacities (capacity.py) and the copies kept from earlier runs are passed in.

- A copy lives whole on one server; a copy placed before stays where it is (its disks,
  networks and checkpoints are there), and is not re-checked against the server's capacity.
- New copies, in ascending order, each go to the first server in the lab file's order that
  still has room: each server is filled to what it can hold before the next one is used.
- A server's room is what its free memory and disk hold of copies (after its reserve, and after
  this class's copies placed there that will need theirs back), none if one VM has more vCPUs
  than the server, capped by max_copies. A server not reached has no room but keeps its copies.
- A copy's memory on a server whose KSM is on is what bench/ksm.py measured KSM to leave of it
  (resources.with_ksm); elsewhere its guests' memory and QEMU's own, in full.
- When the new copies do not all fit, the placement says so (Placement.refusal): what is kept
  where, what each server can still hold and which resource limits it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Union

from ..errors import LabError
from .capacity import Capacity
from .resources import GIB, HEADROOM_MIB, Resources, copy_cost, with_ksm


class PlacementError(LabError):
    """The class cannot be placed as asked; the message says what to change."""


@dataclass(frozen=True)
class ServerRoom:
    """One server as the placement sees it: the lab file's settings and what was read there."""
    name: str
    target: str = "this host"             # how it is reached (Server.target), for the table
    capacity: Optional[Capacity] = None   # None: not reached
    unreachable: str = ""                 # why not, when capacity is None
    reserve_mib: int = HEADROOM_MIB
    max_copies: Optional[int] = None


@dataclass(frozen=True)
class ServerPlacement:
    name: str
    target: str
    kept: tuple                  # copy indices placed there before
    new: tuple                   # copy indices placed there now
    unreachable: str             # "" when reached
    room: int                    # how many new copies it could take
    limit: str                   # what bounds room: CPUs, max_copies, memory, disk, unreachable
    detail: str                  # the limit with its numbers ("memory: 2.1 GiB left after ...")
    mem_free_mib: Optional[int] = None     # MemAvailable as read
    mem_after_mib: Optional[int] = None    # once its copies still to start have their memory
    disk_free_bytes: Optional[int] = None
    disk_after_bytes: Optional[int] = None
    cpus: Optional[int] = None
    copy_mib: Optional[int] = None         # one copy's memory as counted there (KSM or not)
    ksm_on: bool = False

    @property
    def holds(self) -> int:
        """How many copies of this lab the server holds: those kept there and its room."""
        return len(self.kept) + self.room


@dataclass(frozen=True)
class Placement:
    lab: str
    copies: int                  # the class's size (lab.copies)
    cost: Resources              # of one copy (resources.copy_cost)
    servers: tuple               # of ServerPlacement, in the lab file's order
    unplaced: tuple = ()         # new copies that fit nowhere

    @property
    def fits(self) -> bool:
        return not self.unplaced

    @property
    def server_of(self) -> dict:
        """copy index -> server name, for every placed copy (class.json's map)."""
        return {k: s.name for s in self.servers for k in (*s.kept, *s.new)}

    @property
    def refusal(self) -> str:
        """Why the class does not fit, with what would make it; "" when it fits."""
        return "" if self.fits else _refusal(self)

    def check(self) -> "Placement":
        if not self.fits:
            raise PlacementError(self.refusal)
        return self


def place(lab: str, copies: int, cost: Resources, servers: Iterable[ServerRoom],
          kept: Optional[Mapping[int, str]] = None, wanted: Optional[Iterable[int]] = None,
          running: Iterable[int] = (), created: Iterable[int] = (),
          lab_file: str = "lab.yaml") -> Placement:
    """Place the copies wanted (default 1..copies; copies.select checks what a task asks) of a
    class of copies copies.

    kept: copy index -> server name from the class state (class.json); entries past copies are
    not the class's any more and are left out. running: copies whose VMs run now (their memory
    is already out of MemAvailable); created: copies whose disks exist. A kept copy that is not
    running (or not created) still needs its memory (or disk) from its server's budget.
    Raises PlacementError when kept names a server the lab file no longer lists.
    """
    servers = list(servers)
    kept = {k: s for k, s in (kept or {}).items() if 1 <= k <= copies}
    wanted = sorted(k for k in set(range(1, copies + 1) if wanted is None else wanted)
                    if 1 <= k <= copies)
    _check_kept_servers(kept, servers, lab_file)
    running, created = set(running), set(created)

    # per server: its kept copies, what of their memory and disk is still to be taken from it
    # (not running, not created), and so how many new copies it takes
    mine, waiting_mem, waiting_disk, room = {}, {}, {}, {}
    for s in servers:
        mine[s.name] = sorted(k for k, name in kept.items() if name == s.name)
        waiting_mem[s.name] = memory_on(s, cost) * sum(k not in running for k in mine[s.name])
        waiting_disk[s.name] = cost.disk_bytes * sum(k not in created for k in mine[s.name])
        room[s.name] = _room(s, cost, len(mine[s.name]), waiting_mem[s.name], waiting_disk[s.name])

    new = {s.name: [] for s in servers}
    unplaced = []
    for k in (k for k in wanted if k not in kept):
        for s in servers:
            if len(new[s.name]) < room[s.name][0]:
                new[s.name].append(k)
                break
        else:
            unplaced.append(k)

    out = []
    for s in servers:
        c = s.capacity or Capacity(None, None, None)
        n = len(new[s.name])
        mem_after = (None if c.mem_available_mib is None
                     else c.mem_available_mib - waiting_mem[s.name] - n * memory_on(s, cost))
        disk_after = (None if c.disk_available_bytes is None
                      else c.disk_available_bytes - waiting_disk[s.name] - n * cost.disk_bytes)
        out.append(ServerPlacement(s.name, s.target, tuple(mine[s.name]), tuple(new[s.name]),
                                   "" if s.capacity else (s.unreachable or "not reached"),
                                   *room[s.name], c.mem_available_mib, mem_after,
                                   c.disk_available_bytes, disk_after, c.cpus,
                                   memory_on(s, cost) if s.capacity else None, ksm_on(s)))
    return Placement(lab, copies, cost, tuple(out), tuple(unplaced))


def place_lab(lab, reads: Mapping[str, Union[Capacity, str]],
              kept: Optional[Mapping[int, str]] = None, **kw) -> Placement:
    """place() for a Lab: its copy cost, its servers with what was read on each (a Capacity,
    or the reason it was not reached)."""
    rooms = []
    for s in lab.servers:
        read = reads.get(s.name, "not read")
        rooms.append(ServerRoom(s.name, s.target, read if isinstance(read, Capacity) else None,
                                "" if isinstance(read, Capacity) else read,
                                s.reserve_memory, s.max_copies))
    cost = copy_cost(lab.nodes, lab.defaults, lab.checkpoints, lab.libvirt.driver)
    lab_file = lab.path.name if lab.path is not None else "lab.yaml"
    return place(lab.name, lab.copies, cost, rooms, kept, lab_file=lab_file, **kw)


def ksm_on(s: ServerRoom) -> bool:
    return bool(s.capacity and s.capacity.ksm and s.capacity.ksm.on)


def memory_on(s: ServerRoom, cost: Resources) -> int:
    """One copy's memory on server s: less where KSM merges the copies' identical pages."""
    return with_ksm(cost.memory_mib) if ksm_on(s) else cost.memory_mib


def _check_kept_servers(kept, servers, lab_file) -> None:
    """A kept copy whose server left the lab file: its VMs are there, and nothing here may
    decide to build it again elsewhere."""
    listed = {s.name for s in servers}
    gone = {}
    for k, name in sorted(kept.items()):
        if name not in listed:
            gone.setdefault(name, []).append(k)
    if gone:
        raise PlacementError("; ".join(
            f"class.json places {_copies_word(ks)} {ranges(ks)} on {name}, which {lab_file} no "
            f"longer lists: put {name} back under servers:, or destroy those copies first "
            f"(invoke destroy --copy {','.join(map(str, ks))})" for name, ks in gone.items()))


def _room(s: ServerRoom, cost: Resources, kept_there: int, waiting_mem: int,
          waiting_disk: int) -> tuple:
    """(room, limit, detail): how many new copies s can take, and what bounds it. The hard
    limits come first, so a tie names the one no freeing of memory would lift."""
    c = s.capacity
    if c is None:
        return 0, "unreachable", s.unreachable or "not reached"
    bounds = []   # (room, limit, detail) for each resource
    if c.cpus is None:
        bounds.append((0, "CPUs", "CPUs: not read"))
    elif cost.max_vm_cpus > c.cpus:
        bounds.append((0, "CPUs", f"CPUs: the server has {c.cpus}, a VM has {cost.max_vm_cpus}"))
    if s.max_copies is not None:
        kept_text = f", {kept_there} kept there" if kept_there else ""
        bounds.append((max(0, s.max_copies - kept_there), "max_copies",
                       f"max_copies: {s.max_copies}{kept_text}"))
    if c.mem_available_mib is None:
        bounds.append((0, "memory", "memory: MemAvailable not read"))
    else:
        left = c.mem_available_mib - s.reserve_mib - waiting_mem
        waiting = f" and {_gib_mib(waiting_mem)} for its copies not running" if waiting_mem else ""
        bounds.append((max(0, left // memory_on(s, cost)), "memory",
                       f"memory: {_gib_mib(max(0, left))} left after reserve "
                       f"{_gib_mib(s.reserve_mib)}{waiting}"))
    if c.disk_available_bytes is None:
        bounds.append((0, "disk", "disk: free space not read"))
    else:
        left = c.disk_available_bytes - waiting_disk
        waiting = " after its copies not created yet" if waiting_disk else ""
        bounds.append((max(0, left // cost.disk_bytes), "disk",
                       f"disk: {_gib(max(0, left))} free in {c.disk_where}{waiting}"))
    return min(bounds, key=lambda b: b[0])   # the first of equals: min keeps it


# ---- how it reads ----

def ranges(indices: Iterable[int]) -> str:
    """1,2,3,5,7,8 -> "1-3, 5, 7-8"."""
    out, run = [], []
    for k in sorted(set(indices)):
        if run and k == run[-1] + 1:
            run.append(k)
            continue
        if run:
            out.append(_run(run))
        run = [k]
    if run:
        out.append(_run(run))
    return ", ".join(out)


def _run(run: list) -> str:
    return str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}"


def _copies_word(indices) -> str:
    return "copy" if len(indices) == 1 else "copies"


def _number(n_bytes: int) -> str:
    """In GiB, with one decimal below 100 (memory, small disks), whole above (pools)."""
    g = n_bytes / GIB
    return f"{g:.1f}" if abs(g) < 100 else f"{g:.0f}"


def _gib(n_bytes: int) -> str:
    return f"{_number(n_bytes)} GiB"


def _gib_mib(mib: int) -> str:
    return _gib(mib * 1024 * 1024)


def title(p: Placement) -> str:
    c = p.cost
    return (f"placement of {p.lab} ({p.copies} {_copies_word(range(p.copies))}; each {c.vms} "
            f"VM{'s' if c.vms != 1 else ''}, {_gib_mib(c.memory_mib)} memory, "
            f"{_gib(c.disk_bytes)} disk):")


COLUMNS = ("server", "reached as", "copies", "holds", "memory free → after", "disk free → after", "CPUs")


def table_rows(p: Placement) -> list:
    """The placement as rows of COLUMNS, for ui.table(title(p), COLUMNS, rows): one row per
    server, and one for the copies that fit nowhere."""
    rows = []
    for s in p.servers:
        parts = ([f"{ranges(s.kept)} (kept)"] if s.kept else []) + \
                ([f"{ranges(s.new)} (new)"] if s.new else [])
        if s.unreachable:
            rows.append((s.name, s.target, ", ".join(parts + [f"unreachable: {s.unreachable}"]),
                         "", "", "", ""))
            continue
        rows.append((s.name, s.target, ", ".join(parts) or "none", _holds(s),
                     _free_after(s.mem_free_mib, s.mem_after_mib, 1024 * 1024),
                     _free_after(s.disk_free_bytes, s.disk_after_bytes, 1),
                     "not read" if s.cpus is None else str(s.cpus)))
    if p.unplaced:
        rows.append(("(none)", "", f"{ranges(p.unplaced)} (do not fit)", "", "", "", ""))
    return rows


def _holds(s: ServerPlacement) -> str:
    """How many copies of this lab the server holds, and what bounds it; with KSM on, the
    smaller memory per copy it was counted with."""
    ksm = f", KSM on: {_gib_mib(s.copy_mib)} a copy" if s.ksm_on and s.copy_mib else ""
    return f"{s.holds} ({s.limit}{ksm})"


def _free_after(free, after, unit) -> str:
    if free is None:
        return "not read"
    return f"{_number(free * unit)} → {_gib(after * unit)}"


def _refusal(p: Placement) -> str:
    kept = [f"{ranges(s.kept)} kept on {s.name}" for s in p.servers if s.kept]
    kept_text = ", ".join(kept) + "; " if kept else ""
    n = sum(len(s.new) for s in p.servers) + len(p.unplaced)
    c = p.cost
    holds = []
    for s in p.servers:
        if s.unreachable:
            holds.append(f"{s.name} is unreachable ({s.unreachable})")
        elif s.room == 0:
            holds.append(f"{s.name} holds 0 more ({s.detail})")
        else:
            holds.append(f"{s.name} holds {s.room} more ({s.limit})")
    k = len(p.unplaced)
    return (f"{p.copies} {_copies_word(range(p.copies))}: {kept_text}{n} new need {n} × "
            f"({_gib_mib(c.memory_mib)} memory, {_gib(c.disk_bytes)} disk). "
            f"{', '.join(holds)}: {k} {'copy does' if k == 1 else 'copies do'} not fit "
            f"({ranges(p.unplaced)}). Add a server, lower copies, or lower defaults.memory; "
            "invoke doctor shows each server.")
