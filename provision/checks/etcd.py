"""The tutorial's etcd checks (2.1, 2.3): member list, cluster-health, the flannel key, reachability."""
from __future__ import annotations

import json

from .. import tutorial
from k8slab.facts import http
from . import parse
from k8slab.checks.check import check

NOT_RUNNING = ("etcd does not answer on the master: is it running? "
               "`invoke ssh {node} --command 'systemctl status etcd; journalctl -u etcd -n 20'`")


# A reachability probe that gets no answer is tried again for this long before it fails: under
# plain emulation on a busy host one 5 s GET can go unanswered by a healthy etcd or apiserver
# (seen once in 41 checks); a service that is really down still fails, REACH_WAIT s later.
REACH_WAIT = 20


def judge_member_list(result, lab):
    if not result.ok:
        return False, "etcdctl member list failed", NOT_RUNNING.format(node=lab.etcd.name)
    members = parse.parse_member_list(result.stdout)
    if len(members) != 1:
        return False, f"{len(members)} members, the tutorial's etcd has one", \
            "an old data dir from another configuration? ETCD_DATA_DIR holds the member list"
    m = members[0]
    if m.client_urls != [lab.etcd_url]:
        return False, f"member {m.name} advertises {', '.join(m.client_urls) or 'nothing'}", \
            f"ETCD_ADVERTISE_CLIENT_URLS should be \"{lab.etcd_url}\" (etcd stage)"
    return True, f"{m.id}: name={m.name} clientURLs={lab.etcd_url}", ""


def judge_cluster_health(result, lab):
    if not result.stdout.strip():
        return False, "etcdctl cluster-health printed nothing", NOT_RUNNING.format(node=lab.etcd.name)
    health = parse.parse_cluster_health(result.stdout + result.stderr)
    if health.healthy and result.ok:
        return True, "cluster is healthy", ""
    sick = [m for m in health.members if not m.healthy]
    detail = "; ".join(f"{m.id} at {m.url}: unhealthy" if m.url else f"{m.id}: {m.message or 'unhealthy'}"
                       for m in sick) or health.message or "cluster is not healthy"
    return False, detail, NOT_RUNNING.format(node=lab.etcd.name)


def judge_flannel_key(result, lab):
    key = tutorial.flannel_key(lab.cluster.flannel_prefix)
    if not result.ok:
        return False, f"{key} is not set", \
            ("the etcd stage writes it (`invoke provision --until etcd`); a key written with "
             "ETCDCTL_API=3 is invisible to flannel, which reads the v2 API")
    try:
        network = json.loads(result.stdout.strip().splitlines()[-1]).get("Network")
    except (ValueError, IndexError, AttributeError):
        return False, f"{key} is not JSON: {result.stdout.strip()[:80]}", \
            "the tutorial warns: a space is needed between the key and '{...}'"
    if network != str(lab.cluster.flannel_network):
        return False, f"{key} has Network {network}, the lab wants {lab.cluster.flannel_network}", \
            "run `invoke provision --until etcd` to rewrite it"
    return True, f"{key} = {result.stdout.strip()}", ""


def judge_reachable(answer, lab, node):
    if '"etcdserver"' in answer.body:
        return True, f"answers at {lab.etcd_url}", ""
    return False, f"no answer from {lab.etcd_url}", \
        (f"from {node}: etcd must listen on {lab.etcd.ip} (ETCD_LISTEN_CLIENT_URLS includes "
         f"http://{lab.etcd.ip}:{tutorial.ETCD_PORT}), the firewall on {lab.etcd.name} must be off, and the "
         f"private network up")


def checks(lab):
    etcdctl = tutorial.etcdctl(lab.etcd_url) + " "
    master = lab.etcd.name
    # Human output on purpose: etcdctl v2's `member list` and `cluster-health` have no JSON form
    # (its -o json covers the key commands only), and the v2 `get` prints the bare value.
    # --no-sync: otherwise etcdctl follows the advertised URL, and a wrong one hides itself.
    yield [check("etcd", "etcd member list", master, etcdctl + "--no-sync member list",
                 lambda r: judge_member_list(r, lab)),
           check("etcd", "etcd cluster-health", master, etcdctl + "cluster-health",
                 lambda r: judge_cluster_health(r, lab)),
           check("etcd", "flannel network key", master,
                 etcdctl + f"get {tutorial.flannel_key(lab.cluster.flannel_prefix)}",
                 lambda r: judge_flannel_key(r, lab)),
           *(check("etcd", "etcd reachable", node.name, http.HTTP(lab.etcd.ip, tutorial.ETCD_PORT, "/version"),
                   lambda r, n=node.name: judge_reachable(r, lab, n), timeout=REACH_WAIT)
             for node in lab.nodes)]
