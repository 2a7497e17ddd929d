"""The lab servers as doctor and placement read them, from the servers themselves: each in one
command (this host: a local shell; a remote one: OpenSSH's ssh as vagrant-libvirt reaches it,
the same ~/.ssh, never a prompt): its memory, CPUs, the pool's free bytes, KSM's state, and its
networks (doctor checks the class's subnets against them: server_networks.py)."""
from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path
from typing import Optional

from ..allocate import capacity
from .finding import FAIL, PASS, WARN, Finding
from .networks import host_networks, net_info_bridges

READ_TIMEOUT = 15   # seconds for one server to answer; an unreachable one fails only its copies
MARK = "@@k8slab-part"
KSM_FILES = ("run", "pages_shared", "pages_sharing", "full_scans")

# The parts of READ's output, in order, each ended by a MARK line (the last one by the output's end)
PARTS = ("meminfo", "nodeinfo", "pool", "ksm", "nproc", "df", "addr", "route", "bridges", "running")

# One command, one round trip, on the server: its memory, CPUs, the pool's free bytes, KSM's
# state, its networks. LC_ALL=C: virsh translates its labels.
READ = (f"cat /proc/meminfo; echo {MARK}; LC_ALL=C virsh -c qemu:///system nodeinfo; echo {MARK}; "
        f"LC_ALL=C virsh -c qemu:///system pool-info default --bytes 2>&1; echo {MARK}; "
        + "; ".join(f"printf '{f}='; cat /sys/kernel/mm/ksm/{f} 2>/dev/null || echo" for f in KSM_FILES)
        + f"; echo {MARK}; nproc; echo {MARK}; "
        # the pool's folder's free bytes, for a server whose pool "default" does not exist yet
        # (vagrant-libvirt makes it there) or whose libvirtd does not answer
        'd=/var/lib/libvirt/images; while [ ! -d "$d" ]; do d=$(dirname "$d"); done; '
        f'df -B1 --output=avail "$d" | tail -1; echo "$d"; echo {MARK}; '
        # ip is in sbin on some distributions, off a plain ssh command's PATH; its errors are
        # kept in the part: they say why it was not read ("ip: not found", "-j" unknown)
        'PATH="$PATH:/usr/sbin:/sbin"; '
        f"ip -j -4 addr show 2>&1; echo {MARK}; ip -j -4 route show 2>&1; echo {MARK}; "
        # every libvirt network's bridge, from virsh: libvirt's XML files (what probes.lab_bridges
        # reads on this host) are root's alone, and the server's user may not be root. Two virsh
        # calls for any number of networks; virsh goes on past a network gone in between; none
        # yet (or no libvirtd): an empty part
        'n=$(LC_ALL=C virsh -c qemu:///system net-list --all --name 2>/dev/null); if [ -n "$n" ]; '
        """then LC_ALL=C virsh -c qemu:///system "$(printf 'net-info %s; ' $n)" 2>/dev/null; fi; """
        # the domains running there: their memory is already out of MemAvailable (placement)
        f"echo {MARK}; LC_ALL=C virsh -c qemu:///system list --name --state-running 2>/dev/null")


@dataclasses.dataclass(frozen=True)
class ServerRead(capacity.Capacity):
    """A server's Capacity (placement takes it as one, as it is) and, from the same round trip,
    its networks."""
    networks: Optional[tuple] = None   # host_networks() of the server; None: not read
    networks_unread: str = ""          # why not
    bridges: tuple = ()                # (libvirt network, its bridge) for each network it has
    running: frozenset = frozenset()   # the libvirt domains running there

    def bridges_of(self, networks: set) -> list:
        """The bridges of those of its libvirt networks named in networks (a class's own)."""
        return [b for net, b in self.bridges if net in networks]

    def used(self, own: set) -> list:
        """Its networks but those on the bridges of the libvirt networks own (a class's)."""
        mine = set(self.bridges_of(own))
        return [n for i, n in self.networks or () if i not in mine]


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
    # READ on sh's stdin, here and there: the server's sh runs it, whatever the login shell
    # (zsh, say, would not split the network names READ lists)
    argv = ssh_argv(lab, server, "sh -s") if server.remote else ["sh", "-s"]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=READ_TIMEOUT + 5, input=READ)
    except subprocess.TimeoutExpired:
        return f"no answer in {READ_TIMEOUT + 5} s"
    except FileNotFoundError as e:
        return f"{e.filename} is not installed"
    if r.returncode != 0 and len(r.stdout.split(MARK + "\n")) < len(PARTS):
        return (r.stderr.strip().splitlines() or [f"exit {r.returncode}"])[-1]
    return parse_read(r.stdout)


