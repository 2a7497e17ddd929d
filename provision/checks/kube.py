"""Kubernetes checks (2.4, 3, 4): master services and apiserver, node services, `kubectl get nodes`."""
from __future__ import annotations

import json
import shlex

from .. import tutorial
from . import parse
from k8slab.checks.check import check
from k8slab.facts import http
from .etcd import REACH_WAIT
from .network import judge_active, unit_states

MASTER = list(tutorial.MASTER_SERVICES)
NODE = list(tutorial.NODE_SERVICES)
READY_TIMEOUT = 180  # seconds: kubelets register a while after they start


def judge_apiserver(answer, lab, node):
    if answer.status == 200 and answer.body.strip() == "ok":
        return True, f"{lab.apiserver_url}/healthz ok", ""
    return False, f"no healthy answer from {lab.apiserver_url}/healthz", \
        (f"from {node}: kube-apiserver must run on {lab.master.name} with "
         f"--insecure-bind-address=0.0.0.0 (KUBE_API_ADDRESS) and reach etcd at {lab.etcd_url}")


def _nodes(result):
    """The nodes kubectl listed. verify asks for `-o json`; the table form (the tutorial's and
    later kubectls' transcripts in tests/captured) is read too, and judged the same way."""
    if result.stdout.lstrip().startswith("{"):
        return parse.parse_kubectl_nodes_json(result.stdout)
    # The table: "No resources found." goes to stderr (stdout stays empty) when no node registered.
    return parse.parse_kubectl_nodes(result.stdout if result.stdout.strip() else result.stderr)


def judge_nodes_ready(result, lab):
    expected = [n.name for n in lab.with_role("node")]
    if not result.ok:
        return False, "kubectl get nodes failed", f"is kube-apiserver answering at {lab.apiserver_url}?"
    listed = {n.name: n for n in _nodes(result)}
    missing = [n for n in expected if n not in listed]
    not_ready = [n for n in expected if n in listed and not listed[n].ready]
    if missing or not_ready:
        parts = [f"{n} not registered" for n in missing] + \
                [f"{n} {listed[n].status}" + (f" ({listed[n].message})" if listed[n].message else "")
                 for n in not_ready]
        return False, "; ".join(parts), \
            ("a node registers with --hostname-override in /etc/kubernetes/kubelet and "
             "--api-servers pointing at the master; NotReady means kubelet inactive or docker down "
             "on that node: `invoke ssh NODE --command 'systemctl status kubelet docker'`")
    return True, f"{', '.join(expected)} Ready", ""


DOCKER_DOWN = "docker is not running"


def image_inspect(image: str) -> str:
    """docker's JSON about one image (the same read for verify and the start stage's step).
    Only while docker runs: asking its socket would start it (Debian's docker.socket), and with
    it flanneld (docker's unit requires it): a read must not repair what it is checking."""
    return (f"if systemctl is-active --quiet docker; then docker image inspect {shlex.quote(image)}; "
            f"else echo {shlex.quote(DOCKER_DOWN)} >&2; exit 3; fi")


def docker_down(result) -> bool:
    """image_inspect's answer when docker does not run (its guard, or docker's own refusal)."""
    return DOCKER_DOWN in result.output or "Cannot connect to the Docker daemon" in result.output


def judge_infra_image(result, image, node):
    """The pod infrastructure image kubelet starts every pod with is in docker's images."""
    if result.ok:
        found = json.loads(result.stdout)[0]
        return True, f"{image} present ({found['Id'][7:19]}, {found.get('Size', 0) // 1024} KiB)", ""
    why = DOCKER_DOWN if docker_down(result) else f"{image} is not in docker's images"
    return False, why, \
        (f"without it no pod starts on {node} (kubelet would pull it from a registry CentOS 7's "
         "docker refuses): the start stage imports k8s-lab's own, `invoke up`")


def master_checks(lab):
    yield [check("master", "master services active", lab.master.name, unit_states(lab, lab.master),
                 lambda s: judge_active(s, MASTER, f"`invoke ssh {lab.master.name} --command "
                                                   f"'journalctl -u kube-apiserver -n 20'`; apiserver needs etcd")),
           *(check("master", "apiserver reachable", node.name,
                   http.HTTP(lab.master.ip, tutorial.APISERVER_PORT, "/healthz"),
                   lambda r, n=node.name: judge_apiserver(r, lab, n), timeout=REACH_WAIT)
             for node in lab.nodes)]


def ready_wait(done) -> float:
    """How long `kubectl get nodes` waits for Ready: only while every kubelet runs (one that is
    down stays NotReady), as the node services checks before it found."""
    services = [r for r in done if r.check == "node services active"]
    return READY_TIMEOUT if all(r.passed for r in services) else 0


def node_checks(lab):
    batch = []
    for node in lab.with_role("node"):
        batch += [check("nodes", "node services active", node.name, unit_states(lab, node),
                        lambda s, n=node.name: judge_active(
                            s, NODE, f"`invoke ssh {n} --command 'journalctl -u kubelet -n 20'`; "
                                     f"kubelet requires docker")),
                  check("nodes", "infra image", node.name, image_inspect(lab.cluster.pod_infra_image),
                        lambda r, n=node.name: judge_infra_image(r, lab.cluster.pod_infra_image, n))]
    # -o json: names and the Ready condition as data, in kubectl 1.5 (the tutorial's) and 1.20 alike.
    batch.append(check("nodes", "kubectl get nodes", lab.master.name,
                       f"kubectl -s {lab.apiserver_url} get nodes -o json",
                       lambda r: judge_nodes_ready(r, lab), timeout=ready_wait))
    yield batch
