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
import re
import time
from pathlib import Path

import pytest

from k8slab.config import load_lab
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


def test_destroy_removes_everything_and_is_idempotent(vmhost, lab):
    invoke(vmhost, "destroy", "--yes", "--config", str(lab))
    assert vmhost.leftovers(NAME) == [], "domains/volumes/networks of the lab remain"
    r = invoke(vmhost, "destroy", "--yes", "--config", str(lab))
    assert "nothing to destroy" in r.stdout