def parse_read(text: str) -> ServerRead:
    """What READ printed on a server, parsed."""
    part = dict(zip(PARTS, text.split(MARK + "\n") + [""] * len(PARTS)))
    files = dict(line.split("=", 1) for line in part["ksm"].splitlines() if "=" in line)
    avail, where = (part["df"].split() + ["", ""])[:2]
    read = capacity.capacity(part["meminfo"], part["nodeinfo"], part["pool"],
                             {k: v for k, v in files.items() if v.strip()},
                             int(avail) if avail.isdigit() else None, where)
    # libvirt's CPU count is the online CPUs: nproc's, when libvirtd does not answer (yet)
    if read.cpus is None and part["nproc"].strip().isdigit():
        read = dataclasses.replace(read, cpus=int(part["nproc"]))
    networks, unread = None, ""
    try:
        # every host has lo: an empty listing is an ip that printed nothing, not no networks
        if not part["addr"].strip() or not part["route"].strip():
            raise ValueError("`ip -j -4 addr/route show` printed nothing")
        networks = tuple(host_networks(part["addr"], part["route"]))
    except (ValueError, TypeError, AttributeError) as e:
        # ip's own message when it printed one instead of JSON (not installed, no -j)
        said = next((line for line in (part["addr"] + part["route"]).splitlines()
                     if line.strip() and not line.lstrip().startswith(("[", "{"))), "")
        unread = said.strip() or str(e)
    return ServerRead(**{f.name: getattr(read, f.name) for f in dataclasses.fields(read)},
                      networks=networks, networks_unread=unread,
                      bridges=tuple(net_info_bridges(part["bridges"])),
                      running=frozenset(part["running"].split()))


def findings(lab, reads: dict) -> list:
    """One Finding per server: what it has for the class's copies, or why it was not reached."""
    out = []
    for s in lab.servers:
        read = reads.get(s.name)
        if not isinstance(read, capacity.Capacity):
            out.append(Finding(f"server {s.name}", FAIL, f"{s.target}: not reached: {read}",
                               f"`ssh -o BatchMode=yes{' -p %d' % s.port if s.port != 22 else ''} "
                               f"{ssh_argv(lab, s, '')[-2]} true` must work (a known "
                               "host key, a key without a prompt), and the user may use qemu:///system there"))
            continue
        parts = [f"{read.mem_available_mib / 1024:.1f} GiB memory available" if read.mem_available_mib is not None
                 else "memory not read",
                 f"{read.cpus} CPUs" if read.cpus is not None else "CPUs not read",
                 f"{read.disk_available_bytes / 2**30:.0f} GiB free ({read.disk_where})"
                 if read.disk_available_bytes is not None else "disk not read"]
        if read.ksm is not None:
            parts.append(f"KSM on, {read.ksm.saved_bytes / 2**30:.1f} GiB merged now" if read.ksm.on
                         else f"KSM off (run {read.ksm.run}); k8s-lab never switches it on")
        out.append(Finding(f"server {s.name}", PASS, f"{s.target}: " + ", ".join(parts)))
    return out


def room_here(lab, read) -> Finding:
    """For a lab on this host alone: how many more copies of it this host has room for, counted
    as placement counts a server (guests, QEMU's own by driver, KSM's measured saving when KSM is
    on here, the reserve), so the figure matches what a `servers:` list would show."""
    from ..allocate import placement
    if not isinstance(read, capacity.Capacity):
        return Finding("room for copies", WARN, f"this host's memory and disk not read: {read}",
                       "run `virsh -c qemu:///system nodeinfo` to see why")
    p = placement.place_lab(lab, {lab.servers[0].name: read}, {}, wanted=[])
    s = p.servers[0]
    ksm = ("KSM on: measured saving counted" if s.ksm_on else
           "KSM off; k8s-lab never switches it on" if read.ksm is not None else "no KSM")
    return Finding("room for copies", PASS,
                   f"{s.room} more {'copy' if s.room == 1 else 'copies'} of this lab fit here "
                   f"({s.copy_mib / 1024:.1f} GiB memory each: its VMs and QEMU's own; {ksm}), "
                   f"bound by {s.detail}")
