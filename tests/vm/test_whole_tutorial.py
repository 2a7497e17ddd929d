"""The whole tutorial on real VMs: all six stages, then the three smoke tests, for real.

Three Debian 12 VMs from the test box (Kubernetes 1.19.16 and flannel 0.17.0 built from their
Go modules, packaged as CentOS's RPMs lay them out; etcd, docker, kubectl from Debian) at the
tutorial's 192.168.0.15/16/17: `tutorial_lab`, which test_lab_lifecycle.py took to the etcd
stage (or nothing, when this file runs alone). `invoke up --until start` runs every stage;
`invoke verify` must pass every check; a second `up` changes nothing; three faults an
instructor meets are each detected by verify, on the right node, with a hint, and repaired by
`invoke up`; then destroy leaves nothing.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import time
from pathlib import Path

import pytest

from provision.checks import pods
from provision.lab import load_lab
from k8slab.facts import Facts
from k8slab.steps import FileStep
from provision.stages import steps_for
from tests.harness import libvirt
from tests.vm.cli import invoke, on_node

pytestmark = pytest.mark.vm

NAME = f"{libvirt.PREFIX}-life"
UP = ("up", "--until", "start")
NODES = {"k8s-master": "192.168.0.15", "k8s-node1": "192.168.0.16", "k8s-node2": "192.168.0.17"}
DEFAULTS = Path(__file__).resolve().parents[1] / "golden" / "centos7" / "defaults"


@pytest.fixture
def lab(tutorial_lab):
    return tutorial_lab


def capture(lab, node, name, text):
    """Keep a real output for tests/captured/ (K8SLAB_CAPTURE=DIR): what fast tests judge."""
    folder = os.environ.get("K8SLAB_CAPTURE")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / name).write_text(text)


def report(lab) -> dict:
    return json.loads((lab.parent / ".lab" / NAME / "verify.json").read_text())


def failures(lab) -> list:
    return [r for r in report(lab)["results"] if not r["passed"]]


def test_up_builds_the_tutorial_and_every_check_passes(vmhost, lab):
    r = invoke(vmhost, *UP, "--config", str(lab))
    assert re.search(r"verify: \d+ passed, 0 failed", r.stdout), r.stdout
    results = report(lab)["results"]
    assert report(lab)["passed"] and all(x["passed"] for x in results)
    checks = {(x["check"], x["node"]) for x in results}
    # the tutorial's three smoke tests, and what the overlay needs, for real
    assert ("etcd cluster-health", "k8s-master") in checks
    for node in NODES:
        assert ("flannel lease", node) in checks and ("flannel0 address", node) in checks
    for node in ("k8s-node1", "k8s-node2"):
        assert ("docker0 on the lease", node) in checks
    assert ("leases differ", "all") in checks
    assert ("ping k8s-node1 docker0", "k8s-node2") in checks      # the tutorial's own ping
    assert ("ping k8s-node2 docker0", "k8s-node1") in checks
    assert ("ping k8s-node1 docker0", "k8s-master") in checks
    assert ("kubectl get nodes", "k8s-master") in checks
    # what flanneld keeps at run time, and the image kubelet starts every pod with
    for node in NODES:
        assert ("flannel0 up", node) in checks
    for node in ("k8s-node1", "k8s-node2"):
        assert ("infra image", node) in checks
    # the tutorial's own lines, typed as printed by root in a login shell, gave the printed shape
    printed = {(x["check"], x["node"]) for x in results if x["group"] == "commands"}
    for key in [("2.1 netstat -anutp | grep 2379", "k8s-master"), ("2.1 etcdctl member list", "k8s-master"),
                ("2.1 etcdctl cluster-health", "k8s-master"), ("2.3 etcdctl get /k8s/network/config", "k8s-master"),
                ("3.5 ifconfig", "k8s-node1"), ("3.5 netstat -anutp | grep proxy", "k8s-node2"),
                ("4 /run/flannel files", "k8s-node1"),
                ("4 ping k8s-node1 docker0", "k8s-node2"), ("4 kubectl get nodes", "k8s-master")]:
        assert key in printed, (key, sorted(printed))
    # ...and a student sees what the tutorial shows
    member = on_node(vmhost, lab, "k8s-master", "sudo su - -c 'etcdctl member list'").stdout
    assert re.search(r"^[0-9a-f]+: name=default peerURLs=\S+ clientURLs=http://192.168.0.15:2379 "
                     r"isLeader=true$", member, re.M), member
    capture(lab, "k8s-master", "su-etcdctl-member-list.txt", member)
    ifc = on_node(vmhost, lab, "k8s-node1", "sudo su - -c ifconfig").stdout
    assert re.search(r"^flannel0: flags=\d+<UP,POINTOPOINT,RUNNING,NOARP,MULTICAST>  mtu 1472$", ifc, re.M), ifc
    capture(lab, "k8s-node1", "ifconfig-node.txt", ifc)
    for name, node, command in [
            ("netstat-anutp-grep-2379.txt", "k8s-master", "netstat -anutp | grep 2379"),
            ("netstat-anutp-grep-proxy.txt", "k8s-node1", "netstat -anutp | grep proxy"),
            ("systemctl-status-node-services.txt", "k8s-node1", "systemctl status flanneld kube-proxy kubelet docker"),
            ("ip-o-link-flannel0-up.txt", "k8s-node1", "ip -o link show dev flannel0"),
            ("ip-4-route-exact-flannel-network.txt", "k8s-node1", "ip -4 route show exact 10.255.0.0/16"),
            ("docker-images-node.txt", "k8s-node1", "docker images"),
            ("docker-image-inspect-pause.txt", "k8s-node1",
             "docker image inspect registry.access.redhat.com/rhel7/pod-infrastructure:latest")]:
        capture(lab, node, name, on_node(vmhost, lab, node, f"sudo su - -c {shlex.quote(command)}").stdout)
    # the leases really are distinct subnets of the lab's flannel network
    leases = {}
    for node in NODES:
        env = on_node(vmhost, lab, node, "cat /run/flannel/subnet.env").stdout
        assert "FLANNEL_NETWORK=10.255.0.0/16" in env, env
        leases[node] = re.search(r"FLANNEL_SUBNET=(\S+)", env).group(1)
        assert leases[node].startswith("10.255."), env
        assert "FLANNEL_MTU=1472" in env, env                 # the udp backend, as the tutorial
    assert len(set(leases.values())) == 3, leases
    # both nodes Ready, read with kubectl itself on the master
    nodes = json.loads(on_node(vmhost, lab, "k8s-master",
                               "kubectl -s http://192.168.0.15:8080 get nodes -o json").stdout)
    ready = {i["metadata"]["name"]: [c["status"] for c in i["status"]["conditions"]
                                     if c["type"] == "Ready"] for i in nodes["items"]}
    assert ready == {"k8s-node1": ["True"], "k8s-node2": ["True"]}, ready


def test_files_are_byte_identical_to_the_centos7_platform(vmhost, lab):
    """Every file the tutorial edits holds what the centos7 platform writes for the same lab,
    but for the one line the platform lists as a difference (kubelet's --api-servers)."""
    centos = lab.parent / "centos7.yaml"
    centos.write_text(lab.read_text().replace("platform: debian12", "platform: centos7"))
    c7, deb = load_lab(centos), load_lab(lab)

    compared = 0
    for node in c7.nodes:
        wanted = {}
        for stage in ("master", "network", "nodes"):
            for step in steps_for(stage, c7, node, Facts(private_iface="eth1")):
                if isinstance(step, FileStep):
                    default = (DEFAULTS / Path(step.path).name).read_text()
                    wanted[step.path] = step.transform(default)
        for path, text in wanted.items():
            got = on_node(vmhost, lab, node.name, f"sudo cat {path}").stdout
            if path == "/etc/kubernetes/kubelet":
                kubeconfig = deb.platform_info.kubelet_kubeconfig
                text = text.replace(f'KUBELET_API_SERVER="--api-servers={c7.apiserver_url}"',
                                    f'KUBELET_API_SERVER="--kubeconfig={kubeconfig}"')
                server = on_node(vmhost, lab, node.name, f"sudo cat {kubeconfig}").stdout
                assert f"server: {c7.apiserver_url}\n" in server, server
            assert got == text, f"{node.name}:{path} differs from the centos7 platform's"
            compared += 1
    assert compared == 10   # master: config, apiserver, scheduler, flanneld; nodes: flanneld, config, kubelet


def test_second_up_changes_nothing_and_restarts_nothing(vmhost, lab):
    logs = lab.parent / ".lab" / NAME / "logs"
    before = {n: (logs / f"{n}.log").read_text() for n in NODES}
    r = invoke(vmhost, *UP, "--config", str(lab))
    assert ", 0 changed," in r.stdout, r.stdout
    steps = json.loads((lab.parent / ".lab" / NAME / "provision.json").read_text())
    assert {s["stage"] for s in steps} == {"base", "etcd", "master", "network", "nodes", "start"}
    assert all(s["result"] == "ok" for s in steps), [s for s in steps if s["result"] != "ok"]
    for n in NODES:
        new = (logs / f"{n}.log").read_text()[len(before[n]):]
        assert "systemctl restart" not in new and "systemctl start" not in new, (n, new)
        # provision and verify shared the node's one root shell: one `sudo` for the whole run
        assert new.count("shell started on the node (as root, start 1 of this run)") == 1, (n, new)
        assert "start 2 of this run" not in new, (n, new)


def test_three_faults_are_found_on_their_nodes_and_repaired_by_up(vmhost, lab):
    """flanneld stopped on node2, kubelet stopped on node1, and node1's docker0 given an address
    outside its lease (what the tutorial's reboot is for): one verify finds each on its node,
    with a hint; one `invoke up` repairs all three."""
    broken = {
        "k8s-node2": "sudo systemctl stop flanneld",
        "k8s-node1": "sudo systemctl stop kubelet && sudo ip addr flush dev docker0 && "
                     "sudo ip addr add 172.17.0.1/16 dev docker0",
    }
    for node, command in broken.items():
        assert on_node(vmhost, lab, node, command).returncode == 0
    deadline = time.monotonic() + 150   # the node controller notices after its grace period (40 s)
    while "NotReady" not in on_node(vmhost, lab, "k8s-master",
                                    "kubectl -s http://192.168.0.15:8080 get nodes k8s-node1").stdout:
        assert time.monotonic() < deadline, "k8s-node1 never turned NotReady after kubelet stopped"
        time.sleep(5)
    r = invoke(vmhost, "verify", "--config", str(lab), check=False)
    assert r.returncode == 1, r.stdout
    failed = {(x["check"], x["node"]): x for x in failures(lab)}
    expected = [("flanneld active", "k8s-node2"), ("node services active", "k8s-node1"),
                ("kubectl get nodes", "k8s-master"), ("docker0 on the lease", "k8s-node1")]
    for key in expected:
        assert key in failed, (key, sorted(failed))
    assert "k8s-node1 NotReady" in failed[("kubectl get nodes", "k8s-master")]["detail"]
    assert "kubelet inactive" in failed[("node services active", "k8s-node1")]["detail"]
    for (check, node), x in failed.items():   # nothing else broke: every failure names a broken node
        assert {"k8s-node1", "k8s-node2"} & set(re.findall(r"k8s-node\d", f"{node} {check} {x['detail']}")), x
        assert x["hint"], x
    r = invoke(vmhost, *UP, "--config", str(lab))
    assert re.search(r"verify: \d+ passed, 0 failed", r.stdout), r.stdout
    addr = on_node(vmhost, lab, "k8s-node1", "ip -4 -o addr show dev docker0").stdout
    lease = on_node(vmhost, lab, "k8s-node1", "cat /run/flannel/docker").stdout
    bip = re.search(r"--bip=([0-9./]+)", lease).group(1)
    assert f" {bip} " in addr, (addr, lease)   # docker0 back on the lease, without a reboot


def by_check(lab) -> dict:
    return {(x["check"], x["node"]): x for x in report(lab)["results"]}


def test_pods_run_on_both_nodes_and_reach_each_other(vmhost, lab):
    """Beyond the tutorial, its next lesson: a pod on each node (the infra image k8s-lab
    imported, no registry), IPs in their nodes' leases, pinging each other over flannel; then a
    student's own `kubectl run` and `kubectl get pods -o wide` on the master."""
    r = invoke(vmhost, "verify", "--pods", "--config", str(lab))
    assert re.search(r"verify: \d+ passed, 0 failed", r.stdout), r.stdout
    got = by_check(lab)
    for node, other in (("k8s-node1", "k8s-node2"), ("k8s-node2", "k8s-node1")):
        assert got[("pod running", node)]["passed"], got[("pod running", node)]
        assert got[("pod IP in the lease", node)]["passed"]
        assert got[("ping pod on " + other, node)]["passed"]
        assert "replies from the pod on " + other in got[("ping pod on " + other, node)]["detail"]
    assert got[("pods deleted", "k8s-master")]["passed"]
    left = on_node(vmhost, lab, "k8s-master", "kubectl get pods -l k8s-lab-check=pods -o name").stdout
    assert "k8s-lab-check" not in left, left
    # a student on the master, as root in a login shell: 1.19's form of kubectl run
    student = [
        "kubectl run web --image=docker.io/library/busybox:1.28 --image-pull-policy=IfNotPresent "
        "--overrides='{\"spec\":{\"nodeSelector\":{\"kubernetes.io/hostname\":\"k8s-node2\"}}}' -- sleep 3600",
        "kubectl run web-1 --image=docker.io/library/busybox:1.28 --image-pull-policy=IfNotPresent "
        "--overrides='{\"spec\":{\"nodeSelector\":{\"kubernetes.io/hostname\":\"k8s-node1\"}}}' -- sleep 3600",
    ]
    for command in student:
        out = on_node(vmhost, lab, "k8s-master", f"sudo su - -c {shlex.quote(command)}")
        assert out.returncode == 0 and "created" in out.stdout, out.stdout + out.stderr
    deadline = time.monotonic() + 180
    while True:
        wide = on_node(vmhost, lab, "k8s-master", "sudo su - -c 'kubectl get pods -o wide'").stdout
        if wide.count(" Running ") == 2 or time.monotonic() > deadline:
            break
        time.sleep(5)
    capture(lab, "k8s-master", "kubectl-get-pods-o-wide-1.20.txt", wide)
    assert wide.count(" Running ") == 2 and "k8s-node1" in wide and "k8s-node2" in wide, wide
    capture(lab, "k8s-master", "kubectl-get-pods-o-json-1.20-running.json", on_node(
        vmhost, lab, "k8s-master", "kubectl get pods -o json").stdout)
    # 1.5's form (a deployment with --replicas) on this platform's kubectl 1.20: kept for the README
    old = on_node(vmhost, lab, "k8s-master", "sudo su - -c 'kubectl run web-old --image=busybox --replicas=2'")
    capture(lab, "k8s-master", "kubectl-run-replicas-1.20.txt", f"exit {old.returncode}\n{old.stdout}{old.stderr}")
    on_node(vmhost, lab, "k8s-master", "kubectl delete pod web web-1 web-old --grace-period=0 --force "
                                       "--ignore-not-found; kubectl delete deployment web-old --ignore-not-found")


def test_check_pods_outlast_a_not_ready_taint_that_evicts_a_plain_pod(vmhost, lab):
    """The tutorial's AlwaysAdmit leaves out DefaultTolerationSeconds, so a node that turns
    NotReady (its kubelet restarted by a repair) loses its pods at once. The check's pods
    tolerate it for pods_check.timeout; a plain pod beside them, the control, is evicted."""
    master = "k8s-master"
    plain = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "plain", "labels": {"k8s-lab-check": "pods"}},
             "spec": {"nodeSelector": {"kubernetes.io/hostname": "k8s-node2"}, "terminationGracePeriodSeconds": 0,
                      "containers": [{"name": "p", "image": "docker.io/library/busybox:1.28",
                                      "imagePullPolicy": "IfNotPresent", "command": ["sleep", "3600"]}]}}
    both = json.loads(pods.manifest(load_lab(lab)))
    both["items"].append(plain)
    taint = "kubectl taint nodes k8s-node2 node.kubernetes.io/not-ready:NoExecute"
    try:
        made = on_node(vmhost, lab, master, f"printf '%s' {shlex.quote(json.dumps(both))} | kubectl create -f - "
                                            f"&& {taint}")
        assert made.returncode == 0, made.stdout + made.stderr
        deadline, names = time.monotonic() + 60, ""
        while time.monotonic() < deadline:
            names = on_node(vmhost, lab, master, "kubectl get pods -l k8s-lab-check=pods -o name").stdout
            if "pod/plain" not in names:
                break
            time.sleep(3)
        assert "pod/plain" not in names, f"the control was not evicted: the taint did nothing\n{names}"
        assert "pod/k8s-lab-check-k8s-node2" in names, names
    finally:
        on_node(vmhost, lab, master, f"{taint}- ; {pods.delete_command(load_lab(lab))}")


