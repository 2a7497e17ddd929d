"""The lab's subnets against a host's (this one or a lab server): its interfaces and routes, its
libvirt networks' bridges, and VirtualBox's host-only ranges. Pure functions of `ip -j` JSON,
virsh's and files' text."""
from __future__ import annotations

import ipaddress
import json
from ipaddress import IPv4Network
from pathlib import Path
from typing import Callable, Iterable, Mapping, Optional

from ..allocate.subnets import free_subnets
from .checks import parse_version
from .finding import FAIL, PASS, Finding

VBOX_NETWORKS_CONF = "/etc/vbox/networks.conf"
VBOX_DEFAULT_HOSTONLY = IPv4Network("192.168.56.0/21")   # allowed without networks.conf
VBOX_RESTRICTED_SINCE = (6, 1, 28)


def parse_vbox_networks_conf(text: str) -> list:
    """The IPv4 ranges of /etc/vbox/networks.conf: lines like `* 10.0.0.0/8 192.168.0.0/16`."""
    nets = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("*"):
            continue
        for token in line[1:].split():
            try:
                net = ipaddress.ip_network(token, strict=False)
            except ValueError:
                continue
            if isinstance(net, IPv4Network):
                nets.append(net)
    return nets


def check_vbox_networks(version: Optional[str], conf_text: Optional[str], subnet: IPv4Network,
                        system: str = "Linux", path: str = VBOX_NETWORKS_CONF) -> Finding:
    """VirtualBox 6.1.28+ on Linux/macOS allows host-only networks only in the ranges of
    networks.conf, or in 192.168.56.0/21 when the file does not exist (conf_text None)."""
    name = "vbox host-only range"
    v = parse_version(version)
    if system not in ("Linux", "Darwin") or v is None or v < VBOX_RESTRICTED_SINCE:
        return Finding(name, PASS, "no host-only range restriction for this VirtualBox/OS")
    allowed = parse_vbox_networks_conf(conf_text) if conf_text is not None \
        else [VBOX_DEFAULT_HOSTONLY]
    source = path if conf_text is not None else f"the default ({path} does not exist)"
    if any(subnet.subnet_of(a) for a in allowed):
        return Finding(name, PASS, f"{subnet} is allowed by {source}")
    line = f"* {subnet}"
    fix = (f"add the line `{line}` to {path}: sudo mkdir -p {Path(path).parent} && "
           f"echo '{line}' | sudo tee -a {path}")
    if conf_text is None:
        fix += (f" (the new file replaces the default {VBOX_DEFAULT_HOSTONLY}; add "
                f"`* {VBOX_DEFAULT_HOSTONLY}` too if other VMs use it), or move private_network "
                f"and the node IPs in lab.yaml into {VBOX_DEFAULT_HOSTONLY}")
    allowed_text = ", ".join(map(str, allowed)) or "nothing"
    return Finding(name, FAIL, f"VirtualBox {'.'.join(map(str, v))} allows host-only networks "
                   f"only in {allowed_text} ({source}); private_network is {subnet}", fix)


# ---- the host's networks ----

def host_networks(ip_addr_json: str, ip_route_json: str) -> list:
    """[(interface, IPv4Network)] from `ip -j -4 addr show` and `ip -j -4 route show`.

    Addresses give their interface's subnet; routes give their destination (a bare address is a
    /32); the default route and routes without a device (blackhole, unreachable) are skipped.
    """
    out = []
    for link in json.loads(ip_addr_json or "[]"):
        for a in link.get("addr_info", []):
            if a.get("family", "inet") != "inet" or "local" not in a:
                continue
            net = IPv4Network(f"{a['local']}/{a.get('prefixlen', 32)}", strict=False)
            out.append((link.get("ifname", "?"), net))
    for r in json.loads(ip_route_json or "[]"):
        dst, dev = r.get("dst"), r.get("dev")
        if not dst or dst == "default" or not dev:
            continue
        try:
            net = IPv4Network(dst, strict=False)
        except ValueError:
            continue
        out.append((dev, net))
    seen, unique = set(), []
    for item in out:
        if item not in seen:
            seen.add(item)
            unique.append(item)
    return unique


def net_info_bridges(text: str) -> list:
    """[(libvirt network, its bridge)] from `virsh net-info NAME` blocks (LC_ALL=C; virsh-network.c
    cmdNetworkInfo: "Name:" first, "Bridge:" only for a network that has one)."""
    out, name = [], None
    for line in (text or "").splitlines():
        label, _, value = line.partition(":")
        if label == "Name":
            name = value.strip()
        elif label == "Bridge" and name and value.strip():
            out.append((name, value.strip()))
    return out


def free_subnet(used: Iterable, prefer: Iterable = ()) -> Optional[IPv4Network]:
    """A /24 in 192.168.0.0/16 that overlaps none of used; those in prefer first."""
    found = free_subnets(used, 1, prefer)
    return found[0] if found else None


def check_subnet_clash(lab_subnets: dict, networks: list, ignore: Iterable = (),
                       avoid: Iterable = (), prefer: Iterable = (), node_ips: Iterable = (),
                       server: str = "", fixes: Optional[Mapping[str, Callable]] = None) -> list:
    """lab_subnets: {lab.yaml key: network}, e.g. {"private_network": ..., "libvirt.management_network": ...}.
    networks: host_networks(). ignore: interfaces the lab itself created (its libvirt bridges).
    avoid: other ranges the suggestion must not overlap (the lab's other ranges). prefer: /24s
    to suggest first. node_ips: the nodes' addresses, moved into the suggestion in the fix.
    server: the lab server whose networks these are, named in each finding ("": this host).
    fixes: key -> fix(example) for a subnet not set in lab.yaml (a copy's, kept in class.json)."""
    ignore, node_ips = set(ignore), list(node_ips)
    host = [(i, n) for i, n in networks if i not in ignore]
    out, suggested = [], []  # one fix's subnet is taken for the next: two fixes never collide
    for key, subnet in lab_subnets.items():
        clashes = [(i, n) for i, n in host if n.overlaps(subnet)]
        check = f"server {server}: {key} free" if server else f"{key} free"
        if not clashes:
            out.append(Finding(check, PASS, f"{subnet} overlaps no "
                               + (f"network of server {server}" if server else "host network")))
            continue
        ifaces = []
        for i, n in clashes:
            if f"{i} ({n})" not in ifaces:
                ifaces.append(f"{i} ({n})")
        used = [n for _, n in networks] + list(avoid) + suggested + \
            [s for k, s in lab_subnets.items() if k != key]
        new = free_subnet(used, prefer)
        if new is not None:
            suggested.append(new)
        detail = f"{key} {subnet} overlaps {f'server {server}' if server else 'the host'}'s " \
            + ", ".join(ifaces)
        if subnet == IPv4Network("192.168.0.0/24"):
            detail += " (192.168.0.0/24 is a common home and classroom LAN)"
        example = "192.168.<n>.0/24" if new is None else str(new)
        if fixes and key in fixes:
            fix = fixes[key](example)
        elif key == "private_network":
            fix = f"change private_network and the node IPs in lab.yaml, e.g. to {example}"
            if new is not None and new.prefixlen == subnet.prefixlen and node_ips:
                moved = [str(new.network_address + (int(ip) - int(subnet.network_address)))
                         for ip in node_ips]
                fix += f" (node IPs {', '.join(moved)})"
        else:
            fix = f"change {key} in lab.yaml, e.g. to {example}"
        out.append(Finding(check, FAIL, detail, fix))
    return out
