"""The flannel overlay (2.3, 3.5): flanneld, the leases, flannel0, docker0, and ping across nodes."""
from __future__ import annotations

from ipaddress import IPv4Interface

from .. import tutorial
from k8slab.facts.addresses import ADDRESSES
from k8slab.facts.units import UNITS
from . import parse
from k8slab.checks.check import check

FLANNELD_DOWN = ("flanneld is not active on {node}: it hangs or fails while etcd is unreachable "
                 f"from the node ({{etcd}}) or while FLANNEL_ETCD_PREFIX in {tutorial.FLANNELD_CONF} "
                 "({prefix}) does not match the key written by the etcd stage")


def unit_states(lab, node):
    """The states of every unit verify asks about on node, as one fact: the service checks share
    it, so a node starts systemctl once (each start costs ~1 s on a busy emulated node)."""
    units = ["firewalld", lab.platform_info.time_service, tutorial.FLANNELD]
    if node.has("master"):
        units += tutorial.MASTER_SERVICES
    if node.has("node"):
        units += tutorial.NODE_SERVICES
    units = list(dict.fromkeys(units))
    return UNITS(*units)


def judge_active(states, services, hint):
    """services all active, in the units' states (UNITS' value)."""
    down = [s for s in services if states[s].active != "active"]
    if down:
        return False, ", ".join(f"{s} {states[s].active}" for s in down), hint
    return True, ", ".join(f"{s} active" for s in services), ""


def judge_lease(result, lab, node):
    """The lease flanneld wrote; passed, it is also the check's data (lease_of: the checks that
    need it; `invoke status` shows it)."""
    if not result.ok:
        return (False, f"{tutorial.FLANNEL_SUBNET_ENV} is missing",
                FLANNELD_DOWN.format(node=node, etcd=lab.etcd_url, prefix=lab.cluster.flannel_prefix), {})
    lease = parse.parse_subnet_env(result.stdout)
    network = lab.cluster.flannel_network
    if lease.network != network or not lease.subnet.network.subnet_of(network):
        return (False, f"lease {lease.subnet} (network {lease.network}) is outside {network}",
                "the flannel key in etcd holds another network: run `invoke provision --until etcd`, "
                "then restart flanneld", {})
    return True, f"lease {lease.subnet}, MTU {lease.mtu}", "", lease_data(lease)


def lease_data(lease) -> dict:
    return {"lease": str(lease.subnet), "mtu": lease.mtu, "ipmasq": lease.ipmasq}


def lease_of(data: dict, lab):
    """The Lease a passing lease check found, from its data (inside the lab's flannel network:
    the check passed only so)."""
    return parse.Lease(lab.cluster.flannel_network, IPv4Interface(data["lease"]), data["mtu"], data["ipmasq"])


def judge_leases_differ(leases):
    seen = {}
    for node, lease in leases.items():
        seen.setdefault(lease.subnet.network, []).append(node)
    clashes = [f"{', '.join(nodes)} share {net}" for net, nodes in seen.items() if len(nodes) > 1]
    if clashes:
        return False, "; ".join(clashes), \
            "nodes share a lease when they share a private address (the NAT 10.0.2.15 on eth0): FLANNEL_OPTIONS needs --iface of the private network"
    return True, f"{len(leases)} distinct leases", ""


def judge_flannel0(addresses, lease):
    addrs = addresses.get("flannel0", [])
    inside = [a for a in addrs if a.ip in lease.subnet.network]
    if not inside:
        return False, f"flannel0 has {', '.join(map(str, addrs)) or 'no address'}, lease {lease.subnet}", \
            "flanneld did not configure its device: see `journalctl -u flanneld`"
    return True, f"flannel0 {inside[0]}", ""


