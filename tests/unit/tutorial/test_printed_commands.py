"""The `commands` verify group: the tutorial's own lines, judged against the shape it prints.

Each judge is fed two kinds of real output: the tutorial's own transcript (what a student expects
to see) and the test platform's, captured on the VMs by tests/vm/test_whole_tutorial.py as root
in a login shell (`su -`). What a student met before (etcdctl speaking v3, no net-tools) is fed
as it really printed (captured the same way, on the same VMs, before the fix).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from k8slab.checks.report import CheckResult
from tests.unit.tutorial.answers import drive
from provision.checks import printed
from k8slab.remote import Result

CAPTURED = Path(__file__).resolve().parents[2] / "captured"


def cap(name):
    return (CAPTURED / name).read_text()


def res(stdout="", exited=0, stderr="", command="cmd"):
    return Result(command, exited, stdout, stderr)


LEASE_NODE1 = "FLANNEL_NETWORK=10.255.0.0/16\nFLANNEL_SUBNET=10.255.5.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=false\n"


def test_every_command_runs_as_a_students_root_login_shell():
    assert printed.TYPED("etcdctl member list").command == "su - -c 'etcdctl member list'"
    assert printed.TYPED("netstat -anutp | grep 2379").command == "su - -c 'netstat -anutp | grep 2379'"


@pytest.mark.parametrize("name", ["tutorial-netstat-anutp-grep-2379.txt", "debian12-netstat-anutp-grep-2379.txt"])
def test_etcd_listens_on_the_masters_ip(lab, name):
    ok, detail, _ = printed.judge_etcd_listener(res(cap(name)), lab)
    assert (ok, detail) == (True, "etcd LISTEN on 192.168.0.15:2379")


def test_etcd_on_loopback_only_is_named(lab):
    only_lo = "".join(l + "\n" for l in cap("tutorial-netstat-anutp-grep-2379.txt").splitlines()
                      if "192.168.0.15:2379       0.0.0.0" not in l)
    ok, detail, hint = printed.judge_etcd_listener(res(only_lo), lab)
    assert not ok and detail == "etcd listens on 127.0.0.1:2379, not 192.168.0.15:2379"
    assert "ETCD_LISTEN_CLIENT_URLS must include http://192.168.0.15:2379" in hint


def test_no_netstat_is_what_a_student_met(lab):
    # what `su - -c 'netstat -anutp | grep 2379'` printed on the box without net-tools
    r = res("", 1, "-bash: line 1: netstat: command not found\n")
    ok, detail, hint = printed.judge_etcd_listener(r, lab)
    assert not ok and "netstat: command not found" in detail and "net-tools" in hint


@pytest.mark.parametrize("name", ["tutorial-etcd-member-list.txt", "debian12-su-etcdctl-member-list.txt"])
def test_member_list_has_the_printed_leader_line(lab, name):
    ok, detail, _ = printed.judge_member_list(res(cap(name)), lab)
    assert ok and detail.startswith("8e9e05c52164694d: name=default") and detail.endswith("isLeader=true")


def test_member_list_in_the_v3_table_is_not_the_printed_shape(lab):
    # etcdctl 3.4 without ETCDCTL_API=2 (its v3 `member list`, as a student saw it)
    v3 = "8e9e05c52164694d, started, default, http://localhost:2380, http://192.168.0.15:2379, false\n"
    with pytest.raises(ValueError, match="not an etcdctl member list line"):
        printed.judge_member_list(res(v3), lab)


def test_cluster_health_as_printed(lab):
    ok, detail, _ = printed.judge_cluster_health(res(cap("tutorial-etcd-cluster-health.txt")), lab)
    assert ok and detail == "got healthy result from http://192.168.0.15:2379; cluster is healthy"


def test_cluster_health_unknown_to_v3(lab):
    r = res("", 1, 'Error: unknown command "cluster-health" for "etcdctl"\nRun \'etcdctl --help\' for usage.\n')
    ok, _, hint = printed.judge_cluster_health(r, lab)
    assert not ok and "v2 command" in hint


def test_the_flannel_key_read_back(lab):
    assert printed.judge_flannel_key(res('{"Network": "10.255.0.0/16"}\n'), lab)[0]
    ok, detail, hint = printed.judge_flannel_key(res(""), lab)   # v3 get of a v2 key: nothing
    assert not ok and detail == "printed nothing" and "v3 API cannot see it" in hint


def test_systemctl_status_every_unit_running():
    units = ["flanneld", "kube-proxy", "kubelet", "docker"]
    ok, detail, _ = printed.judge_status(res(cap("debian12-systemctl-status-node-services.txt")), units)
    assert ok and detail == "flanneld active (running), kube-proxy active (running), " \
                            "kubelet active (running), docker active (running)"
    stopped = cap("debian12-systemctl-status-node-services.txt").replace(
        "Active: active (running) since", "Active: inactive (dead) since", 1)
    ok, detail, _ = printed.judge_status(res(stopped, 3), units)
    assert not ok and detail == "flanneld inactive (dead)"


def test_ifconfig_as_printed_and_on_the_test_box():
    tutorial_lease = LEASE_NODE1.replace("10.255.5.1", "10.255.3.1")
    ok, detail, _ = printed.judge_ifconfig(res(cap("tutorial-ifconfig-node1.txt")), res(tutorial_lease))
    assert ok and detail == "flannel0 inet 10.255.3.0 mtu 1472, docker0 inet 10.255.3.1"
    ok, detail, _ = printed.judge_ifconfig(res(cap("debian12-ifconfig-node1.txt")), res(LEASE_NODE1))
    assert ok and detail == "flannel0 inet 10.255.5.0 mtu 1472, docker0 inet 10.255.5.1"


def test_ifconfig_finds_a_downed_flannel0_and_docker0_off_the_lease():
    text = cap("debian12-ifconfig-node1.txt").replace(
        "flannel0: flags=4305<UP,POINTOPOINT,RUNNING,NOARP,MULTICAST>", "flannel0: flags=4304<POINTOPOINT,NOARP,MULTICAST>") \
        .replace("inet 10.255.5.1  netmask 255.255.255.0", "inet 172.17.0.1  netmask 255.255.0.0")
    ok, detail, _ = printed.judge_ifconfig(res(text), res(LEASE_NODE1))
    assert not ok and detail == "flannel0 down mtu 1472; docker0 inet 172.17.0.1, the lease wants 10.255.5.1"


@pytest.mark.parametrize("name", ["tutorial-netstat-anutp-grep-proxy.txt", "debian12-netstat-anutp-grep-proxy.txt"])
def test_kube_proxy_talks_to_the_master(lab, name):
    node = lab.node("k8s-node1")
    ok, detail, _ = printed.judge_proxy_connections(res(cap(name)), lab, node)
    assert ok and detail == "2 kube-proxy connection(s) 192.168.0.16 -> 192.168.0.15:8080"
    ok, detail, _ = printed.judge_proxy_connections(res(cap(name)), lab, lab.node("k8s-node2"))
    assert not ok and detail == "no kube-proxy connection from 192.168.0.17 to 192.168.0.15:8080"


def test_the_flannel_files_as_printed(lab):
    ok, detail, _, data = printed.judge_flannel_files(res("docker\nsubnet.env\n"), res(cap("tutorial-flannel-docker.txt")),
                                                      res(cap("tutorial-flannel-subnet.env")), lab)
    assert ok and detail == "docker --bip=10.255.21.1/24, subnet.env FLANNEL_SUBNET=10.255.21.1/24 MTU 1472"
    assert data["lease"] == "10.255.21.1/24"      # the ping's target, later
    ok, detail, _ = printed.judge_flannel_files(res("subnet.env\n"), res(""), res(""), lab)
    assert not ok and detail == "/run/flannel holds subnet.env"


def test_kubectl_get_nodes_as_printed(lab):
    # the student's table goes through the nodes group's judge, which reads it as well as -o json
    from provision.checks import kube
    ok, detail, _ = kube.judge_nodes_ready(res(cap("tutorial-kubectl-get-nodes-1.5.txt")), lab)
    assert ok and detail == "k8s-node1, k8s-node2 Ready"


def test_the_group_runs_the_printed_lines_in_the_tutorials_order(lab):
    class Collect:
        def __init__(self):
            self.asked = []

        def run(self, group, check, node, commands, judge, **kw):
            assert group == "commands"
            self.asked.append((check, node))
            return CheckResult(group, check, node, False, 0.0, "")
    c = Collect()
    drive(printed.checks, lab, c)
    checks = [check for check, _ in c.asked]
    assert checks[:5] == ["2.1 netstat -anutp | grep 2379", "2.1 etcdctl member list", "2.1 etcdctl cluster-health",
                          "2.3 etcdctl get /k8s/network/config", "2.4 systemctl status"]
    assert ("3.5 ifconfig", "k8s-node2") in c.asked and checks[-1] == "4 kubectl get nodes"


def test_kubectl_get_nodes_read_before_the_nodes_registered_is_asked_again(lab, monkeypatch):
    """up repairs a node; verify reads everything ahead, then the nodes group waits for Ready.
    The student's `kubectl get nodes`, read ahead too, must not report the stale NotReady."""
    from k8slab.checks import runner
    from k8slab.checks.report import CheckResult, Report
    monkeypatch.setattr(runner.time, "sleep", lambda s: None)
    command = printed.TYPED("kubectl get nodes").command
    stale = cap("tutorial-kubectl-get-nodes-1.5.txt").replace("k8s-node1   Ready ", "k8s-node1   NotReady")

    class Master:   # the node now: Ready (what a real kubectl prints, the tutorial's transcript)
        name, step = "k8s-master", None

        def run(self, cmd, check=False):
            return res(cap("tutorial-kubectl-get-nodes-1.5.txt"), command=cmd)

    ready = CheckResult("nodes", "kubectl get nodes", "k8s-master", True, 16.0, "k8s-node1, k8s-node2 Ready")
    checker = runner.Checker(lab, {"k8s-master": Master()}, Report(lab.name),
                             {"k8s-master": {command: res(stale, command=command)}})

    def judged(nodes_group):
        def judge(check, done):
            if check.name != "4 kubectl get nodes":
                return CheckResult(check.group, check.name, check.node, False, 0.0, "")
            return checker.judge_one(check, done=[*nodes_group, *done])
        return runner.each_check(printed.checks, lab, judge)[-1]
    last = judged([ready])
    assert (last.group, last.check, last.passed) == ("commands", "4 kubectl get nodes", True), last
    # without the nodes group's Ready, the line read ahead is the answer
    assert judged([]).detail == "k8s-node1 NotReady"


def test_each_node_judges_its_own_services_status(lab):
    """The group is built before anything is judged: each status line keeps its own node's units
    (a late-bound list once judged the master's line against the nodes' units)."""
    status = {"k8s-master": cap("debian12-systemctl-status-master-services.txt"),
              "k8s-node1": cap("debian12-systemctl-status-node-services.txt")}

    class Answer:
        def run(self, group, check, node, commands, judge, **kw):
            results = [res(status.get(node, ""), command=c) for c in commands]
            try:
                ok, detail, *_ = judge(*results)
            except ValueError:
                ok, detail = False, ""
            return CheckResult(group, check, node, ok, 0.0, detail)
    judged = {(r.check, r.node): r for r in drive(printed.checks, lab, Answer())}
    master, node1 = judged[("2.4 systemctl status", "k8s-master")], judged[("3.5 systemctl status", "k8s-node1")]
    assert master.passed and master.detail == ("kube-apiserver active (running), kube-controller-manager active "
                                               "(running), kube-scheduler active (running), flanneld active (running)")
    assert node1.passed and node1.detail.startswith("flanneld active (running), kube-proxy active (running)")
