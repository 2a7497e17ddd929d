"""Parsers of the smoke tests' outputs: pure functions from text to small dataclasses.

Each raises ValueError with the offending text when it cannot read its input (the checks
runner reports that as evidence). Formats are those of the tutorial's tools (etcdctl v2
`member list` / `cluster-health`, flannel's /run/flannel/subnet.env and mk-docker-opts.sh's
/run/flannel/docker, iputils `ping`, `kubectl get nodes` as a table
and `-o json`, `systemctl status`, glibc `getent ahostsv4`, net-tools `ifconfig`
and `netstat`, kubectl's pods and events as JSON); tests/captured/ holds real
outputs of each.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from ipaddress import IPv4Interface, IPv4Network
from typing import Dict, List, Optional

# the node's generic facts (addresses, units, HTTP) have their parsers in k8slab.facts
from k8slab.facts.text import excerpt as _excerpt, lines as _lines

__all__ = [
    "Member", "MemberHealth", "Health", "Lease", "DockerOpts", "Ping", "KubeNode",
    "parse_member_list", "parse_cluster_health", "parse_env", "parse_subnet_env", "parse_docker_opts",
    "parse_ping", "parse_kubectl_nodes", "parse_kubectl_nodes_json",
    "GETENT_MARKER", "parse_getent_ahosts", "Ifconfig", "Socket", "Pod", "parse_ifconfig",
    "parse_netstat", "parse_systemctl_status", "parse_kubectl_pods_json", "parse_kubectl_events_json",
]


def _bool(value: str, what: str) -> bool:
    v = value.strip().strip('"').lower()
    if v in ("true", "1", "yes"):
        return True
    if v in ("false", "0", "no"):
        return False
    raise ValueError(f"{what}: {value!r} is not true/false")


def _int(value: str, what: str) -> int:
    try:
        return int(value.strip().strip('"'))
    except ValueError:
        raise ValueError(f"{what}: {value!r} is not a number") from None


def _urls(value: str) -> List[str]:
    return [u for u in value.split(",") if u]


# --- etcdctl (v2 API) ----------------------------------------------------------------------

@dataclass
class Member:
    id: str
    name: str
    peer_urls: List[str]
    client_urls: List[str]
    is_leader: bool


_MEMBER = re.compile(r"^(?P<id>[0-9a-f]+)(?P<unstarted>\[unstarted\])?:\s*(?P<rest>.*)$")
_FIELD = re.compile(r"(\w+)=(\S*)")


def parse_member_list(text: str) -> List[Member]:
    """`etcdctl member list` (v2):
    `8e9e05c52164694d: name=default peerURLs=http://localhost:2380 clientURLs=http://192.168.0.15:2379 isLeader=true`
    (a member added but never started: `<id>[unstarted]: peerURLs=...`)."""
    members = []
    for line in _lines(text):
        m = _MEMBER.match(line)
        if not m and "etcd cluster is unavailable" in line:
            raise ValueError(f"etcdctl member list: no etcd member answered: {line}")
        if not m:
            raise ValueError(f"not an etcdctl member list line: {line!r} (in {_excerpt(text)})")
        fields = dict(_FIELD.findall(m.group("rest")))
        if "peerURLs" not in fields:
            raise ValueError(f"etcd member line without peerURLs: {line!r}")
        members.append(Member(
            id=m.group("id"),
            name=fields.get("name", ""),
            peer_urls=_urls(fields.get("peerURLs", "")),
            client_urls=_urls(fields.get("clientURLs", "")),
            is_leader=_bool(fields["isLeader"], "isLeader") if "isLeader" in fields else False,
        ))
    return members


@dataclass
class MemberHealth:
    id: str
    healthy: bool
    url: str
    message: str = ""


@dataclass
class Health:
    healthy: bool
    members: List[MemberHealth] = field(default_factory=list)
    message: str = ""          # the verdict line or etcdctl's error


_HEALTH = [
    (re.compile(r"^member (?P<id>\S+) is healthy: got healthy result from (?P<url>\S+)$"), True),
    (re.compile(r"^member (?P<id>\S+) is unhealthy: (?P<msg>got unhealthy result) from (?P<url>\S+)$"), False),
    (re.compile(r"^failed to check the health of member (?P<id>\S+) on (?P<url>\S+?): (?P<msg>.*)$"), False),
    (re.compile(r"^member (?P<id>\S+) is unreachable: (?P<msg>.*)$"), False),
]
_VERDICT = re.compile(r"^cluster (is (?P<state>healthy|degraded|unavailable|unhealthy)|may be unhealthy.*)$")
_ERROR = re.compile(r"^Error:\s*(?P<msg>.*)$")
_ERROR_N = re.compile(r"^error #\d+: ")


def parse_cluster_health(text: str) -> Health:
    """`etcdctl cluster-health` (v2), stdout and stderr together.

    Healthy: `member X is healthy: got healthy result from URL` + `cluster is healthy`.
    Broken: `member X is unhealthy: got unhealthy result from URL` (no leader),
    `failed to check the health of member X on URL: Get ...: dial tcp ...: connect: connection refused`,
    `member X is unreachable: [URL] are all unreachable` / `: no available published client urls`,
    `cluster is degraded` / `cluster is unavailable`, and when no member answers at all
    `cluster may be unhealthy: failed to list members` +
    `Error:  client: etcd cluster is unavailable or misconfigured; error #0: dial tcp ...`.
    """
    members: Dict[str, MemberHealth] = {}
    verdict: Optional[bool] = None
    message = ""
    error = ""
    for line in _lines(text):
        for pattern, healthy in _HEALTH:
            m = pattern.match(line)
            if m:
                mid = m.group("id")
                gd = m.groupdict()
                url = gd.get("url") or ""
                if url.startswith("[") and url.endswith("]"):
                    url = url[1:-1]
                msg = gd.get("msg") or ("" if healthy else line)
                if mid in members:      # `failed to check` then `is unreachable`: one member
                    old = members[mid]
                    old.healthy = old.healthy and healthy
                    old.url = old.url or url
                    old.message = "; ".join(x for x in (old.message, msg) if x)
                else:
                    members[mid] = MemberHealth(mid, healthy, url, msg)
                break
        else:
            m = _VERDICT.match(line)
            if m:
                verdict = m.group("state") == "healthy"
                message = line
                continue
            m = _ERROR.match(line)
            if m:
                error = m.group("msg").strip()
                continue
            if _ERROR_N.match(line):
                continue        # etcdctl repeats `error #0: ...` after the Error: line
            if verdict is None and not members:
                raise ValueError(f"not etcdctl cluster-health output: {line!r} (in {_excerpt(text)})")
    if verdict is None and not error:
        if not members:
            raise ValueError(f"no etcdctl cluster-health verdict in {_excerpt(text)}")
        verdict = False
        message = "no `cluster is ...` line"
    healthy = bool(verdict) and not error and all(m.healthy for m in members.values())
    if error:
        message = f"{message}; {error}" if message else error
    return Health(healthy=healthy, members=list(members.values()), message=message)


# --- flannel ---------------------------------------------------------------------------------

def parse_env(text: str) -> Dict[str, str]:
    """KEY=value / KEY="value" lines (later wins); other non-comment lines are an error."""
    env = {}
    for line in _lines(text):
        if line.startswith("#"):
            continue
        m = re.match(r'^(?:export\s+)?([A-Za-z_]\w*)=(.*)$', line)
        if not m:
            raise ValueError(f"not a KEY=value line: {line!r} (in {_excerpt(text)})")
        value = m.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        env[m.group(1)] = value
    return env


@dataclass
class Lease:
    network: IPv4Network
    subnet: IPv4Interface       # e.g. 10.255.21.1/24: docker0's address and the node's /24
    mtu: int
    ipmasq: bool
    env: Dict[str, str] = field(default_factory=dict, compare=False)   # every line, as read


def parse_subnet_env(text: str) -> Lease:
    """/run/flannel/subnet.env, written by flanneld once it holds a lease."""
    env = parse_env(text)
    missing = [k for k in ("FLANNEL_NETWORK", "FLANNEL_SUBNET", "FLANNEL_MTU") if k not in env]
    if missing:
        raise ValueError(f"subnet.env lacks {', '.join(missing)}: {_excerpt(text)}")
    try:
        network = IPv4Network(env["FLANNEL_NETWORK"])
        subnet = IPv4Interface(env["FLANNEL_SUBNET"])
    except ValueError as e:
        raise ValueError(f"subnet.env: {e}") from None
    return Lease(network=network, subnet=subnet, mtu=_int(env["FLANNEL_MTU"], "FLANNEL_MTU"),
                 ipmasq=_bool(env.get("FLANNEL_IPMASQ", "false"), "FLANNEL_IPMASQ"), env=env)


@dataclass
class DockerOpts:
    bip: IPv4Interface
    mtu: Optional[int]
    ip_masq: Optional[bool]
    options: str                # DOCKER_NETWORK_OPTIONS, stripped
    env: Dict[str, str] = field(default_factory=dict, compare=False)   # every line, as read


def _opt(tokens: List[str], name: str) -> Optional[str]:
    value = None
    for t in tokens:
        if t.startswith(f"--{name}="):
            value = t.split("=", 1)[1]
    return value


def parse_docker_opts(text: str) -> DockerOpts:
    """/run/flannel/docker, written by mk-docker-opts.sh (DOCKER_OPT_BIP, DOCKER_OPT_IPMASQ,
    DOCKER_OPT_MTU and DOCKER_NETWORK_OPTIONS; with -c only the last)."""
    env = parse_env(text)
    options = env.get("DOCKER_NETWORK_OPTIONS", "").strip()
    tokens = options.split()
    for key in ("DOCKER_OPT_BIP", "DOCKER_OPT_IPMASQ", "DOCKER_OPT_MTU"):
        tokens += env.get(key, "").split()
    bip = _opt(tokens, "bip")
    if bip is None:
        raise ValueError(f"no --bip in /run/flannel/docker: {_excerpt(text)}")
    try:
        bip_if = IPv4Interface(bip)
    except ValueError as e:
        raise ValueError(f"/run/flannel/docker: --bip={bip}: {e}") from None
    mtu = _opt(tokens, "mtu")
    masq = _opt(tokens, "ip-masq")
    return DockerOpts(bip=bip_if, mtu=_int(mtu, "--mtu") if mtu is not None else None,
                      ip_masq=_bool(masq, "--ip-masq") if masq is not None else None,
                      options=options, env=env)


# --- ping ------------------------------------------------------------------------------------

@dataclass
class Ping:
    transmitted: int
    received: int
    loss_pct: float
    ttl: Optional[int]
    error: str = ""             # `ping: connect: Network is unreachable`, unknown host, ...


_PING_STATS = re.compile(
    r"(?P<tx>\d+) packets transmitted, (?P<rx>\d+)(?: packets)? received,"
    r"(?: \+\d+ \w+,)* (?P<loss>[\d.]+)% packet loss")
_PING_REPLY = re.compile(r"bytes from .*?\bttl=(?P<ttl>\d+)")
_PING_ERROR = re.compile(r"^ping: (?P<msg>.+)$")


def parse_ping(text: str) -> Ping:
    """iputils/busybox `ping`: the statistics line, the first reply's ttl. Without statistics:
    a `ping: ...` error (0 sent, 100% loss) or replies alone (a transcript cut short)."""
    ttl = None
    replies = 0
    error = ""
    for line in _lines(text):
        m = _PING_REPLY.search(line)
        if m:
            replies += 1
            if ttl is None:
                ttl = int(m.group("ttl"))
            continue
        m = _PING_ERROR.match(line)
        if m and not error:
            error = m.group("msg").strip()
    m = _PING_STATS.search(text or "")
    if m:
        return Ping(int(m.group("tx")), int(m.group("rx")), float(m.group("loss")), ttl, error)
    if error:
        return Ping(0, 0, 100.0, None, error)
    if replies:
        return Ping(replies, replies, 0.0, ttl)
    raise ValueError(f"no ping statistics, reply or error in {_excerpt(text)}")


# --- kubectl ---------------------------------------------------------------------------------

@dataclass
class KubeNode:
    name: str
    status: str
    ready: bool
    roles: Optional[str] = None
    age: Optional[str] = None
    version: Optional[str] = None
    message: str = ""           # -o json only: the Ready condition's message when not Ready


def _node_ready(status: str) -> bool:
    parts = status.split(",")
    return "Ready" in parts and "NotReady" not in parts


def parse_kubectl_nodes(text: str) -> List[KubeNode]:
    """`kubectl get nodes`: `NAME STATUS AGE` (1.5), `NAME STATUS ROLES AGE VERSION`
    (1.8+, also -o wide) or `NAME LABELS STATUS AGE` (1.1); `No resources found.` gives []."""
    raw_lines = [l.rstrip() for l in (text or "").splitlines() if l.strip()]
    if not raw_lines:
        raise ValueError("kubectl get nodes printed nothing")
    if any(l.strip().startswith("No resources found") for l in raw_lines):
        # kubectl 1.5 also prints it next to connection errors (kubernetes/kubernetes#35092)
        if all(l.strip().startswith("No resources found") for l in raw_lines):
            return []
        raise ValueError(f"kubectl get nodes: an error besides `No resources found`: {_excerpt(text)}")
    header = raw_lines[0]
    columns = header.split()
    if columns[:1] != ["NAME"] or "STATUS" not in columns:
        raise ValueError(f"not a `kubectl get nodes` table: {_excerpt(text)}")
    starts = [m.start() for m in re.finditer(r"\S+", header)]
    nodes = []
    for line in raw_lines[1:]:
        cells = line.split()
        if len(cells) != len(columns):       # a cell with spaces (OS-IMAGE): header offsets
            cells = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
        if len(cells) != len(columns) or not (cells[0] and cells[columns.index("STATUS")]):
            raise ValueError(f"kubectl get nodes: cannot read {line!r} under {header!r}")
        row = dict(zip(columns, cells))
        nodes.append(KubeNode(name=row["NAME"], status=row["STATUS"],
                              ready=_node_ready(row["STATUS"]), roles=row.get("ROLES"),
                              age=row.get("AGE"), version=row.get("VERSION")))
    return nodes


def parse_kubectl_nodes_json(text: str) -> List[KubeNode]:
    """`kubectl get nodes -o json` (1.5 and 1.20 alike): a List whose items are Nodes.

    A node is Ready when its Ready condition has status "True"; the status string is the one the
    table prints: "NotReady" for "False" or "Unknown", "Unknown" without a Ready condition.
    (kubectl 1.5 also writes `No resources found.` on stderr for an empty list; stdout still
    holds the empty List.)"""
    try:
        doc = json.loads(text)
        items = doc["items"] or []
        nodes = []
        for item in items:
            ready = [c for c in item.get("status", {}).get("conditions") or [] if c.get("type") == "Ready"]
            status = ("Ready" if ready[0].get("status") == "True" else "NotReady") if ready else "Unknown"
            message = ready[0].get("message", "") if ready and status != "Ready" else ""
            nodes.append(KubeNode(name=item["metadata"]["name"], status=status, ready=status == "Ready",
                                  version=item.get("status", {}).get("nodeInfo", {}).get("kubeletVersion"),
                                  message=message))
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"not `kubectl get nodes -o json` output ({type(e).__name__}: {e}): "
                         f"{_excerpt(text)}") from None
    return nodes


# --- getent ----------------------------------------------------------------------------------

GETENT_MARKER = "=="   # checks/base.py prints `== NAME` before each name's `getent ahostsv4 NAME`
_GETENT = re.compile(r"^(?P<ip>\d+\.\d+\.\d+\.\d+)\s+(?:STREAM|DGRAM|RAW)\b")


def parse_getent_ahosts(text: str) -> Dict[str, List[str]]:
    """`== NAME` marker lines, each followed by glibc's `getent ahostsv4 NAME`
    (`192.168.0.15    STREAM k8s-master`, then DGRAM and RAW lines per address; nothing when
    the name does not resolve): {name: [distinct addresses in getent's order]}."""
    result: Dict[str, List[str]] = {}
    current = None
    for line in _lines(text):
        if line.startswith(GETENT_MARKER + " "):
            current = line[len(GETENT_MARKER) + 1:].strip()
            result[current] = []
            continue
        m = _GETENT.match(line)
        if not m or current is None:
            raise ValueError(f"not `getent ahostsv4` output: {line!r} (in {_excerpt(text)})")
        if m.group("ip") not in result[current]:
            result[current].append(m.group("ip"))
    if not result:
        raise ValueError(f"no `{GETENT_MARKER} NAME` line in {_excerpt(text)}")
    return result


# --- net-tools (the tutorial's own commands) -------------------------------------------------

@dataclass
class Ifconfig:
    name: str
    flags: List[str]
    mtu: int
    inet: Optional[str] = None          # the address, without a prefix
    netmask: Optional[str] = None


_IFC_HEAD = re.compile(r"^(?P<name>[^\s:]+): flags=\d+<(?P<flags>[^>]*)>\s+mtu (?P<mtu>\d+)")
_IFC_INET = re.compile(r"^\s+inet (?P<ip>\d+\.\d+\.\d+\.\d+)\s+netmask (?P<mask>\d+\.\d+\.\d+\.\d+)")


def parse_ifconfig(text: str) -> Dict[str, Ifconfig]:
    """net-tools 2.x `ifconfig` (CentOS 7's and Debian 12's): a block per interface opening with
    `flannel0: flags=4305<UP,POINTOPOINT,RUNNING,NOARP,MULTICAST>  mtu 1472`, then `inet ...`."""
    found: Dict[str, Ifconfig] = {}
    current = None
    for line in (text or "").splitlines():
        head = _IFC_HEAD.match(line)
        if head:
            current = Ifconfig(head.group("name"), head.group("flags").split(","), int(head.group("mtu")))
            found[current.name] = current
            continue
        inet = _IFC_INET.match(line)
        if inet and current and current.inet is None:
            current.inet, current.netmask = inet.group("ip"), inet.group("mask")
    if not found:
        raise ValueError(f"not ifconfig output: {_excerpt(text)}")
    return found


@dataclass
class Socket:
    proto: str
    local: str                          # ip:port
    remote: str
    state: str                          # LISTEN, ESTABLISHED, ... ("" for udp)
    program: str                        # "14664/etcd"; "-" when netstat may not tell


_NETSTAT = re.compile(r"^(?P<proto>tcp6?|udp6?)\s+\d+\s+\d+\s+(?P<local>\S+)\s+(?P<remote>\S+)\s+"
                      r"(?:(?P<state>[A-Z_0-9]+)\s+)?(?P<program>\d+/\S+|-)\s*$")


def parse_netstat(text: str) -> List[Socket]:
    """`netstat -anutp` lines (the tutorial greps them): proto, queues, local, foreign, state,
    PID/program. Lines of another shape (headers) are skipped; none at all is an error."""
    sockets = []
    for line in _lines(text):
        m = _NETSTAT.match(line)
        if m:
            sockets.append(Socket(m.group("proto"), m.group("local"), m.group("remote"),
                                  m.group("state") or "", m.group("program")))
    if not sockets:
        raise ValueError(f"no netstat socket lines: {_excerpt(text)}")
    return sockets


_STATUS_UNIT = re.compile(r"^\S*\s*(?P<unit>[\w@.-]+?)(?:\.service)? - ")
_STATUS_ACTIVE = re.compile(r"^\s+Active: (?P<state>\S+)(?: \((?P<sub>[^)]+)\))?")


def parse_systemctl_status(text: str) -> Dict[str, str]:
    """`systemctl status UNIT...`: each unit's `Active:` line, as "active (running)"."""
    states: Dict[str, str] = {}
    unit = None
    for line in (text or "").splitlines():
        head = _STATUS_UNIT.match(line)
        if head and not line.startswith(" "):
            unit = head.group("unit")
            continue
        active = _STATUS_ACTIVE.match(line)
        if active and unit and unit not in states:
            states[unit] = active.group("state") + (f" ({active.group('sub')})" if active.group("sub") else "")
    if not states:
        raise ValueError(f"no unit with an Active: line in systemctl status: {_excerpt(text)}")
    return states


# --- kubectl pods and events ------------------------------------------------------------------

@dataclass
class Pod:
    name: str
    node: str                           # spec.nodeName ("" until scheduled)
    phase: str
    ip: str
    reason: str = ""                    # why a container waits (ContainerCreating, ErrImagePull...)


def parse_kubectl_pods_json(text: str) -> List[Pod]:
    """`kubectl get pods -o json`: a List of Pods (1.5 and 1.20 alike)."""
    try:
        items = json.loads(text)["items"]
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"not `kubectl get pods -o json`: {_excerpt(text)}") from None
    pods = []
    for item in items or []:
        status, spec = item.get("status", {}), item.get("spec", {})
        waiting = [cs.get("state", {}).get("waiting", {}) for cs in status.get("containerStatuses", [])]
        reason = next((w.get("reason", "") for w in waiting if w), "")
        pods.append(Pod(item["metadata"]["name"], spec.get("nodeName", ""), status.get("phase", ""),
                        status.get("podIP", ""), reason))
    return pods


FAILURE_REASONS = ("Failed", "Err", "BackOff", "Evicted")


def parse_kubectl_events_json(text: str) -> Dict[str, List[str]]:
    """`kubectl get events -o json`: object name -> "Reason: message" lines, one per reason (its
    latest), failures first (FailedCreatePodSandBox, ErrImagePull, BackOff...), then the rest,
    newest first: what tells why a pod does not start leads, however many warnings repeat."""
    try:
        items = json.loads(text)["items"]
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"not `kubectl get events -o json`: {_excerpt(text)}") from None
    latest: Dict[str, Dict[str, tuple]] = {}
    for e in items or []:
        name = e.get("involvedObject", {}).get("name", "")
        when = e.get("lastTimestamp") or e.get("eventTime") or ""
        reason = e.get("reason", "")
        if when >= latest.setdefault(name, {}).get(reason, ("",))[0]:
            latest[name][reason] = (when, f"{reason}: {' '.join(e.get('message', '').split())}")
    out = {}
    for name, by in latest.items():
        newest = sorted(by.items(), key=lambda kv: kv[1][0], reverse=True)
        ordered = sorted(newest, key=lambda kv: not kv[0].startswith(FAILURE_REASONS))   # stable
        out[name] = [line for _, (_, line) in ordered]
    return out