def judge_flannel0_up(link, route, lease):
    """What flanneld keeps at run time beside its address: flannel0 up, the overlay routed
    through it (`ip link set flannel0 down` leaves the address and drops the route)."""
    if not link.ok or not link.stdout.strip():
        return False, "flannel0 does not exist", \
            "flanneld makes flannel0 when it starts: `invoke up` restarts flanneld"
    flags = link.stdout.split("<", 1)[-1].split(">", 1)[0].split(",")
    if "UP" not in flags:
        return False, f"flannel0 is down (<{','.join(flags)}>)", \
            "someone ran `ip link set flannel0 down`? `invoke up` restarts flanneld, which raises it"
    if " dev flannel0" not in route.stdout:
        return False, f"no route to {lease.network} through flannel0 " \
                      f"({route.stdout.strip() or 'no route at all'})", \
            "flanneld routes its network through flannel0 when it starts: `invoke up` restarts it"
    return True, f"flannel0 UP, {lease.network} through it", ""


def judge_docker0(docker_file, addresses):
    if not docker_file.ok:
        return False, f"{tutorial.FLANNEL_DOCKER_OPTS} is missing", \
            "flanneld's ExecStartPost (mk-docker-opts.sh) did not run: is flanneld active?"
    bip = parse.parse_docker_opts(docker_file.stdout).bip
    addrs = addresses.get("docker0", [])
    if bip not in addrs:
        return False, f"docker0 has {', '.join(map(str, addrs)) or 'no address'}, the lease wants {bip}", \
            ("docker started before flanneld wrote its lease (the tutorial's reboot): "
             "`invoke provision` removes the old docker0 and restarts docker")
    return True, f"docker0 {bip} = the lease's first address", ""


def judge_ping(result, target, dst):
    p = parse.parse_ping(result.stdout + result.stderr)
    if p.received == 0:
        return False, f"no reply from {target} ({dst}'s docker0), {p.loss_pct:g}% loss", \
            f"the overlay is broken between these nodes: flanneld on both, and {dst}'s docker0 on its lease"
    return True, f"{p.received}/{p.transmitted} replies from {target}" + \
        (f", ttl={p.ttl}" if p.ttl else ""), ""


def checks(lab):
    hint = FLANNELD_DOWN.format(node="{node}", etcd=lab.etcd_url, prefix=lab.cluster.flannel_prefix)
    batch = []
    for node in lab.nodes:
        batch += [check("network", "flanneld active", node.name, unit_states(lab, node),
                        lambda s, n=node.name: judge_active(s, [tutorial.FLANNELD], hint.format(node=n))),
                  check("network", "flannel lease", node.name, f"cat {tutorial.FLANNEL_SUBNET_ENV}",
                        lambda r, n=node.name: judge_lease(r, lab, n))]
    found = yield batch
    leases = {r.node: lease_of(r.data, lab) for r in found if r.check == "flannel lease" and r.passed}
    batch = []
    for node in lab.nodes:
        lease = leases.get(node.name)
        if lease is None:
            continue
        batch += [check("network", "flannel0 address", node.name, ADDRESSES(),
                        lambda r, lease=lease: judge_flannel0(r, lease)),
                  check("network", "flannel0 up", node.name,
                        ["ip -o link show dev flannel0", f"ip -4 route show exact {lab.cluster.flannel_network}"],
                        lambda link, route, lease=lease: judge_flannel0_up(link, route, lease))]
        if node.has("node"):
            batch.append(check("network", "docker0 on the lease", node.name,
                               [f"cat {tutorial.FLANNEL_DOCKER_OPTS}", ADDRESSES()], judge_docker0))
    batch.append(check("network", "leases differ", "all", (), lambda: judge_leases_differ(leases)))
    # The tutorial pings node1's docker0 from node2; every pair finds a broken overlay pair by pair.
    # -i 0.2 (root may): three replies in 0.4 s instead of 2 s, for each of the pairs; -w 5: a
    # slow first reply (ARP, flanneld's user-space forwarding on a busy node) still has 5 s.
    targets = {n.name: leases[n.name].subnet.ip for n in lab.nodes
               if n.has("node") and n.name in leases}
    for src in lab.nodes:
        for dst, ip in targets.items():
            if dst != src.name:
                batch.append(check("ping", f"ping {dst} docker0", src.name, f"ping -c 3 -i 0.2 -w 5 {ip}",
                                   lambda r, ip=ip, dst=dst: judge_ping(r, ip, dst)))
    yield batch
