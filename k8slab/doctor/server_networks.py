"""The class's subnets on each remote lab server (docs/design-several-servers.md, section 6):
what the copies placed there put on it (their management networks, and private_network for
their isolated networks) against the networks that server has, as READ read them
(servers.py), checked as this host's are (run.py, networks.check_subnet_clash). This host's
subnets are run.py's; a server not reached has its own finding (servers.findings) and none here.
"""
from __future__ import annotations

from .. import classfile
from ..allocate import class_networks
from .finding import WARN, Finding
from .networks import check_subnet_clash
from .servers import ServerRead


def findings(lab, copies: list, reads: dict, server_of: dict) -> list:
    """copies: the copies doctor checks (copies.expand, a task's --copy); reads: server name ->
    ServerRead or why it was not read (commands/place.read_servers); server_of: copy index ->
    server name, as class.json keeps it or as `up` would place them (placement.Placement)."""
    # the bridges of any of the class's networks are the class's own, no clash: a copy's
    # management subnet is the class's alone, and its private ones share one subnet by design
    own = class_networks(lab.name, lab.copies)
    avoid = [*(net for _, net in lab.reserved_networks()),
             *(c.libvirt.management_network for c in copies)]
    out = []
    for s in lab.servers:
        there = [c for c in copies if server_of.get(c.copy_index) == s.name]
        read = reads.get(s.name)
        if not s.remote or not there or not isinstance(read, ServerRead):
            continue
        subnets = {"private_network": lab.private_network}
        for c in there:
            subnets[_key(lab, c)] = c.libvirt.management_network
        if read.networks is None:
            out.append(Finding(f"server {s.name}: networks", WARN,
                               f"{s.target}: cannot read its networks with `ip -j -4 addr/route "
                               f"show`: {read.networks_unread}",
                               f"check by hand that {', '.join(map(str, subnets.values()))} is not "
                               f"used on {s.name} (`ip addr`, `ip route` there)"))
            continue
        fixes = {_key(lab, c): _class_fix(lab, c, s.name) for c in there if lab.copies > 1}
        out += check_subnet_clash(subnets, list(read.networks),
                                  ignore=read.bridges_of(own), avoid=avoid,
                                  node_ips=[n.ip for n in lab.nodes], server=s.name, fixes=fixes)
    return out


def _key(lab, copy) -> str:
    """The subnet's name in findings: lab.yaml's key for a lab of one copy, else the copy's
    (run.lab_ranges names a class's copies so on this host)."""
    return "libvirt.management_network" if lab.copies == 1 else f"{copy.name}'s management network"


def _class_fix(lab, copy, server: str):
    """A copy's management subnet is not in lab.yaml: it was picked free on this host and is
    kept in class.json, where a free one can be written (copies.expand keeps it while it is
    free here)."""
    k, subnet = copy.copy_index, copy.libvirt.management_network
    return lambda example: (
        f"free {subnet} on {server}, or give copy {k} another subnet: in "
        f"{classfile.path(lab)}, copies.\"{k}\".management_network = \"{example}\" (before "
        f"`invoke up` creates copy {k}; once created: `invoke destroy --copy {k}` first)")
