"""A node's IPv4 addresses: one command (iproute2's one-line form) and its parser.

Provisioning (the interface holding the node's private IP) and verify (the private IP, flannel0,
docker0) read addresses this one way, so a run that asks both reads them once.
"""
from __future__ import annotations

import re
from ipaddress import IPv4Interface
from typing import Dict, List

from .fact import Fact
from .text import excerpt


_IF_HEADER = re.compile(r"^\d+:\s+(?P<name>[^\s:@]+)(?:@\S+)?:\s+<")
_IF_ONELINE = re.compile(r"^\d+:\s+(?P<name>[^\s:@]+)(?:@\S+)?:?\s+(?P<family>inet6?)\s+(?P<rest>.*)$")
_INET = re.compile(r"^inet\s+(?P<rest>.*)$")


def _inet(rest: str) -> IPv4Interface:
    fields = rest.replace("\\", " ").split()
    addr = fields[0]
    if "/" not in addr:                       # `inet 10.0.0.1 peer 10.0.0.2/32`
        addr += "/32"
    return IPv4Interface(addr)


def parse_ip_addr(text: str) -> Dict[str, List[IPv4Interface]]:
    """`ip -4 -o addr show` (one line per address) or `ip -4 addr show` (interface header
    lines, then `inet A/P ...` lines): {interface: [addresses in order]}. IPv6 is skipped."""
    result: Dict[str, List[IPv4Interface]] = {}
    current = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        try:
            m = _IF_HEADER.match(line)
            if m:
                current = m.group("name")
                result.setdefault(current, [])
                continue
            m = _IF_ONELINE.match(line)
            if m:
                current = None
                if m.group("family") == "inet":
                    result.setdefault(m.group("name"), []).append(_inet(m.group("rest")))
                continue
            m = _INET.match(line)
            if m and current is not None:
                result[current].append(_inet(m.group("rest")))
                continue
        except ValueError as e:
            raise ValueError(f"ip addr: {line!r}: {e}") from None
        if current is not None and (line.startswith(("valid_lft", "inet6", "link/", "altname"))):
            continue
        raise ValueError(f"not `ip addr show` output: {line!r} (in {excerpt(text)})")
    return result


def _parse(result) -> Dict[str, List[IPv4Interface]]:
    if not result.ok:
        raise ValueError(f"ip exited {result.exited}: {excerpt(result.output)}")
    return parse_ip_addr(result.stdout)


# {interface: [its IPv4 addresses]}
ADDRESSES = Fact("addresses", lambda: "ip -o -4 addr show", _parse)


def holder(addresses: Dict[str, List[IPv4Interface]], ip) -> str:
    """The interface holding ip in ADDRESSES' value; "" when none does."""
    for iface, addrs in addresses.items():
        if any(str(a.ip) == str(ip) for a in addrs):
            return iface
    return ""
