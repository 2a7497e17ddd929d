"""verify's reports (verify.json, JUnit verify.xml) and the Checker's bookkeeping.

The Checker is driven with a stand-in host whose `run` returns canned Results; the real hosts
are nodes reached over SSH, tested for real in tests/vm. The judges are the test's own, pure as
a tutorial's are, on the engine's facts (the tutorial's judges, on captured outputs:
tests/unit/tutorial/test_judges.py); which of the tutorial's groups verify runs:
tests/unit/tutorial/test_verify_groups.py.
"""
from __future__ import annotations

import json
import re
from ipaddress import IPv4Interface
from pathlib import Path
from types import SimpleNamespace

import pytest
from junitparser import Failure, JUnitXml

from k8slab import state
from k8slab.checks import runner
from k8slab.checks.check import NodeColumn
from k8slab.checks.report import CheckResult, Report, write_reports
from k8slab.classview.build import copy_view
from k8slab.errors import CommandError
from k8slab.facts import http
from k8slab.facts.addresses import ADDRESSES
from k8slab.facts.units import UNITS
from k8slab.remote import Result

FLANNELD = UNITS("flanneld")

ROOT = Path(__file__).resolve().parents[3]


# --- judges of the test's own: (ok, detail, hint) or (ok, detail, hint, data), nothing else ---

def judge_active(states, unit, hint):
    """A unit's state (UNITS' value) is active."""
    state = states[unit].active
    return state == "active", f"{unit} {state}", hint


def judge_bridge(docker_file, addresses):
    """The address docker's options (a `--bip=` in the file) want on docker0, against the ones
    ADDRESSES' value lists for it."""
    want = IPv4Interface(re.search(r"--bip=([0-9./]+)", docker_file.stdout).group(1))
    has = addresses.get("docker0", [])
    if want not in has:
        return False, f"docker0 has {', '.join(map(str, has)) or 'no address'}, the lease wants {want}", \
            "docker started before the lease was written: restart docker"
    return True, f"docker0 {want}", ""


def judge_workers_ready(result, lab):
    """A `NAME STATUS ...` table (kubectl get nodes'): every worker of the lab listed Ready."""
    status = dict(f.split()[:2] for f in result.stdout.splitlines()[1:] if f.strip())
    workers = [n.name for n in lab.with_role("worker")]
    down = [f"{n} {status.get(n, 'not registered')}" for n in workers if status.get(n) != "Ready"]
    if down:
        return False, "; ".join(down), "NotReady: is kubelet active on that node?"
    return True, f"{', '.join(workers)} Ready", ""


def judge_answers(answer, lab, node):
    """An HTTP answer (http.parse's) from the lab's first node."""
    return answer.status == 200, f"HTTP {answer.status} from {lab.nodes[0].name}", f"from {node}: is it up?"


def judge_lease(result):
    """A subnet.env's lease; passed, it is the check's data too (the class page shows it)."""
    env = dict(f.split("=", 1) for f in result.stdout.splitlines() if "=" in f)
    if not result.ok or "FLANNEL_SUBNET" not in env:
        return False, "no lease", "is flanneld active?", {}
    data = {"lease": env["FLANNEL_SUBNET"], "mtu": int(env["FLANNEL_MTU"]),
            "ipmasq": env.get("FLANNEL_IPMASQ") == "true"}
    return True, f"lease {data['lease']}, MTU {data['mtu']}", "", data


# the nodes' column `invoke status` shows of these checks (as the tutorial's: the flannel subnet)
LEASES = NodeColumn("flannel subnet", "flannel lease", "lease")


# --- write_reports ---------------------------------------------------------------------------

def mixed_report():
    report = Report("k8s-lab")
    report.add(CheckResult("etcd", "etcd member list", "k8s-master", True, 0.25,
                           "8e9e05c52164694d: name=default clientURLs=http://192.168.0.15:2379"))
    report.add(CheckResult("network", "flanneld active", "k8s-node1", False, 1.5, "flanneld inactive",
                           evidence="$ systemctl is-active flanneld\ninactive\n(exit 3)",
                           hint="flanneld is not active on k8s-node1"))
    report.add(CheckResult("nodes", "kubectl get nodes", "k8s-master", False, 180.0, "k8s-node2 not registered",
                           evidence="$ kubectl get nodes\nNAME STATUS AGE\n(exit 0)", hint=""))
    return report


