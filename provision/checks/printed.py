"""The tutorial's own commands, typed as printed, judged against the output the tutorial prints.

The other groups check the lab the way a tool does (ETCDCTL_API=2 set, `ip -o`, kubectl -s):
they pass on a cluster where a student typing the tutorial's lines meets errors it never shows
(etcdctl speaking v3, no `ifconfig`). These run each printed line as root in a login shell
(`su -`: /etc/profile, and /etc/environment through PAM, as a student's root shell has), and
pass when the output has the printed shape: the member line with isLeader=true, `cluster is
healthy`, etcd's listener on the master's IP, flannel0 with MTU 1472, kube-proxy's connections
to the master's :8080, the /run/flannel files, the ping, `kubectl get nodes` with no -s.

Left out, with the reason: `etcdctl mkdir` and `set` (2.3) write the key the etcd stage wrote
(checked as `etcdctl get`), `systemctl restart/enable` change state, `vim` and `scp` edit files
(the file checks and `invoke plan` cover those), `ping` without -c never ends (here -c 3).
"""
from __future__ import annotations

import json
from ipaddress import IPv4Address

from .. import tutorial as t
from k8slab.checks.check import check
from k8slab.checks.typed import TYPED
from . import kube, network, parse

GROUP = "commands"
HINT_UP = "`invoke up` repairs what the stages write"
V2_ONLY = "`etcdctl cluster-health` is a v2 command: etcdctl must default to the v2 API"


def judge_etcd_listener(result, lab):
    if not result.stdout.strip():
        return False, f"nothing listens on :{t.ETCD_PORT} ({result.output[:120] or 'grep found nothing'})", \
            ("etcd is not running on the master, or `netstat` is missing (the base stage installs "
             "net-tools): " + HINT_UP)
    want = f"{lab.etcd.ip}:{t.ETCD_PORT}"
    listen = [s for s in parse.parse_netstat(result.stdout) if s.state == "LISTEN"]
    if not any(s.local == want and s.program.endswith("/etcd") for s in listen):
        return False, f"etcd listens on {', '.join(s.local for s in listen) or 'nothing'}, not {want}", \
            f"ETCD_LISTEN_CLIENT_URLS must include http://{want} (etcd stage): {HINT_UP}"
    return True, f"etcd LISTEN on {want}", ""


def judge_member_list(result, lab):
    members = parse.parse_member_list(result.stdout)   # the v3 table is not this shape: an error
    leaders = [m for m in members if m.is_leader]
    if not result.ok or not leaders:
        return False, f"no member with isLeader=true in {len(members)} line(s)", \
            "etcdctl must speak the v2 API by default (ETCDCTL_API=2 on platforms whose etcd defaults to v3)"
    m = leaders[0]
    return True, f"{m.id}: name={m.name} clientURLs={','.join(m.client_urls)} isLeader=true", ""


def judge_cluster_health(result, lab):
    if "unknown command" in result.output:      # etcdctl speaking v3, which has no such command
        return False, result.output.splitlines()[0], \
            V2_ONLY
    health = parse.parse_cluster_health(result.stdout + result.stderr)
    if result.ok and health.healthy and any(m.url == lab.etcd_url for m in health.members):
        return True, f"got healthy result from {lab.etcd_url}; cluster is healthy", ""
    return False, health.message or result.output[:160], \
        V2_ONLY


def judge_flannel_key(result, lab):
    try:
        network = json.loads(result.stdout.strip()).get("Network")
    except (ValueError, AttributeError):
        network = None
    if network != str(lab.cluster.flannel_network):
        return False, f"printed {result.output[:120] or 'nothing'}", \
            (f"the etcd stage writes {t.flannel_key(lab.cluster.flannel_prefix)} with the v2 API; "
             "the v3 API cannot see it, so etcdctl must default to v2")
    return True, result.stdout.strip(), ""


def judge_status(result, units):
    states = parse.parse_systemctl_status(result.stdout)
    down = [u for u in units if states.get(u) != "active (running)"]
    if down:
        return False, ", ".join(f"{u} {states.get(u, 'not shown')}" for u in down), HINT_UP
    return True, ", ".join(f"{u} active (running)" for u in units), ""


def judge_ifconfig(ifc, env):
    lease = parse.parse_subnet_env(env.stdout)
    devices = parse.parse_ifconfig(ifc.stdout)
    flannel, docker = devices.get("flannel0"), devices.get("docker0")
    wrong = []
    if not flannel:
        wrong.append("no flannel0 (ifconfig lists the interfaces that are up)")
    else:
        if flannel.mtu != lease.mtu or "UP" not in flannel.flags:
            wrong.append(f"flannel0 {'UP' if 'UP' in flannel.flags else 'down'} mtu {flannel.mtu}")
        if not flannel.inet or IPv4Address(flannel.inet) not in lease.subnet.network:
            wrong.append(f"flannel0 inet {flannel.inet or 'none'} outside {lease.subnet.network}")
    if docker and docker.inet != str(lease.subnet.ip):
        wrong.append(f"docker0 inet {docker.inet or 'none'}, the lease wants {lease.subnet.ip}")
    if wrong:
        return False, "; ".join(wrong), \
            "flanneld keeps flannel0 up on its lease and docker0 follows it: " + HINT_UP
    return True, f"flannel0 inet {flannel.inet} mtu {flannel.mtu}" + \
        (f", docker0 inet {docker.inet}" if docker else ""), ""


