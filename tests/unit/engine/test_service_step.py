"""ServiceStep plans from one `systemctl show` of every unit the node's steps ask about.

The output is real: tests/captured/systemctl-show-master.txt, from the test platform's master
(this machine runs no systemd). The second fact is the list of pending restart marks."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from invoke import Context as Local

from k8slab.errors import CommandError
from k8slab.remote import Host, Result
from k8slab.facts.units import MARKS, UNITS
from k8slab.steps import PENDING, Context, ServiceStep

SHOWN = (Path(__file__).resolve().parents[2] / "captured" / "systemctl-show-master.txt").read_text()
NAMES = ("etcd", "kube-apiserver", "kubelet", "docker", "firewalld", "systemd-timesyncd")


def fact(pending="", shown=SHOWN, units=NAMES):
    return [Result(UNITS(*units).command, 0, shown, ""), Result(MARKS(PENDING).command, 0, pending, "")]


def test_each_step_picks_its_units_out_of_the_one_read():
    ctx = Context(units=NAMES)
    plan = ServiceStep(["kube-apiserver", "kubelet"]).plan(None, ctx, fact("kube-apiserver\n"))
    assert plan.commands == [f"systemctl restart kube-apiserver && rm -f {PENDING}/kube-apiserver",
                             "systemctl start kubelet", "systemctl enable kubelet"]
    assert plan.note == "kube-apiserver active/enabled, kubelet inactive/disabled"
    # etcd runs and is enabled, nothing pending: nothing to do
    assert not ServiceStep(["etcd"]).plan(None, Context(units=NAMES), fact()).changes


def test_the_facts_are_the_same_for_every_step_of_the_node():
    ctx = Context(units=NAMES)
    assert ServiceStep(["etcd"]).asks(ctx) == ServiceStep(["kubelet"], start=False).asks(ctx)
    assert [a.command for a in ServiceStep(["etcd"]).asks(Context())][0] == \
        "systemctl show -p Id -p LoadState -p ActiveState -p UnitFileState etcd"


def test_output_that_does_not_match_the_units_fails_with_the_evidence(tmp_path):
    host = Host(SimpleNamespace(name="k8s-master"), Local(), tmp_path / "log", become=False)
    host.step = "start/services"
    with pytest.raises(CommandError) as e:
        ServiceStep(["etcd"]).plan(host, Context(units=NAMES[:2]), fact())
    assert "[k8s-master] step start/services" in str(e.value) and "| UnitFileState=enabled" in str(e.value)


def test_firewall_off_stops_and_disables_only_where_installed():
    # firewalld is not installed on the test platform: nothing to do, and the note says why
    off = ServiceStep(["firewalld"], off=True, name="firewall off")
    plan = off.plan(None, Context(units=NAMES), fact())
    assert not plan.changes and plan.note == "firewalld not installed"
    # an installed, running, enabled unit (here the master's etcd stands in for it) is stopped and disabled
    plan = ServiceStep(["etcd"], off=True).plan(None, Context(units=NAMES), fact())
    assert plan.commands == ["systemctl stop etcd", "systemctl disable etcd"]


def test_a_unit_to_start_that_is_not_installed_fails_naming_it(tmp_path):
    host = Host(SimpleNamespace(name="k8s-master"), Local(), tmp_path / "log", become=False)
    host.step = "base/time sync"
    with pytest.raises(CommandError) as e:
        ServiceStep(["firewalld"], name="time sync").plan(host, Context(units=NAMES), fact())
    assert "| firewalld is not installed on this node" in str(e.value)
    # a dry run before the base stage only says what it would do
    plan = ServiceStep(["firewalld"]).plan(host, Context(units=NAMES, dry_run=True), fact())
    assert plan.commands == ["systemctl start firewalld", "systemctl enable firewalld"]


def test_no_states_at_all_is_an_error_even_for_one_unit(tmp_path):
    # systemctl failing (no bus) prints nothing on stdout: that is not "inactive"
    host = Host(SimpleNamespace(name="k8s-master"), Local(), tmp_path / "log", become=False)
    broken = [Result(UNITS("etcd").command, 1, "", "Failed to connect to bus"), fact()[1]]
    with pytest.raises(CommandError):
        ServiceStep(["etcd"]).plan(host, Context(units=("etcd",)), broken)