def test_json_has_every_result_and_fails_when_one_failed(lab):
    json_path, _ = write_reports(lab, mixed_report())
    assert json_path == lab.workdir / "verify.json"
    data = json.loads(json_path.read_text())
    assert data["lab"] == "k8s-lab" and data["passed"] is False
    assert [(r["check"], r["node"], r["passed"]) for r in data["results"]] == [
        ("etcd member list", "k8s-master", True),
        ("flanneld active", "k8s-node1", False),
        ("kubectl get nodes", "k8s-master", False)]
    flannel = data["results"][1]
    assert flannel["group"] == "network" and flannel["seconds"] == 1.5
    assert flannel["hint"] == "flanneld is not active on k8s-node1"
    assert flannel["evidence"].endswith("(exit 3)")


def test_junit_counts_failures_with_message_hint_and_evidence(lab):
    _, xml_path = write_reports(lab, mixed_report())
    assert xml_path == lab.workdir / "verify.xml"
    xml = JUnitXml.fromfile(str(xml_path))
    [suite] = list(xml)
    assert suite.name == "k8s-lab verify k8s-lab"
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (3, 2, 0, 0)
    assert suite.time == pytest.approx(181.75)
    cases = {case.name: case for case in suite}
    assert set(cases) == {"etcd member list [k8s-master]", "flanneld active [k8s-node1]",
                          "kubectl get nodes [k8s-master]"}
    assert cases["etcd member list [k8s-master]"].is_passed
    assert cases["etcd member list [k8s-master]"].classname == "k8s-lab.etcd"

    flannel = cases["flanneld active [k8s-node1]"]
    [failure] = flannel.result
    assert isinstance(failure, Failure) and failure.type == "CheckFailed"
    assert failure.message == "flanneld inactive"
    assert failure.text == ("hint: flanneld is not active on k8s-node1\n\n"
                            "$ systemctl is-active flanneld\ninactive\n(exit 3)")
    assert flannel.classname == "k8s-lab.network" and flannel.time == pytest.approx(1.5)

    [nohint] = cases["kubectl get nodes [k8s-master]"].result
    assert nohint.message == "k8s-node2 not registered"
    assert nohint.text == "$ kubectl get nodes\nNAME STATUS AGE\n(exit 0)"   # no empty "hint:" line


def test_a_passing_run(lab):
    report = Report("k8s-lab")
    report.add(CheckResult("etcd", "etcd cluster-health", "k8s-master", True, 0.1, "cluster is healthy"))
    report.add(CheckResult("etcd", "etcd reachable", "k8s-node1", True, 0.2, "answers"))
    json_path, xml_path = write_reports(lab, report)
    assert json.loads(json_path.read_text())["passed"] is True
    [suite] = list(JUnitXml.fromfile(str(xml_path)))
    assert (suite.tests, suite.failures) == (2, 0)
    assert all(case.is_passed for case in suite)
    assert report.failed == [] and report.summary().startswith("verify: 2 passed, 0 failed")


def test_markup_and_xml_special_characters_survive(lab):
    report = Report("k8s-lab")
    report.add(CheckResult("etcd", "flannel network key", "k8s-master", False, 0.0,
                           "/k8s/network/config is not JSON: {'Network': <x> & [y]}",
                           evidence='$ etcdctl get /k8s/network/config\n{"a": "<&>"}', hint="use [brackets]"))
    _, xml_path = write_reports(lab, report)
    [case] = list(list(JUnitXml.fromfile(str(xml_path)))[0])
    [failure] = case.result
    assert failure.message == "/k8s/network/config is not JSON: {'Network': <x> & [y]}"
    assert failure.text.endswith('{"a": "<&>"}')


# --- Checker -----------------------------------------------------------------------------------

class CannedHost:
    """Stands in for a node reached over SSH (remote.Host, tested for real in tests/vm): each
    run(cmd, check=False) returns the next canned Result, or raises it if it is an exception."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.commands = []
        self.step = None

    def run(self, command, check=True):
        assert check is False, "the checker must never let a failing command raise"
        self.commands.append(command)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return Result(command, *answer)


class FakeClock:
    """runner's `time`: sleep advances monotonic, so polling is instant and its duration exact."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(runner, "time", SimpleNamespace(monotonic=clock.monotonic, sleep=clock.sleep))
    return clock


