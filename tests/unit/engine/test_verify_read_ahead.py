"""verify reads ahead: each round asks every node, in one round trip (Host.run_many), for the
commands of the checks the groups yielded (runner.run_checks). It must judge exactly as asking
command by command does, in fewer round trips.

The "nodes" here are this machine's own bash through invoke's Context (Fabric's `run`
interface; the VMs run the same strings over SSH), and the groups and the lab are the engine's
own (it imports nothing of the tutorial): their commands run for real."""
from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest
from invoke import Context

from k8slab.checks import runner
from k8slab.checks.check import check
from k8slab.checks.report import Report
from k8slab.facts import http
from k8slab.facts.addresses import ADDRESSES
from k8slab.facts.files import FILE
from k8slab.remote import Host


@pytest.fixture
def lab(engine_lab):
    """The engine's own lab (tests/unit/engine/engine_lab.py), nothing of the tutorial's."""
    return engine_lab


def closed_port() -> int:
    """A loopback port nothing listens on: bound, then closed before anyone asks."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_reads(lab):
    """A small group of the engine's own: reads every node answers the same here."""
    yield [c for n in lab.nodes for c in (
        check("node", "addresses", n.name, ADDRESSES(), lambda a: ("lo" in a, "lo listed", "")),
        check("node", "kernel", n.name, "uname -s", lambda r: (r.stdout.strip() == "Linux", r.stdout.strip(), "")),
        check("node", "no such file", n.name, FILE("/nonexistent/k8s-lab"),
              lambda text: (text is None, "missing", "")))]


def service_reads(lab, port=closed_port()):
    yield [check("service", "answers", lab.nodes[0].name, http.HTTP("127.0.0.1", port, "/version"),
                 lambda answer: (answer.status != 0, f"status {answer.status}", ""))]


GROUPS = [("node", node_reads), ("service", service_reads)]


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


def one_by_one(lab, hosts, groups):
    """Each check judged by asking its node for each of its commands, nothing read ahead."""
    checker = runner.Checker(lab, hosts, Report(lab.name))
    return [(r.check, r.node, r.passed, r.detail) for _, checks in groups
            for r in runner.each_check(checks, lab, lambda c, done: checker.judge_one(c, done=done))]


def ahead(lab, hosts, groups, seen=None):
    report = Report(lab.name)
    read = runner.run_checks(lab, hosts, groups, report, seen)
    return [(r.check, r.node, r.passed, r.detail) for r in report.results], read


def test_read_ahead_judges_as_asking_one_by_one_in_one_round_trip(lab, tmp_path):
    live_hosts = hosts_for(lab, tmp_path)
    live = one_by_one(lab, live_hosts, GROUPS)
    ahead_hosts = hosts_for(lab, tmp_path)
    results, read = ahead(lab, ahead_hosts, GROUPS)
    assert results == live
    # every command came from the one batch per node: nothing asked afterwards
    assert [h.calls for h in ahead_hosts.values()] == [1, 1, 1]
    assert sum(h.calls for h in live_hosts.values()) == len(live)   # one per check before
    assert [p for _, _, p, _ in results] == [True, True, True] * 3 + [False]
    assert read["k8s-master"]["uname -s"].stdout == "Linux\n"


def lease_then_ping(lab):
    """Like the network group: the second check exists only once the first has passed, and asks
    another node about what the first one found (its data)."""
    found = yield [check("network", "lease", "k8s-master", "echo 10.255.7.0",
                         lambda r: (r.ok, r.stdout.strip(), "", {"lease": r.stdout.strip()}))]
    if found[0].passed:
        lease = found[0].data["lease"]
        yield [check("ping", "ping", "k8s-node1", f"echo reply from {lease}",
                     lambda r: (r.stdout == "reply from 10.255.7.0\n", r.stdout.strip(), ""))]


def test_read_ahead_asks_a_dependent_check_in_the_next_round(lab, tmp_path):
    live = one_by_one(lab, hosts_for(lab, tmp_path), [("network", lease_then_ping)])
    assert [(c, p) for c, _, p, _ in live] == [("lease", True), ("ping", True)]
    hosts = hosts_for(lab, tmp_path)
    results, _ = ahead(lab, hosts, [("network", lease_then_ping)])
    # round 1 read the lease on the master, round 2 the ping on node1; nothing asked when judging
    assert {n: h.calls for n, h in hosts.items()} == {"k8s-master": 1, "k8s-node1": 1, "k8s-node2": 0}
    assert results == live


def test_what_the_run_read_already_is_not_asked_again(lab, tmp_path):
    """up hands verify what provisioning read when it changed nothing: those commands are not sent."""
    first, read = ahead(lab, hosts_for(lab, tmp_path), GROUPS)
    again = hosts_for(lab, tmp_path)
    master = read["k8s-master"]
    seen = {"k8s-master": master}
    results, read_again = ahead(lab, again, GROUPS, seen)
    assert results == first and read_again == read
    assert {n: h.calls for n, h in again.items()} == {"k8s-master": 0, "k8s-node1": 1, "k8s-node2": 1}
    assert seen == {"k8s-master": master}    # the caller's dict is not written into


def test_the_report_keeps_group_order_when_a_later_group_finishes_first(lab, tmp_path):
    """The first group needs two rounds, the one after it one: the report still
    lists the first group's results before the second's."""
    def one_round(lab):
        yield [check("etcd", "quick", "k8s-node2", "echo quick", lambda r: (r.ok, "quick", ""))]
    results, _ = ahead(lab, hosts_for(lab, tmp_path), [("network", lease_then_ping), ("etcd", one_round)])
    assert [c for c, *_ in results] == ["lease", "ping", "quick"]
