"""k8slab.facts: facts declared as a command and a parser, keyed by their arguments; the private
interface read from captured `ip -o -4 addr show` output, in one command per node, and a missing
one reported where a step needs it; units' states from a real `systemctl show`."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from k8slab import facts
from k8slab.errors import CommandError
from k8slab.facts.addresses import ADDRESSES
from k8slab.facts.fact import OUTPUT, asked
from k8slab.facts.units import MARKS, UNITS, UnitState
from k8slab.remote import Result

CAPTURED = Path(__file__).resolve().parents[2] / "captured"


class OneCommandHost:
    """Answers ADDRESSES with a capture and records every command."""

    def __init__(self, ip, stdout, exited=0):
        self.node, self.name = SimpleNamespace(ip=ip), "k8s-node1"
        self.log_path, self.step, self.commands = "node1.log", None, []
        self.stdout, self.exited = stdout, exited

    def run(self, command, check=True):
        self.commands.append(command)
        return Result(command, self.exited, self.stdout, "")


def test_the_interface_holding_the_private_ip_in_one_command():
    host = OneCommandHost("192.168.0.16", (CAPTURED / "ip-4-o-addr-node.txt").read_text())
    found = facts.gather(host)
    assert found == facts.Facts(private_iface="eth1") and found.need("private_iface") == "eth1"
    assert host.commands == ["ip -o -4 addr show"]


def test_an_ip_on_no_interface_is_raised_where_it_is_needed_with_the_evidence():
    host = OneCommandHost("192.168.0.99", (CAPTURED / "ip-4-o-addr-node.txt").read_text())
    found = facts.gather(host)
    assert not found.complete
    with pytest.raises(CommandError) as e:
        found.need("private_iface")
    assert "192.168.0.99" in str(e.value) and "eth1" in str(e.value) and e.value.node == "k8s-node1"


def test_a_failing_command_is_a_missing_fact_not_an_exception():
    found = facts.gather(OneCommandHost("192.168.0.16", "", exited=127))
    assert not found.complete and found.missing.exit_code == 127


def test_a_fact_asked_with_the_same_arguments_is_the_same_key():
    assert UNITS("etcd", "docker") == UNITS("etcd", "docker") and ADDRESSES() == ADDRESSES()
    assert len({UNITS("etcd"), UNITS("etcd"), UNITS("docker"), MARKS("/x")}) == 3
    assert asked("uname -r") == OUTPUT("uname -r") and asked(ADDRESSES()) == ADDRESSES()


def test_units_states_from_a_real_systemctl_show():
    shown = (CAPTURED / "systemctl-show-master.txt").read_text()
    units = UNITS("etcd", "kube-apiserver", "kubelet", "docker", "firewalld", "systemd-timesyncd")
    assert units.command == ("systemctl show -p Id -p LoadState -p ActiveState -p UnitFileState "
                             "etcd kube-apiserver kubelet docker firewalld systemd-timesyncd")
    states = units.value(Result(units.command, 0, shown, ""))
    assert states["etcd"] == UnitState("loaded", "active", "enabled")
    assert states["kubelet"] == UnitState("loaded", "inactive", "disabled")
    assert states["firewalld"].load == "not-found"


def test_units_states_not_of_the_units_asked_are_unreadable():
    shown = (CAPTURED / "systemctl-show-master.txt").read_text()
    with pytest.raises(ValueError, match="expected the states of 2 unit"):
        UNITS("etcd", "flanneld").value(Result("systemctl show", 0, shown, ""))
    # no systemd: systemctl prints this for every verb that needs the bus (captured with is-active)
    with pytest.raises(ValueError, match="Failed to connect to bus"):
        UNITS("etcd").value(Result("systemctl show", 1, "", (CAPTURED / "systemctl-is-active-no-systemd.txt").read_text()))


def test_the_addresses_of_a_failed_ip_are_unreadable_not_empty():
    with pytest.raises(ValueError, match="ip exited 1"):
        ADDRESSES().value(Result("ip -o -4 addr show", 1, "", "Cannot open netlink socket"))
