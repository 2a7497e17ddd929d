"""Allocating N copies of a lab on a host: per copy its names, its management subnet and its
cost. Pure: the host's facts (the networks in use) are passed in, never probed here, so the
same code can later place copies on several lab servers, one call per server."""
from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Network
from typing import Iterable, Mapping, Optional

from ..errors import LabError
from .names import MAX_COPIES, Names, copy_names
from .resources import Resources, of_nodes
from .subnets import RESERVED, free_subnets, start_after


class AllocationError(LabError):
    """The copies do not fit; the message says what to change."""


@dataclass(frozen=True)
class Host:
    """A lab server and the facts the allocation needs from it.

    networks: [(interface, IPv4Network)] as doctor.host_networks() reads them.
    own: interfaces that are this lab's own (its copies' bridges from an earlier run,
    probes.lab_bridges()): their subnets are the copies' and no clash.
    """
    name: str = "localhost"
    uri: str = "qemu:///system"
    networks: tuple = ()
    own: tuple = ()

    def used(self) -> list:
        return [n for i, n in self.networks if i not in set(self.own)]


@dataclass(frozen=True)
class Copy:
    index: int                       # 1..copies
    host: str                        # Host.name
    uri: str                         # Host.uri: libvirt's connection for this copy's VMs
    names: Names
    management_subnet: IPv4Network
    private_subnet: IPv4Network      # the lab file's: siblings share it (isolated networks)
    resources: Resources


@dataclass(frozen=True)
class Allocation:
    lab: str
    copies: tuple                    # of Copy, by index
    total: Resources = field(default_factory=Resources)


def allocate(lab, copies: Optional[int] = None, host: Host = Host(),
             indices: Optional[Iterable[int]] = None,
             keep: Optional[Mapping[int, IPv4Network]] = None) -> Allocation:
    """Place copies (default lab.copies) of lab on host.

    indices: the copies placed on this host (default 1..copies), so copies can be spread over
    several servers later, one call per server; names depend on the index only, subnets on the
    server. keep: index -> management subnet from an earlier allocation; kept while it is still
    free, so a copy whose network exists never moves. Raises AllocationError.
    """
    copies = getattr(lab, "copies", 1) if copies is None else copies
    keep = keep or {}
    if not isinstance(copies, int) or isinstance(copies, bool) or not 1 <= copies <= MAX_COPIES:
        raise AllocationError(f"copies must be a whole number from 1 to {MAX_COPIES}, "
                              f"got {copies!r}")
    indices = list(range(1, copies + 1)) if indices is None else list(indices)
    bad = [k for k in indices if not isinstance(k, int) or not 1 <= k <= copies]
    if bad or len(set(indices)) != len(indices):
        raise AllocationError(f"copy indices must be distinct, from 1 to {copies}; got {indices}")

    lab_ranges = [lab.private_network, *(net for _, net in lab.reserved_networks())]
    used = host.used() + lab_ranges
    subnets = {}
    for k in indices:  # earlier subnets first, so a new copy never takes one a copy holds
        net = keep.get(k)
        if net is not None and not any(net.overlaps(u) for u in used + list(RESERVED)):
            subnets[k] = net
            used.append(net)
    todo = [k for k in indices if k not in subnets]
    mgmt = lab.libvirt.management_network
    found = free_subnets(used, len(todo), prefer=[mgmt], start=start_after(mgmt))
    if len(found) < len(todo):
        raise AllocationError(_no_subnets(lab, host, len(indices), len(found) + len(subnets)))
    subnets.update(zip(todo, found))

    cost = of_nodes(lab.nodes, lab.defaults)
    placed = tuple(Copy(k, host.name, host.uri, copy_names(lab.name, k, copies), subnets[k],
                        lab.private_network, cost) for k in sorted(indices))
    total = sum((c.resources for c in placed), Resources())
    return Allocation(lab.name, placed, total)


def _no_subnets(lab, host, wanted, free) -> str:
    ranges = [f"{'.'.join(key)} {net}" for key, net in
              ((("private_network",), lab.private_network), *lab.reserved_networks())]
    ranges = ", ".join(ranges[:-1]) + " or " + ranges[-1] if len(ranges) > 1 else ranges[0]
    return (f"{wanted} copies of lab {lab.name} need {wanted} free /24 management subnets in "
            f"192.168.0.0/16 on {host.name}, but only {free} are free (not on the host's "
            f"interfaces or routes, not in {ranges}, not libvirt's default 192.168.122.0/24): set "
            f"copies to at most {free}, or remove unused networks from the host "
            f"(`ip -4 addr`, `ip -4 route`; `virsh net-list --all`)")
