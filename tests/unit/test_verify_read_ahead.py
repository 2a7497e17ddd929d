"""verify reads ahead: the commands of every check, recorded by running the groups' checks on a
Checker that runs nothing, then asked of each node in one round trip (Host.run_many). It must
judge exactly as asking command by command does, in fewer round trips.

The "nodes" here are this machine's own bash through invoke's Context (Fabric's `run`
interface; the VMs run the same strings over SSH), so the base and etcd groups' real commands
run for real and give whatever this machine answers: the test compares the two ways, not the
answers."""
from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest

from invoke import Context

from k8slab.checks import base, etcd, runner
from k8slab.facts import http
from k8slab.checks.report import Report
from k8slab.remote import Host

GROUPS = [("base", base.checks), ("etcd", etcd.checks)]


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """The etcd group's HTTP read goes to the lab's 192.168.0.15: here, outside the tests'
    network namespace, no traffic may leave for such an address. It asks a closed loopback port
    instead (refused at once, as from a node where etcd is down); etcdctl is not installed here."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setattr(etcd, "http", SimpleNamespace(
        get=lambda ip, port, path: http.get("127.0.0.1", closed, path), parse=http.parse))


def counted(host):
    """host, counting the messages its shell is sent (each is one round trip to the node)."""
    send, host.calls = host.shell._send, 0

    def counting(data):
        host.calls += 1
        return send(data)
    host.shell._send = counting
    return host


def hosts_for(lab, tmp_path):
    return {n.name: counted(Host(SimpleNamespace(name=n.name, ip=n.ip), Context(),
                                 tmp_path / f"{n.name}.log", become=False)) for n in lab.nodes}


def judged(lab, hosts, read):
    report = Report(lab.name)
    checker = runner.Checker(lab, hosts, report, read)
    for _, checks in GROUPS:
        checks(lab, checker)
    return [(r.check, r.node, r.passed, r.detail) for r in report.results]


def test_read_ahead_judges_as_asking_one_by_one_in_one_round_trip(lab, tmp_path, monkeypatch):
    monkeypatch.setattr(etcd, "REACH_WAIT", 0)   # nothing answers here: no retries
    live_hosts = hosts_for(lab, tmp_path)
    live = judged(lab, live_hosts, {})
    ahead_hosts = hosts_for(lab, tmp_path)
    read = runner.read_ahead(lab, ahead_hosts, GROUPS)
    assert judged(lab, ahead_hosts, read) == live
    # every command came from the one batch per node: nothing asked afterwards
    assert [h.calls for h in ahead_hosts.values()] == [1, 1, 1]
    assert sum(h.calls for h in live_hosts.values()) == len(live)   # one per check before
    assert read["k8s-master"][etcd.http.get(lab.etcd.ip, 2379, "/version")].command.startswith("timeout 5")
    assert "/dev/tcp/127.0.0.1/" in etcd.http.get(lab.etcd.ip, 2379, "/version")


def lease_then_ping(lab, c):
    """Like the network group: the second check exists only once the first has passed, and asks
    another node about what the first one read."""
    leases = {}

    def judge_lease(r):
        if r.ok:
            leases["k8s-master"] = r.stdout.strip()
        return r.ok, r.stdout.strip(), ""
    c.run("network", "lease", "k8s-master", "echo 10.255.7.0", judge_lease)
    if leases:
        c.run("ping", "ping", "k8s-node1", f"echo reply from {leases['k8s-master']}",
              lambda r: (r.stdout == "reply from 10.255.7.0\n", r.stdout.strip(), ""))


def test_read_ahead_asks_a_dependent_check_in_the_next_round(lab, tmp_path):
    live = [(c, n, p, d) for c, n, p, d in judged_groups(lab, hosts_for(lab, tmp_path), {}, [lease_then_ping])]
    assert [(c, p) for c, _, p, _ in live] == [("lease", True), ("ping", True)]
    hosts = hosts_for(lab, tmp_path)
    read = runner.read_ahead(lab, hosts, [("network", lease_then_ping)])
    # round 1 read the lease on the master, round 2 the ping on node1
    assert {n: h.calls for n, h in hosts.items()} == {"k8s-master": 1, "k8s-node1": 1, "k8s-node2": 0}
    assert judged_groups(lab, hosts, read, [lease_then_ping]) == live
    assert sum(h.calls for h in hosts.values()) == 2     # nothing asked when judging


def judged_groups(lab, hosts, read, groups):
    report = Report(lab.name)
    checker = runner.Checker(lab, hosts, report, read)
    for checks in groups:
        checks(lab, checker)
    return [(r.check, r.node, r.passed, r.detail) for r in report.results]


def test_what_the_run_read_already_is_not_asked_again(lab, tmp_path, monkeypatch):
    """up hands verify what provisioning read when it changed nothing: those commands are not sent."""
    monkeypatch.setattr(etcd, "REACH_WAIT", 0)
    first = hosts_for(lab, tmp_path)
    read = runner.read_ahead(lab, first, GROUPS)
    again = hosts_for(lab, tmp_path)
    master = read["k8s-master"]
    seen = {"k8s-master": master}
    assert runner.read_ahead(lab, again, GROUPS, seen) == read
    assert {n: h.calls for n, h in again.items()} == {"k8s-master": 0, "k8s-node1": 1, "k8s-node2": 1}
    assert seen == {"k8s-master": master}    # the caller's dict is not written into