def up_with_pods_passes(vmhost, lab) -> dict:
    """`invoke up --pods` ends with every check passing; (stage, node, step) -> its result."""
    r = invoke(vmhost, *UP, "--pods", "--config", str(lab))
    assert re.search(r"verify: \d+ passed, 0 failed", r.stdout), r.stdout
    return {(s["stage"], s["node"], s["step"]): s["result"] for s in
            json.loads((lab.parent / ".lab" / NAME / "provision.json").read_text())}


def broken_by(lab) -> dict:
    return {k: x for k, x in by_check(lab).items() if not x["passed"]}


def test_pods_check_finds_overlay_faults_on_their_nodes_and_up_repairs_them(vmhost, lab):
    """node2's docker0 off its lease and its flannel0 down (`ip link set flannel0 down`: every
    file still right): both pods run, no ping crosses, each failure names node2's broken pieces;
    `up --pods` repairs both (docker restarted on the lease, flanneld restarted)."""
    assert on_node(vmhost, lab, "k8s-node2", "sudo ip addr flush dev docker0 && "
                                             "sudo ip addr add 172.17.0.1/16 dev docker0 && "
                                             "sudo ip link set flannel0 down").returncode == 0
    r = invoke(vmhost, "verify", "--pods", "--config", str(lab), check=False)
    assert r.returncode == 1, r.stdout
    failed = broken_by(lab)
    capture(lab, "k8s-node2", "verify-pods-overlay-faults.json", json.dumps(list(failed.values()), indent=1))
    assert ("docker0 on the lease", "k8s-node2") in failed and ("flannel0 up", "k8s-node2") in failed
    assert "flannel0 is down" in failed[("flannel0 up", "k8s-node2")]["detail"]
    assert "restarts flanneld" in failed[("flannel0 up", "k8s-node2")]["hint"]
    for src, dst in (("k8s-node1", "k8s-node2"), ("k8s-node2", "k8s-node1")):
        ping = failed[(f"ping pod on {dst}", src)]
        assert f"no reply from the pod on {dst}" in ping["detail"], ping
        assert "k8s-node2: docker0 on the lease" in ping["hint"] and "k8s-node2: flannel0 up" in ping["hint"], ping
    steps = up_with_pods_passes(vmhost, lab)
    assert steps[("start", "k8s-node2", "flannel0 up")] == "changed"
    assert steps[("start", "k8s-node2", "docker0 on the lease")] == "changed"
    assert ("ping pod on k8s-node2", "k8s-node1") in by_check(lab)