def checker(lab, host):
    return runner.Checker(lab, {"k8s-node1": host}, Report(lab.name))


def test_a_pass_carries_neither_evidence_nor_hint(lab, clock):
    host = CannedHost((0, "Id=flanneld.service\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\n", ""))
    c = checker(lab, host)
    r = c.run("network", "flanneld active", "k8s-node1", FLANNELD,
              lambda r: judge_active(r, "flanneld", "the hint"))
    assert (r.passed, r.detail, r.evidence, r.hint) == (True, "flanneld active", "", "")
    assert host.step == "verify/flanneld active" and c.report.results == [r]


def test_a_failure_carries_evidence_and_hint(lab, clock):
    host = CannedHost((0, "Id=flanneld.service\nLoadState=loaded\nActiveState=inactive\nUnitFileState=enabled\n", ""))
    c = checker(lab, host)
    r = c.run("network", "flanneld active", "k8s-node1", FLANNELD,
              lambda r: judge_active(r, "flanneld", "the hint"))
    assert (r.passed, r.detail, r.hint) == (False, "flanneld inactive", "the hint")
    assert r.evidence == "$ systemctl show -p Id -p LoadState -p ActiveState -p UnitFileState flanneld\nId=flanneld.service\nLoadState=loaded\nActiveState=inactive\nUnitFileState=enabled\n(exit 0)"
    assert c.report.failed == [r]


def test_several_commands_feed_one_judge_and_all_are_evidence(lab, clock):
    host = CannedHost((0, 'DOCKER_OPT_BIP="--bip=10.255.3.1/24"\n', ""),
                      (0, "5: docker0    inet 172.17.0.1/16 scope global docker0\n", ""))
    r = checker(lab, host).run("network", "docker0 on the lease", "k8s-node1",
                               ["cat /run/flannel/docker", ADDRESSES()], judge_bridge)
    assert not r.passed and r.detail == "docker0 has 172.17.0.1/16, the lease wants 10.255.3.1/24"
    assert host.commands == ["cat /run/flannel/docker", "ip -o -4 addr show"]
    assert r.evidence.split("\n(exit 0)\n")[0].startswith("$ cat /run/flannel/docker\nDOCKER_OPT_BIP")
    assert "$ ip -o -4 addr show\n5: docker0" in r.evidence


def test_a_judge_raising_value_error_is_an_unexpected_output_failure(lab, clock):
    host = CannedHost((1, "", "System has not been booted with systemd as init system (PID 1). Can't operate.\n"))
    r = checker(lab, host).run("network", "flanneld active", "k8s-node1", FLANNELD,
                               lambda r: judge_active(r, "flanneld", "the hint"))
    assert not r.passed
    assert r.detail.startswith("unexpected output: systemctl show flanneld: expected the states of 1 unit(s)")
    assert r.hint == ""
    assert "System has not been booted with systemd" in r.evidence and r.evidence.endswith("(exit 1)")


def test_a_command_that_cannot_run_is_a_failure(lab, clock):
    err = CommandError("command", "systemctl is-active flanneld", 255, ["ssh: connection lost"])
    r = checker(lab, CannedHost(err)).run("network", "flanneld active", "k8s-node1",
                                          "systemctl is-active flanneld", lambda r: (True, "never", ""))
    assert not r.passed and r.detail == "could not run: systemctl is-active flanneld"
    assert "ssh: connection lost" in r.hint


def test_polling_retries_until_the_judge_passes_and_records_the_time(lab, clock):
    nodes = "NAME        STATUS    AGE\nk8s-node1   Ready     1m\nk8s-node2   {} 1s\n"
    host = CannedHost((0, "", "No resources found.\n"),
                      (0, nodes.format("NotReady"), ""),
                      (0, nodes.format("Ready   "), ""),
                      (0, "never asked", ""))
    c = checker(lab, host)
    r = c.run("nodes", "kubectl get nodes", "k8s-node1", "kubectl get nodes",
              lambda r: judge_workers_ready(r, lab), timeout=180, interval=3)
    assert r.passed and r.detail == "k8s-node1, k8s-node2 Ready"
    assert len(host.commands) == 3 and clock.sleeps == [3, 3]
    assert r.seconds == pytest.approx(6.0)
    assert c.report.results == [r]          # one result, not one per attempt


