"""The judges on outputs captured from the whole tutorial running on the test platform's VMs
(Kubernetes 1.19.16, flannel 0.17.0 udp backend, kubectl 1.20.2; tests/captured/README.md):
what a healthy cluster really prints, and the same output turned bad the way a fault does."""
from __future__ import annotations

import json
from pathlib import Path

from provision.checks import kube, network
from k8slab.facts.addresses import ADDRESSES
from k8slab.remote import Result

CAPTURED = Path(__file__).resolve().parents[2] / "captured"
KUBECTL = "kubectl -s http://192.168.0.15:8080 get nodes -o json"


def cap(name: str) -> str:
    return (CAPTURED / name).read_text()


def lease(lab, node="k8s-node1"):
    ok, detail, _, data = network.judge_lease(Result("cat /run/flannel/subnet.env", 0,
                                                    cap("flannel-0.17-subnet.env"), ""), lab, node)
    return ok, detail, {node: network.lease_of(data, lab)} if ok else {}


def test_both_nodes_ready_as_kubectl_printed_it(lab):
    ok, detail, _ = kube.judge_nodes_ready(
        Result(KUBECTL, 0, cap("kubectl-get-nodes-o-json-1.20-on-1.19-ready.json"), ""), lab)
    assert (ok, detail) == (True, "k8s-node1, k8s-node2 Ready")


def test_a_node_whose_ready_condition_turned_unknown_is_not_ready(lab):
    # what the node controller writes 40 s after kubelet stopped posting its status
    doc = json.loads(cap("kubectl-get-nodes-o-json-1.20-on-1.19-ready.json"))
    node1 = next(i for i in doc["items"] if i["metadata"]["name"] == "k8s-node1")
    ready = next(c for c in node1["status"]["conditions"] if c["type"] == "Ready")
    ready.update(status="Unknown", message="Kubelet stopped posting node status.")
    ok, detail, hint = kube.judge_nodes_ready(Result(KUBECTL, 0, json.dumps(doc), ""), lab)
    assert not ok and detail.startswith("k8s-node1 NotReady") and hint


def test_the_flannel_lease_is_inside_the_labs_network(lab):
    ok, detail, leases = lease(lab)
    assert ok and detail == "lease 10.255.25.1/24, MTU 1472"
    assert str(leases["k8s-node1"].subnet) == "10.255.25.1/24"


def test_flannel0_and_docker0_on_the_lease(lab):
    _, _, leases = lease(lab)
    addrs = ADDRESSES().value(Result("ip -4 -o addr show", 0, cap("ip-4-o-addr-node1-flannel-0.17.txt"), ""))
    assert network.judge_flannel0(addrs, leases["k8s-node1"])[:2] == (True, "flannel0 10.255.25.0/32")
    docker = Result("cat /run/flannel/docker", 0, cap("flannel-0.17-docker-opts.env"), "")
    assert network.judge_docker0(docker, addrs)[0]


def test_docker0_off_the_lease_is_the_reboot_problem(lab):
    # the fault the tutorial's reboot cures: docker0 kept an address flannel did not lease
    addrs = cap("ip-4-o-addr-node1-flannel-0.17.txt").replace(
        "inet 10.255.25.1/24 brd 10.255.25.255 scope global docker0",
        "inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0")
    ok, detail, hint = network.judge_docker0(
        Result("cat /run/flannel/docker", 0, cap("flannel-0.17-docker-opts.env"), ""),
        ADDRESSES().value(Result("ip -4 -o addr show", 0, addrs, "")))
    assert not ok and detail == "docker0 has 172.17.0.1/16, the lease wants 10.255.25.1/24"
    assert "reboot" in hint
