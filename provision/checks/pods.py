"""The pods check, beyond the tutorial (`invoke verify --pods`, `invoke up --pods`): what the
cluster is for, a pod on each node, reaching the other over flannel.

One pod pinned to each node (nodeSelector kubernetes.io/hostname, so the scheduler places it),
both Running, each pod's IP inside its node's flannel lease, then each pod pings the other's IP
(`kubectl exec`, as a student would), and the pods are deleted. A pod that does not start fails
with its node, its events and a hint (the infra image, the test image's pull, the scheduler).

On request, not in every verify: it writes to the cluster (pods a student sees in `kubectl get
pods` while it runs), on centos7 docker pulls its test image from a registry, and it takes tens
of seconds (docs/benchmarks.md). verify says when it was not run.

The test image is the lab's `pods_check.image`: pulled by docker on centos7; on the test
platform (no registry) the guest's static busybox imported under that name, once.
"""
from __future__ import annotations

import json
import shlex
import time
from ipaddress import IPv4Address

from .. import tutorial as t
from . import parse

GROUP = "pods"
LABEL_KEY, LABEL_VALUE = "k8s-lab-check", "pods"


def pod_name(node) -> str:
    return f"k8s-lab-check-{node.name}"


def tolerations(seconds: int) -> list:
    """Stay bound through a node's short NotReady (its kubelet restarted by `up`'s repair).

    The tutorial's `--admission-control=AlwaysAdmit` replaces the default admission plugins, so
    DefaultTolerationSeconds (300 s for these two taints) is off: without these, the taint
    manager deletes the pod the moment its node turns NotReady, and the check would wait for a
    pod that no longer exists (seen on the test VMs after a repair restarted node2's kubelet)."""
    return [{"key": f"node.kubernetes.io/{taint}", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": seconds} for taint in ("not-ready", "unreachable")]


def manifest(lab) -> str:
    """A v1 List of one pod per node, pinned by the hostname label kubelet gives its node."""
    pods = [{
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": pod_name(n), "labels": {LABEL_KEY: LABEL_VALUE}},
        "spec": {
            "nodeSelector": {"kubernetes.io/hostname": n.name},
            "terminationGracePeriodSeconds": 0,
            "restartPolicy": "Never",
            "tolerations": tolerations(lab.pods_check.timeout),
            "containers": [{"name": "probe", "image": lab.pods_check.image,
                            # never a registry for an image the node has (`:latest` would pull)
                            "imagePullPolicy": "IfNotPresent",
                            "command": ["sleep", "3600"]}],
        },
    } for n in lab.with_role("node")]
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}, separators=(",", ":"))


def kubectl(lab, args: str) -> str:
    return f"kubectl -s {lab.apiserver_url} {args}"


def delete_command(lab) -> str:
    # grace 0 + --force: gone from the API at once, so the next run can use the same names
    return kubectl(lab, f"delete pods -l {LABEL_KEY}={LABEL_VALUE} --grace-period=0 --force "
                        "--ignore-not-found")


def import_busybox_command(busybox: str, image: str) -> str:
    """The test image from the guest's static busybox (the test platform has no registry): one
    file and the applets the pods use, imported once."""
    q = shlex.quote(image)
    return (f"if docker image inspect {q} >/dev/null 2>&1; then echo {q} present; else "
            "d=$(mktemp -d) && mkdir $d/bin && cp " + shlex.quote(busybox) + " $d/bin/busybox && "
            "for a in sh sleep ping ip; do ln -s busybox $d/bin/$a; done && "
            f"tar -C $d -c . | docker import --change 'CMD [\"sh\"]' - {q} >/dev/null && "
            f"rm -rf $d && echo {q} imported from {shlex.quote(busybox)}; fi")


def judge_imported(result, image):
    if result.ok:
        return True, result.stdout.strip().splitlines()[-1], ""
    return False, f"could not import {image}", "is docker running on this node? (node services)"


def judge_created(result, lab):
    if result.ok:
        return True, f"created {', '.join(pod_name(n) for n in lab.with_role('node'))}", ""
    return False, "kubectl create failed", f"is kube-apiserver answering at {lab.apiserver_url}?"


def _already(where: str, broken) -> str:
    """The hint when verify already found these nodes broken: that says more than a pod can."""
    return f"already failing on {where}: {'; '.join(broken)}; `invoke up` repairs them"


def _hint(lab, node, pod, events, broken=()) -> str:
    text = " ".join(events)
    if lab.cluster.pod_infra_image in text:
        return (f"the pod infrastructure image {lab.cluster.pod_infra_image} is missing on {node.name} "
                "(kubelet tried a registry instead): the start stage imports k8s-lab's own, `invoke up`")
    if broken:   # what verify already found wrong on that node says more than the pod can
        return _already(node.name, broken)
    if pod.reason in ("ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull") or \
            lab.pods_check.image in text and "ull" in text:
        return (f"{node.name} could not pull the test image {lab.pods_check.image}: set "
                "pods_check.image in lab.yaml to one the nodes can pull (a registry mirror of yours)")
    sandbox = [e for e in events if e.startswith("FailedCreatePodSandBox")]
    if sandbox:
        return (f"docker on {node.name} could not start the pod's infrastructure container (the "
                f"event says why): `invoke ssh {node.name} --command 'sudo journalctl -u docker -n 30'`")
    if not pod.node:
        return (f"no node took the pod: is kube-scheduler active on the master, and {node.name} "
                "Ready (the nodes group)?")
    return (f"kubelet on {node.name} could not start it: `invoke ssh {node.name} --command "
            f"'journalctl -u kubelet -n 30'`")