def test_missing_infra_image_and_stopped_flanneld_stop_the_pods_with_their_reasons(vmhost, lab):
    """node1's infra image removed (what the tutorial's registry leaves: none) and flanneld
    stopped on node2 (its docker and kubelet stop with it: the units require it): neither pod
    starts, each failure names its node, the pod's events and the reason; `up` imports the
    image again and starts flanneld, docker and kubelet."""
    image = "registry.access.redhat.com/rhel7/pod-infrastructure:latest"
    assert on_node(vmhost, lab, "k8s-node1", f"sudo docker rmi -f {image}").returncode == 0
    assert on_node(vmhost, lab, "k8s-node2", "sudo systemctl stop flanneld").returncode == 0
    quick = lab.parent / "quick.yaml"       # the same lab, the pods given a minute (not 3)
    quick.write_text(lab.read_text() + "pods_check:\n  timeout: 60\n")
    r = invoke(vmhost, "verify", "--pods", "--config", str(quick), check=False)
    assert r.returncode == 1, r.stdout
    failed = broken_by(lab)
    capture(lab, "k8s-master", "verify-pods-image-and-flanneld.json", json.dumps(list(failed.values()), indent=1))
    assert f"{image} is not in docker's images" in failed[("infra image", "k8s-node1")]["detail"]
    pod = failed[("pod running", "k8s-node1")]
    assert "k8s-lab-check-k8s-node1" in pod["detail"] and "events:" in pod["detail"], pod
    assert f"{image} is missing on k8s-node1" in pod["hint"], pod
    pod = failed[("pod running", "k8s-node2")]
    assert pod["hint"].startswith("already failing on k8s-node2: "), pod
    assert "flanneld active (flanneld inactive)" in pod["hint"], pod
    steps = up_with_pods_passes(vmhost, lab)
    assert steps[("start", "k8s-node1", "infra image")] == "changed"
    assert steps[("start", "k8s-node2", "infra image")] == "ok"


def test_destroy_removes_everything_and_is_idempotent(vmhost, lab):
    invoke(vmhost, "destroy", "--yes", "--config", str(lab))
    assert vmhost.leftovers(NAME) == [], "domains/volumes/networks of the lab remain"
    r = invoke(vmhost, "destroy", "--yes", "--config", str(lab))
    assert "nothing to destroy" in r.stdout
