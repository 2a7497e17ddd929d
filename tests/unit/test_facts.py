"""k8slab.facts: the private interface read from captured `ip -o -4 addr show` output, in one
command per node, and a missing one reported where a step needs it."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from k8slab import facts
from k8slab.errors import CommandError
from k8slab.remote import Result

CAPTURED = Path(__file__).resolve().parents[1] / "captured"


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
    assert host.commands == [facts.ADDRESSES]


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