def test_polling_gives_up_at_the_timeout_with_the_last_evidence(lab, clock):
    nodes = "NAME        STATUS    AGE\nk8s-node1   Ready     1m\nk8s-node2   NotReady  1s\n"
    host = CannedHost(*[(0, nodes, "")] * 10)
    r = checker(lab, host).run("nodes", "kubectl get nodes", "k8s-node1", "kubectl get nodes",
                               lambda r: judge_workers_ready(r, lab), timeout=10, interval=3)
    assert not r.passed and r.detail == "k8s-node2 NotReady"
    # tries at 0, 3, 6, 9 s; after the one at 9 s another sleep would end past the 10 s timeout
    assert len(host.commands) == 4 and clock.sleeps == [3, 3, 3] and r.seconds == pytest.approx(9.0)
    assert r.evidence.count("$ kubectl get nodes") == 1 and "kubelet" in r.hint


def test_without_timeout_a_check_runs_once(lab, clock):
    host = CannedHost((1, "", "refused"), (0, "ok", ""))
    r = checker(lab, host).run("etcd", "etcd reachable", "k8s-node1", "x",
                               lambda r: judge_answers(http.parse(r), lab, "k8s-node1"))
    assert not r.passed and host.commands == ["x"] and clock.sleeps == []


def test_a_judges_data_reaches_verify_json_and_invoke_status(lab, clock):
    """The flannel lease travels as data (the judge's fourth element), not as detail text that
    `invoke status` would have to parse back."""
    subnet_env = (ROOT / "tests" / "captured" / "tutorial-flannel-subnet.env").read_text()
    c = checker(lab, CannedHost((0, subnet_env, ""), (0, "Id=flanneld.service\nLoadState=loaded\nActiveState=inactive\nUnitFileState=enabled\n", "")))
    lease = c.run("network", "flannel lease", "k8s-node1", "cat /run/flannel/subnet.env",
                  judge_lease)
    plain = c.run("network", "flanneld active", "k8s-node1", FLANNELD,
                  lambda r: judge_active(r, "flanneld", "the hint"))
    found = {"lease": "10.255.21.1/24", "mtu": 1472, "ipmasq": False}
    assert lease.data == found and plain.data == {}
    json_path, _ = write_reports(lab, c.report)
    assert [r["data"] for r in json.loads(json_path.read_text())["results"]] == [found, {}]
    state.record_verify(lab, 1, 1, 1000.0)
    assert leases_shown(lab) == {"k8s-master": None, "k8s-node1": "10.255.21.1/24", "k8s-node2": None}
    # status names no check: the column shows what its NodeColumn names (LEASES: above)
    assert leases_shown(lab, NodeColumn("MTU", "flannel lease", "mtu"))["k8s-node1"] == 1472
    assert leases_shown(lab, NodeColumn("state", "flanneld active", "lease"))["k8s-node1"] is None
    assert leases_shown(lab, None)["k8s-node1"] is None


def test_a_verify_json_from_before_data_shows_no_lease(lab, clock):
    """Written by a k8s-lab whose results had no data: `invoke status` shows no lease until the
    next verify, and does not fail."""
    report = Report(lab.name)
    report.add(CheckResult("network", "flannel lease", "k8s-node1", True, 0.1, "lease 10.255.21.1/24, MTU 1472"))
    json_path, _ = write_reports(lab, report)
    old = json.loads(json_path.read_text())
    for r in old["results"]:
        del r["data"]
    json_path.write_text(json.dumps(old))
    state.record_verify(lab, 1, 0, 1000.0)
    assert set(leases_shown(lab).values()) == {None}


def leases_shown(lab, column=LEASES) -> dict:
    view = copy_view(lab, lab, 1, {}, column)
    return {n.name: n.column for n in view.nodes}


def test_a_check_decided_from_earlier_results_keeps_its_hint_only_for_failures(lab):
    """leases differ runs no command: its judge reads the leases the other checks found."""
    c = runner.Checker(lab, {}, Report(lab.name))
    ok = c.run("network", "leases differ", "all", [], lambda: (True, "3 distinct leases", "a hint"))
    bad = c.run("network", "leases differ", "all", [], lambda: (False, "a, b share x", "a hint"))
    assert (ok.passed, ok.hint, ok.evidence) == (True, "", "")
    assert (bad.passed, bad.hint, bad.detail) == (False, "a hint", "a, b share x")
    assert c.report.results == [ok, bad]
