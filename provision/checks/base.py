"""The base stage's checks (tutorial 1): private IP, names, firewall off, time sync, on every node."""
from __future__ import annotations

import shlex

from k8slab.facts.addresses import ADDRESSES, holder
from . import parse
from k8slab.checks.check import check
from .network import judge_active, unit_states

HOSTS_HINT = ("the base stage writes /etc/hosts: every lab name on its private IP, the node's own "
              "name off the loopback lines; `invoke up` repairs it")
# The ActiveStates in which firewalld filters packets (the base stage's `firewall off` stops it in them).
FIREWALL_ON = ("active", "activating", "reloading")


def resolve_command(names) -> str:
    """All names in one round trip. getent's ahosts lines name the canonical name, not the one
    asked for, and a name that does not resolve prints nothing: hence a marker line per name.
    ahostsv4 (getaddrinfo, as the services resolve) lists every address, not just the first."""
    quoted = " ".join(shlex.quote(n) for n in names)
    return f'for n in {quoted}; do echo "{parse.GETENT_MARKER} $n"; getent ahostsv4 "$n"; done'


def judge_names(result, lab):
    """Every lab name and alias resolves to its node's private IP, and to nothing else."""
    found = parse.parse_getent_ahosts(result.stdout)
    wrong = []
    for ip, name in lab.hosts_entries:
        addrs = found.get(name, [])
        if not addrs:
            wrong.append(f"{name} does not resolve")
        elif addrs != [ip]:
            wrong.append(f"{name} resolves to {', '.join(addrs)}, not {ip}")
    if wrong:
        return False, "; ".join(wrong), HOSTS_HINT
    return True, f"{len(lab.hosts_entries)} names resolve to their private IPs", ""


def judge_private_ip(addresses, node):
    iface = holder(addresses, node.ip)
    if iface:
        return True, f"{node.ip} on {iface}", ""
    return False, f"{node.ip} is on no interface", \
        ("the interface came up without it (CentOS 7 does this at times); the base stage "
         "re-raises it: `invoke up`")


def judge_firewall_off(states):
    state = states["firewalld"].active
    if state in FIREWALL_ON:
        return False, f"firewalld {state}", \
            "the tutorial turns the firewall off (etcd, apiserver and flannel ports); `invoke up` stops it"
    return True, f"firewalld {state}", ""


def checks(lab):
    names = [name for _, name in lab.hosts_entries]
    time_service = lab.platform_info.time_service
    batch = []
    for node in lab.nodes:
        units = unit_states(lab, node)
        batch += [
            check("base", "private ip", node.name, ADDRESSES(), lambda a, n=node: judge_private_ip(a, n)),
            check("base", "lab names resolve", node.name, resolve_command(names),
                  lambda r: judge_names(r, lab)),
            check("base", "firewall off", node.name, units, judge_firewall_off),
            check("base", "time sync", node.name, units,
                  lambda s, n=node.name: judge_active(
                      s, [time_service], f"the base stage starts {time_service}; `invoke ssh {n} "
                                         f"--command 'journalctl -u {time_service} -n 20'`"))]
    yield batch
