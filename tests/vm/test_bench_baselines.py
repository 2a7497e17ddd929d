"""The benchmark's baselines do the tool's work: after the shell way (bench/shell/provision.sh
through `vagrant ssh NODE -c 'sudo bash -s'`) and the Ansible way (bench/ansible/playbook.yml)
the VMs hold what `invoke provision --until etcd` leaves: the same /etc/hosts and
/etc/default/etcd on every node, etcd active and enabled, the same flannel key.

Skipped unless K8SLAB_BENCH_TESTS=1: it needs ansible-core in bench/.venv-ansible (installed
from PyPI on first use) and takes about 8 minutes (three VMs booted under QEMU TCG, then the
tool, the shell script and the playbook each from a reset state). `python bench/run.py` runs the
same comparison, several rounds, and also times it.
"""
from __future__ import annotations

import os

import pytest

from bench.lab import Bench, changes_in, compare_states, ensure_ansible

pytestmark = [
    pytest.mark.vm,
    pytest.mark.skipif(os.environ.get("K8SLAB_BENCH_TESTS") != "1",
                       reason="set K8SLAB_BENCH_TESTS=1 (needs the Ansible venv and ~8 min; "
                              "bench/run.py runs the same comparison)"),
]


@pytest.fixture(scope="module")
def bench(vmhost, tmp_path_factory):
    ensure_ansible()
    b = Bench(vmhost, tmp_path_factory.mktemp("bench"), "bbase")
    try:
        yield b
    finally:
        b.close_ansible_masters()
        b.destroy()


@pytest.fixture(scope="module")
def tool_state(bench):
    _, phases, report = bench.up()
    assert phases["verify_failed"] == 0, phases
    state = bench.snapshot()
    bench.save_originals(report, state)
    assert state["etcd"]["active"] == "active"
    assert state["etcd"]["flannel_key"] == '{"Network": "10.255.0.0/16"}'
    return state


def test_reset_then_the_tool_again_gives_the_same_state(bench, tool_state):
    bench.reset()
    reset = bench.snapshot()
    assert reset["etcd"]["active"] != "active" and reset["etcd"]["flannel_key"] is None
    assert reset["files"] == bench.originals
    _, _, report = bench.provision()
    assert changes_in(report) > 0
    assert compare_states(tool_state, bench.snapshot()) == []


def test_shell_baseline_leaves_the_tools_state(bench, tool_state):
    bench.reset()
    bench.shell()
    assert compare_states(tool_state, bench.snapshot()) == []
    bench.shell("shell-again")
    assert compare_states(tool_state, bench.snapshot()) == []


def test_ansible_baseline_leaves_the_tools_state_and_reruns_without_changes(bench, tool_state):
    bench.reset()
    _, changed = bench.ansible()
    assert changed > 0
    assert compare_states(tool_state, bench.snapshot()) == []
    _, changed = bench.ansible("ansible-again")
    assert changed == 0
    assert compare_states(tool_state, bench.snapshot()) == []
