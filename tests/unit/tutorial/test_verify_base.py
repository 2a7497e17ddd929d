"""The base stage's checks (provision/checks/base.py): private IP, lab names, firewall off, time sync.

Name resolution is judged on real `getent ahostsv4` output of the check's own command, captured
with three /etc/hosts layouts (tests/captured/README.md); `ip` and `systemctl` outputs are the
captures the other judges use.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from provision.checks import base, network, parse
from provision.lab import load_lab
from k8slab.facts.addresses import ADDRESSES
from k8slab.facts.units import UNITS
from k8slab.remote import Result
from k8slab.checks.report import CheckResult
from tests.unit.tutorial.answers import drive, is_active

ROOT = Path(__file__).resolve().parents[3]
CAPTURED = ROOT / "tests" / "captured"
COMMAND = ('for n in k8s-master k8s-etcd k8s-node1 k8s-node2; do echo "== $n"; '
           'getent ahostsv4 "$n"; done')


def cap(name: str) -> str:
    return (CAPTURED / name).read_text()



def names(lab, capture, exited=0):
    return base.judge_names(Result(COMMAND, exited, cap(capture), ""), lab)


# --- lab names resolve ---------------------------------------------------------------------------

def test_one_command_asks_for_every_name_and_alias(lab):
    assert base.resolve_command([name for _, name in lab.hosts_entries]) == COMMAND


def test_parse_reads_every_address_of_every_name():
    assert parse.parse_getent_ahosts(cap("getent-ahostsv4-lab-names-loopback-left.txt")) == {
        "k8s-master": ["192.168.0.15"], "k8s-etcd": ["192.168.0.15"],
        "k8s-node1": ["127.0.0.1", "192.168.0.16"], "k8s-node2": ["192.168.0.17"]}


def test_parse_keeps_names_that_did_not_resolve():
    assert parse.parse_getent_ahosts(cap("getent-ahostsv4-lab-names-vagrant.txt")) == {
        "k8s-master": [], "k8s-etcd": [], "k8s-node1": ["127.0.0.1"], "k8s-node2": []}


@pytest.mark.parametrize("text", ["", "bash: getent: command not found\n",
                                  "192.168.0.15    STREAM k8s-master\n",
                                  "== k8s-master\nk8s-master has address 192.168.0.15\n"])
def test_parse_refuses_what_is_not_its_output(text):
    with pytest.raises(ValueError):
        parse.parse_getent_ahosts(text)


def test_the_hosts_file_the_base_stage_writes_passes(lab):
    assert names(lab, "getent-ahostsv4-lab-names-base.txt") == \
        (True, "4 names resolve to their private IPs", "")


def test_as_vagrant_leaves_it_names_every_wrong_name(lab):
    ok, detail, hint = names(lab, "getent-ahostsv4-lab-names-vagrant.txt", exited=2)
    assert not ok
    assert detail == ("k8s-master does not resolve; k8s-etcd does not resolve; "
                      "k8s-node1 resolves to 127.0.0.1, not 192.168.0.16; k8s-node2 does not resolve")
    assert "the base stage writes /etc/hosts" in hint and "`invoke up` repairs it" in hint


def test_the_hostname_left_on_loopback_fails_although_its_ip_is_there_too(lab):
    ok, detail, _ = names(lab, "getent-ahostsv4-lab-names-loopback-left.txt")
    assert not ok and detail == "k8s-node1 resolves to 127.0.0.1, 192.168.0.16, not 192.168.0.16"


def test_an_alias_on_another_ip_fails(lab):
    out = cap("getent-ahostsv4-lab-names-base.txt").replace(
        "192.168.0.15    STREAM k8s-etcd", "192.168.0.99    STREAM k8s-etcd")
    ok, detail, _ = base.judge_names(Result(COMMAND, 0, out, ""), lab)
    # only the STREAM line moved: getent prints DGRAM and RAW lines per address too
    assert not ok and detail == "k8s-etcd resolves to 192.168.0.99, 192.168.0.15, not 192.168.0.15"


# --- private ip, firewall, time sync ------------------------------------------------------------

def test_private_ip_on_eth1(lab):
    # the capture laid out like k8s-node1: 192.168.0.16/24 on eth1 (tests/captured/README.md)
    r = ADDRESSES().value(Result("ip -o -4 addr show", 0, cap("ip-4-o-addr-node.txt"), ""))
    assert base.judge_private_ip(r, lab.node("k8s-node1")) == (True, "192.168.0.16 on eth1", "")


def test_private_ip_missing(lab):
    r = ADDRESSES().value(Result("ip -o -4 addr show", 0, cap("ip-4-o-addr-node.txt"), ""))
    ok, detail, hint = base.judge_private_ip(r, lab.node("k8s-master"))
    assert not ok and detail == "192.168.0.15 is on no interface" and "`invoke up`" in hint


def firewalld(active, load="loaded"):
    """UNITS("firewalld")'s value from what `systemctl show` prints (the form of the real
    tests/captured/systemctl-show-master.txt, where firewalld is not-found)."""
    units = UNITS("firewalld")
    return units.value(Result(units.command, 0, f"Id=firewalld.service\nLoadState={load}\n"
                                                f"ActiveState={active}\nUnitFileState=\n", ""))


@pytest.mark.parametrize("state, load, passed", [("inactive", "loaded", True), ("inactive", "not-found", True),
                                                 ("failed", "loaded", True), ("active", "loaded", False),
                                                 ("activating", "loaded", False)])
def test_firewall_off(state, load, passed):
    ok, detail, hint = base.judge_firewall_off(firewalld(state, load))
    assert (ok, detail) == (passed, f"firewalld {state}")
    assert ("`invoke up` stops it" in hint) == (not passed)


class Recorder:
    def __init__(self, answer):
        self.answer, self.runs, self.outcomes = answer, [], {}

    def run(self, group, check, node, commands, judge, timeout=0, interval=3):
        (command,) = commands    # each base check runs one command
        self.runs.append((group, check, node, command))
        try:
            self.outcomes[(check, node)] = judge(self.answer(command))
        except ValueError as e:     # as runner.Checker: unreadable output is a failure
            self.outcomes[(check, node)] = (False, f"unexpected output: {e}", "")
        return CheckResult(group, check, node, self.outcomes[(check, node)][0], 0.0, "")


def test_every_node_gets_each_base_check_in_one_command(lab):
    def answer(cmd):
        if cmd.startswith("for n in"):
            return Result(cmd, 0, cap("getent-ahostsv4-lab-names-base.txt"), "")
        if cmd.startswith("ip "):
            return Result(cmd, 0, cap("ip-4-o-addr-node.txt"), "")
        return Result(cmd, 0, is_active(cmd, default="inactive"), "")
    c = Recorder(answer)
    drive(base.checks, lab, c)
    # firewall and time sync read the node's one `systemctl show` of every unit verify asks about
    states = {n.name: network.unit_states(lab, n).command for n in lab.nodes}
    assert states["k8s-node1"].startswith(
        "systemctl show -p Id -p LoadState -p ActiveState -p UnitFileState firewalld ntpd flanneld")
    assert {(g, check, node, cmd) for g, check, node, cmd in c.runs} == {
        *{("base", "private ip", n, "ip -o -4 addr show") for n in states},
        *{("base", "lab names resolve", n, COMMAND) for n in states},
        *{("base", "firewall off", n, cmd) for n, cmd in states.items()},
        *{("base", "time sync", n, cmd) for n, cmd in states.items()}}
    assert len(c.runs) == 4 * 3
    ok, detail, hint = c.outcomes[("time sync", "k8s-node2")]
    assert not ok and detail == "ntpd inactive" and "invoke ssh k8s-node2" in hint
    assert c.outcomes[("private ip", "k8s-node1")][0] and not c.outcomes[("private ip", "k8s-node2")][0]


def test_debian12_syncs_time_with_timesyncd(tmp_path):
    (tmp_path / "lab.yaml").write_text((ROOT / "lab.yaml").read_text().replace(
        "platform: centos7", "platform: debian12").replace("until: start", "until: etcd"))
    c = Recorder(lambda cmd: Result(cmd, 0, is_active(cmd) if cmd.startswith("systemctl") else "", ""))
    drive(base.checks, load_lab(tmp_path / "lab.yaml"), c)
    time_sync = next(cmd for _, check, node, cmd in c.runs if (check, node) == ("time sync", "k8s-node1"))
    assert "systemd-timesyncd" in time_sync.split() and "ntpd" not in time_sync.split()
    assert c.outcomes[("time sync", "k8s-node1")] == (True, "systemd-timesyncd active", "")
