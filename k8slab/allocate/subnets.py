"""Free /24s for a host: the one search behind the copies' management networks and doctor's
fix suggestions, so no two of them ever name the same subnet or one the host uses."""
from __future__ import annotations

from ipaddress import IPv4Network
from typing import Iterable

POOL = IPv4Network("192.168.0.0/16")
# libvirt's "default" network is defined on most libvirt hosts but is on no interface while it
# is inactive; a subnet handed out there would clash the day someone starts it.
RESERVED = (IPv4Network("192.168.122.0/24"),)


def candidates(prefer: Iterable = (), start: int = 1) -> list:
    """prefer, then 192.168.<n>.0/24 for n = start..255, then 1..start-1 (192.168.0.0/24, a
    common LAN, never), each once."""
    order = list(range(start, 256)) + list(range(1, start))
    out = []
    for c in list(prefer) + [IPv4Network(f"192.168.{n}.0/24") for n in order]:
        if c not in out:
            out.append(c)
    return out


def free_subnets(used: Iterable, count: int, prefer: Iterable = (), start: int = 1) -> list:
    """Up to count subnets from candidates() that overlap none of used, RESERVED or each other;
    fewer when the pool runs out (the caller says what to do)."""
    taken = list(used) + list(RESERVED)
    out = []
    for c in candidates(prefer, start):
        if len(out) == count:
            break
        if not any(c.overlaps(t) for t in taken):
            out.append(c)
            taken.append(c)
    return out


def start_after(net: IPv4Network) -> int:
    """The pool position of net's third octet, so a search continues from a subnet the lab
    file names (192.168.121.0/24 -> 121); 1 for a subnet outside the pool."""
    if net.subnet_of(POOL):
        return max(1, net.network_address.packed[2])
    return 1
