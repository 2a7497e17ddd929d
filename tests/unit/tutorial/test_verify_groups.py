"""Which of the tutorial's check groups verify runs (runner.groups_for over provision.checks'
CHECKS): the applied stages' groups in order, the start stage's, and the stages named with
--stage. Split from tests/unit/engine/test_report.py, which tests the reports and the Checker."""
from __future__ import annotations

import pytest

from k8slab.checks import runner
from k8slab.errors import LabError
from provision.checks import CHECKS, base, etcd, kube, network, printed


def names(groups):
    return [g for g, _ in groups]


def test_groups_for_base_and_etcd_runs_base_and_etcd():
    assert runner.groups_for(CHECKS.groups, ["base", "etcd"]) == [("base", base.checks), ("etcd", etcd.checks)]


def test_groups_for_every_stage_runs_all_in_order():
    groups = runner.groups_for(CHECKS.groups, ["base", "etcd", "master", "network", "nodes", "start"])
    assert groups == [("base", base.checks), ("etcd", etcd.checks), ("master", kube.master_checks),
                      ("network", network.checks), ("nodes", kube.node_checks),
                      ("commands", printed.checks)]


def test_groups_for_waits_for_start():
    assert names(runner.groups_for(CHECKS.groups, ["base", "etcd", "master", "network", "nodes"])) == ["base", "etcd"]
    assert runner.groups_for(CHECKS.groups, []) == []


def test_groups_for_stage_picks_others_even_when_not_applied():
    assert names(runner.groups_for(CHECKS.groups, ["base", "etcd"], ["network"])) == ["network"]
    assert names(runner.groups_for(CHECKS.groups, ["base"], ["nodes", "etcd"])) == ["etcd", "nodes"]


def test_groups_for_unknown_stage():
    with pytest.raises(LabError, match=r"verify: flannel is not a stage; choose from "
                                       r"base, etcd, master, start, network, nodes, commands"):
        runner.groups_for(CHECKS.groups, ["base", "etcd"], ["flannel", "etcd", "start"])


def test_stage_start_checks_what_it_starts():
    assert names(runner.groups_for(CHECKS.groups, ["base"], ["start"])) == ["master", "network", "nodes", "commands"]