def judge_proxy_connections(result, lab, node):
    master = f"{lab.master.ip}:{t.APISERVER_PORT}"
    sockets = parse.parse_netstat(result.stdout) if result.stdout.strip() else []
    to_master = [s for s in sockets if s.remote == master and s.state == "ESTABLISHED"
                 and s.local.startswith(f"{node.ip}:") and s.program.endswith("/kube-proxy")]
    if not to_master:
        return False, f"no kube-proxy connection from {node.ip} to {master}", \
            f"kube-proxy reads KUBE_MASTER in {t.KUBE_CONFIG} (nodes stage): {HINT_UP}"
    return True, f"{len(to_master)} kube-proxy connection(s) {node.ip} -> {master}", ""


def judge_flannel_files(listing, docker, env, lab):
    names = listing.stdout.split()
    if sorted(names) != ["docker", "subnet.env"]:
        return False, f"/run/flannel holds {' '.join(names) or 'nothing'}", \
            "flanneld writes subnet.env, and its ExecStartPost (mk-docker-opts.sh) docker"
    opts, lease = parse.parse_docker_opts(docker.stdout), parse.parse_subnet_env(env.stdout)
    keys = ["DOCKER_OPT_BIP", "DOCKER_OPT_IPMASQ", "DOCKER_OPT_MTU", "DOCKER_NETWORK_OPTIONS"]
    missing = [k for k in keys if k not in opts.env]
    if missing or lease.network != lab.cluster.flannel_network or opts.bip != lease.subnet:
        return False, (f"docker lacks {', '.join(missing)}" if missing else
                       f"subnet.env {lease.network} {lease.subnet}, docker --bip={opts.bip}"), \
            "restart flanneld so that it writes both again: " + HINT_UP
    return True, f"docker --bip={opts.bip}, subnet.env FLANNEL_SUBNET={lease.subnet} MTU {lease.mtu}", "", \
        network.lease_data(lease)


def ready_wait(done) -> float:
    """Read with everything else, the student's `kubectl get nodes` may predate the nodes'
    registering: when the nodes group saw them Ready (it waits), ask until this sees it too."""
    ready = any(r.check == "kubectl get nodes" and r.group == "nodes" and r.passed for r in done)
    return kube.READY_TIMEOUT if ready else 0


def checks(lab):
    """The printed commands, in the tutorial's order, each named with its chapter."""
    master = lab.master.name
    key = t.flannel_key(lab.cluster.flannel_prefix)
    units = [*t.MASTER_SERVICES, t.FLANNELD]
    batch = [
        check(GROUP, "2.1 netstat -anutp | grep 2379", master, TYPED(f"netstat -anutp | grep {t.ETCD_PORT}"),
              lambda r: judge_etcd_listener(r, lab)),
        check(GROUP, "2.1 etcdctl member list", master, TYPED("etcdctl member list"),
              lambda r: judge_member_list(r, lab)),
        check(GROUP, "2.1 etcdctl cluster-health", master, TYPED("etcdctl cluster-health"),
              lambda r: judge_cluster_health(r, lab)),
        check(GROUP, f"2.3 etcdctl get {key}", master, TYPED(f"etcdctl get {key}"),
              lambda r: judge_flannel_key(r, lab)),
        check(GROUP, "2.4 systemctl status", master,
              TYPED("systemctl status " + " ".join(units)), lambda r, u=units: judge_status(r, u))]
    env = f"cat {t.FLANNEL_SUBNET_ENV}"
    for node in lab.with_role("node"):
        units = list(t.START_ON_NODES)
        batch += [
            check(GROUP, "3.5 systemctl status", node.name,
                  TYPED("systemctl status " + " ".join(units)), lambda r, u=units: judge_status(r, u)),
            check(GROUP, "3.5 ifconfig", node.name, [TYPED("ifconfig"), env], judge_ifconfig),
            check(GROUP, "3.5 netstat -anutp | grep proxy", node.name, TYPED("netstat -anutp | grep proxy"),
                  lambda r, n=node: judge_proxy_connections(r, lab, n)),
            check(GROUP, "4 /run/flannel files", node.name,
                  [TYPED("cd /run/flannel/ && ls"), TYPED("cat /run/flannel/docker"),
                   TYPED(f"cat {t.FLANNEL_SUBNET_ENV}")],
                  lambda a, b, e: judge_flannel_files(a, b, e, lab))]
    found = yield batch
    leases = {r.node: network.lease_of(r.data, lab) for r in found
              if r.check == "4 /run/flannel files" and r.passed}
    # 4: node2 pings node1's docker0 (the lease its /run/flannel files showed); with other names, the last
    # node pings the first
    nodes = lab.with_role("node")
    batch = []
    if len(nodes) >= 2 and nodes[0].name in leases:
        ip = leases[nodes[0].name].subnet.ip
        batch.append(check(GROUP, f"4 ping {nodes[0].name} docker0", nodes[-1].name, TYPED(f"ping -c 3 {ip}"),
                           lambda r: network.judge_ping(r, ip, nodes[0].name)))
    batch.append(check(GROUP, "4 kubectl get nodes", master, TYPED("kubectl get nodes"),
                       lambda r: kube.judge_nodes_ready(r, lab), timeout=ready_wait))
    yield batch