def judge_running(pods_result, events_result, lab, node, found, broken=()):
    """node's pod Running (found[node] = the Pod); else its state, events and a hint."""
    pods = {p.name: p for p in parse.parse_kubectl_pods_json(pods_result.stdout)}
    pod = pods.get(pod_name(node))
    if pod is None:
        # `pods created` made it: a node that turns NotReady while the check waits (its kubelet
        # stopped, with flanneld) has its pods evicted at once by the controller manager
        if broken:
            return False, f"{pod_name(node)} is gone: created, then removed from {node.name}", _already(node.name, broken)
        return False, f"{pod_name(node)} does not exist", "kubectl create failed: see `pods created`"
    if pod.phase == "Running" and pod.node == node.name and pod.ip:
        found[node.name] = pod
        return True, f"{pod.name} Running on {node.name}, IP {pod.ip}", ""
    events = parse.parse_kubectl_events_json(events_result.stdout).get(pod.name, []) \
        if events_result.ok else []
    state = f"{pod.phase or 'no phase'}" + (f" ({pod.reason})" if pod.reason else "") + \
        (f" on {pod.node}" if pod.node else ", not scheduled")
    detail = f"{pod.name} {state}" + (f"; events: {' | '.join(events[:3])}" if events else "")
    return False, detail, _hint(lab, node, pod, events, broken)


def judge_in_lease(env, pod, node):
    lease = parse.parse_subnet_env(env.stdout)
    if IPv4Address(pod.ip) in lease.subnet.network:
        return True, f"{pod.ip} in {node}'s lease {lease.subnet.network}", ""
    return False, f"{pod.name} has {pod.ip}, outside {node}'s lease {lease.subnet.network}", \
        (f"docker on {node} did not start with the lease's --bip (flanneld after docker?): "
         "`invoke up` restarts docker on the lease")


def judge_ping(result, src, dst, ip, broken):
    p = parse.parse_ping(result.stdout + result.stderr)
    if p.received:
        return True, f"{p.received}/{p.transmitted} replies from the pod on {dst} ({ip})", ""
    hint = (_already("these nodes", broken) if broken
            else "the overlay does not carry pod traffic between these nodes: the network group's checks")
    return False, f"no reply from the pod on {dst} ({ip}) to the pod on {src}", hint


def failing(c, *nodes) -> list:
    """The checks this verify already failed on these nodes: "check (detail)", with "node: "
    before it when there are several nodes."""
    return [(f"{r.node}: " if len(nodes) > 1 else "") + f"{r.check} ({r.detail})" for r in c.report.results
            if not r.passed and r.node in nodes and r.group != GROUP]


def judge_deleted(result):
    return (True, "deleted", "") if result.ok else (False, "kubectl delete failed", "delete them by hand")


def checks(lab, c):
    master, nodes = lab.master.name, lab.with_role("node")
    image, busybox = lab.pods_check.image, lab.platform_info.test_image_busybox
    if busybox:
        for node in nodes:
            c.run(GROUP, "test image", node.name, import_busybox_command(busybox, image),
                  lambda r: judge_imported(r, image))
    created = c.run(GROUP, "pods created", master,
                    f"{delete_command(lab)} >/dev/null 2>&1; printf '%s' {shlex.quote(manifest(lab))} | "
                    + kubectl(lab, "create -f -"), lambda r: judge_created(r, lab))
    if not created.passed:
        return
    found = {}
    try:
        get = [kubectl(lab, f"get pods -l {LABEL_KEY}={LABEL_VALUE} -o json"), kubectl(lab, "get events -o json")]
        deadline = time.monotonic() + lab.pods_check.timeout   # one wait for all the pods
        for node in nodes:
            # polled from the master, recorded on the pod's node; the first waits for the rest
            c.run(GROUP, "pod running", node.name, get,
                  lambda p, e, n=node, b=failing(c, node.name): judge_running(p, e, lab, n, found, b),
                  timeout=max(0, deadline - time.monotonic()), on=master)
        for node in nodes:
            if node.name in found:
                c.run(GROUP, "pod IP in the lease", node.name, f"cat {t.FLANNEL_SUBNET_ENV}",
                      lambda r, n=node.name: judge_in_lease(r, found[n], n))
        for src in nodes:
            for dst in nodes:
                if src is dst or src.name not in found or dst.name not in found:
                    continue
                broken = failing(c, src.name, dst.name)
                c.run(GROUP, f"ping pod on {dst.name}", src.name,
                      kubectl(lab, f"exec {pod_name(src)} -- ping -c 3 -w 5 {found[dst.name].ip}"),
                      lambda r, s=src.name, d=dst.name, b=broken: judge_ping(r, s, d, found[d].ip, b),
                      on=master)
    finally:
        c.run(GROUP, "pods deleted", master, delete_command(lab), judge_deleted)
