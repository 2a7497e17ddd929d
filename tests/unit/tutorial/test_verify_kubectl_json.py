"""`kubectl get nodes -o json`: the form verify asks for, parsed and judged.

The captures are kubectl 1.20.2's own output (the test platform's kubectl) for NodeLists crafted
after a CentOS 7 kubelet 1.5.2 node (tests/captured/README.md). The table form stays covered by
test_judges.py / test_parse.py on the tutorial's and public transcripts.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from k8slab.checks.report import CheckResult
from tests.unit.tutorial.answers import drive
from provision.checks import kube, parse
from k8slab.remote import Result

ROOT = Path(__file__).resolve().parents[3]
CAPTURED = ROOT / "tests" / "captured"
CMD = "kubectl -s http://192.168.0.15:8080 get nodes -o json"


def cap(name: str) -> str:
    return (CAPTURED / name).read_text()



def judge(lab, stdout, exited=0, stderr=""):
    return kube.judge_nodes_ready(Result(CMD, exited, stdout, stderr), lab)


def test_parse_names_ready_and_version():
    nodes = parse.parse_kubectl_nodes_json(cap("kubectl-get-nodes-o-json-1.20-ready.json"))
    assert [(n.name, n.status, n.ready, n.version, n.message) for n in nodes] == [
        ("k8s-node1", "Ready", True, "v1.5.2", ""), ("k8s-node2", "Ready", True, "v1.5.2", "")]


def test_parse_unknown_ready_condition_is_not_ready_with_its_message():
    nodes = parse.parse_kubectl_nodes_json(cap("kubectl-get-nodes-o-json-1.20-notready.json"))
    assert [(n.name, n.status, n.ready, n.message) for n in nodes] == [
        ("k8s-node1", "Ready", True, ""),
        ("k8s-node2", "NotReady", False, "Kubelet stopped posting node status.")]


def test_parse_a_node_without_conditions_is_unknown():
    [node] = parse.parse_kubectl_nodes_json('{"kind": "List", "items": [{"metadata": {"name": "n"}}]}')
    assert (node.status, node.ready) == ("Unknown", False)


def test_parse_empty_list():
    assert parse.parse_kubectl_nodes_json(cap("kubectl-get-nodes-o-json-1.20-empty.json")) == []


@pytest.mark.parametrize("text", ["", "{", '{"kind": "List"}', '{"items": [{"status": {}}]}',
                                  cap("tutorial-kubectl-get-nodes-1.5.txt")])
def test_parse_refuses_what_is_not_a_node_list(text):
    with pytest.raises(ValueError, match="not `kubectl get nodes -o json` output"):
        parse.parse_kubectl_nodes_json(text)


def test_both_ready(lab):
    assert judge(lab, cap("kubectl-get-nodes-o-json-1.20-ready.json")) == \
        (True, "k8s-node1, k8s-node2 Ready", "")


def test_not_ready_carries_the_node_controllers_message(lab):
    ok, detail, hint = judge(lab, cap("kubectl-get-nodes-o-json-1.20-notready.json"))
    assert not ok and detail == "k8s-node2 NotReady (Kubelet stopped posting node status.)"
    assert "NotReady means kubelet inactive or docker down" in hint


def test_no_node_registered(lab):
    # kubectl 1.5 adds `No resources found.` on stderr; the List on stdout decides
    ok, detail, hint = judge(lab, cap("kubectl-get-nodes-o-json-1.20-empty.json"), 0, "No resources found.\n")
    assert not ok and detail == "k8s-node1 not registered; k8s-node2 not registered"
    assert "--hostname-override" in hint


def test_apiserver_refused(lab):
    ok, detail, hint = judge(lab, "", 1, cap("kubectl-get-nodes-o-json-1.20-refused.txt"))
    assert (ok, detail) == (False, "kubectl get nodes failed")
    assert hint == "is kube-apiserver answering at http://192.168.0.15:8080?"


def test_node_checks_ask_for_json(lab):
    commands = []

    class Recorder:
        def run(self, group, check, node, cmds, judge, timeout=0, interval=3):
            commands.append(cmds[0] if len(cmds) == 1 else cmds)
            return CheckResult(group, check, node, True, 0.0, "")

    drive(kube.node_checks, lab, Recorder())
    assert commands[-1] == CMD
