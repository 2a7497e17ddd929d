"""`invoke verify` never says yes to nothing: its exit codes, and why it checked nothing.

The exit-code tests run `invoke verify` as a user does, with one thing replaced: the `vagrant`
executable, by a script that answers `vagrant status --machine-readable` with real vagrant-libvirt
output (tests/captured/vagrant-status-libvirt-*.txt, see its README), logs every call and refuses
any other. python-vagrant, k8slab's Vagrant and lifecycle layers and the runner are the real ones.
Checks that do run are driven in-process with stand-in SSH connections. The verdict's codes and
the reasons for checking nothing, with the engine's lab: tests/unit/engine/test_verify_exit_codes.py.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from provision.checks import CHECKS
from k8slab import remote, state
from k8slab.checks import runner
from k8slab.checks.runner import Verdict
from provision.lab import load_lab
from tests.unit.tutorial.answers import is_active

REPO = Path(__file__).resolve().parents[3]
CAPTURED = REPO / "tests" / "captured"
NODES = ["k8s-master", "k8s-node1", "k8s-node2"]
FAKE_VAGRANT = """#!/bin/sh
echo "$*" >> "$FAKE_VAGRANT_LOG"
if [ "$*" = "status --machine-readable" ]; then cat "$FAKE_VAGRANT_STATUS"; exit 0; fi
echo "fake vagrant: not expected here: vagrant $*" >&2
exit 1
"""


def machine_readable(states: dict) -> str:
    """`vagrant status --machine-readable` for several machines, from the one-machine captures:
    Vagrant prints every machine's metadata line first, then each machine's block."""
    blocks = {name: [line.replace(",default,", f",{name},") for line in
                     (CAPTURED / f"vagrant-status-libvirt-{s}.txt").read_text().splitlines()
                     if ",default," in line]
              for name, s in states.items()}
    meta = [line for lines in blocks.values() for line in lines if ",metadata," in line]
    rest = [line for lines in blocks.values() for line in lines if ",metadata," not in line]
    return "\n".join(meta + rest) + "\n"


@pytest.fixture
def lab_dir(tmp_path):
    (tmp_path / "lab.yaml").write_text((REPO / "lab.yaml").read_text())
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "vagrant").write_text(FAKE_VAGRANT)
    (bin_dir / "vagrant").chmod(0o755)
    return tmp_path


def invoke_verify(lab_dir, vm_states, *args):
    (lab_dir / "status.txt").write_text(machine_readable(vm_states))
    env = {**os.environ, "PATH": f"{lab_dir / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "FAKE_VAGRANT_LOG": str(lab_dir / "vagrant-calls.log"),
           "FAKE_VAGRANT_STATUS": str(lab_dir / "status.txt")}
    r = subprocess.run([sys.executable, "-m", "invoke", "--search-root", str(REPO), "verify",
                        "--config", str(lab_dir / "lab.yaml"), *args],
                       cwd=lab_dir, capture_output=True, text=True, timeout=120, env=env)
    log = lab_dir / "vagrant-calls.log"
    return r, log.read_text().splitlines() if log.exists() else []


def apply(lab_dir, *stages):
    lab = load_lab(lab_dir / "lab.yaml")
    for s in stages:
        state.mark_applied(lab, s)


def test_a_lab_never_brought_up_has_no_vms(lab_dir):
    r, calls = invoke_verify(lab_dir, {n: "not-created" for n in NODES})
    assert r.returncode == 3, r.stdout + r.stderr
    assert "verify: nothing checked on lab k8s-lab: no VMs exist (run `invoke up`)" in r.stdout
    assert "verify: nothing was checked" in r.stderr and "Traceback" not in r.stderr
    assert calls == ["status --machine-readable"]          # one Vagrant call, nothing else


def test_no_vms_wins_over_named_stages(lab_dir):
    r, calls = invoke_verify(lab_dir, {n: "not-created" for n in NODES}, "--stage", "etcd")
    assert r.returncode == 3 and "no VMs exist" in r.stdout, r.stdout + r.stderr
    assert calls == ["status --machine-readable"]


def test_stopped_vms_are_named_with_their_state(lab_dir):
    apply(lab_dir, "base", "etcd")
    r, calls = invoke_verify(lab_dir, {"k8s-master": "running", "k8s-node1": "shutoff",
                                       "k8s-node2": "shutoff"})
    assert r.returncode == 3, r.stdout + r.stderr
    # python-vagrant reports libvirt's `shutoff` as `poweroff`, VirtualBox's word
    assert ("VMs not running: k8s-node1 poweroff, k8s-node2 poweroff (`invoke up` starts them)"
            in r.stdout), r.stdout
    assert calls == ["status --machine-readable"]          # no ssh-config, no SSH attempt


def test_one_vm_never_created_is_not_running(lab_dir):
    apply(lab_dir, "base")
    r, _ = invoke_verify(lab_dir, {"k8s-master": "running", "k8s-node1": "running",
                                   "k8s-node2": "not-created"})
    assert r.returncode == 3 and "VMs not running: k8s-node2 not created" in r.stdout, r.stdout


def test_running_vms_without_an_applied_stage(lab_dir):
    r, calls = invoke_verify(lab_dir, {n: "running" for n in NODES})
    assert r.returncode == 3, r.stdout + r.stderr
    assert ("no stage applied yet (run `invoke up`, or name stages with --stage)"
            in r.stdout), r.stdout
    assert calls == ["status --machine-readable"]


def test_an_unknown_stage_is_an_error_before_any_vagrant_call(lab_dir):
    r, calls = invoke_verify(lab_dir, {n: "running" for n in NODES}, "--stage", "flannel")
    assert r.returncode == 1 and "verify: flannel is not a stage" in r.stderr, r.stderr
    assert calls == []


# --- checks that run: PASSED and FAILED, in-process with stand-in connections ---------------------

def _answer(node_ip, getent):
    ip_addr = (CAPTURED / "ip-4-o-addr-node.txt").read_text().replace("192.168.0.16", node_ip)

    def run(command, timeout):
        if "getent ahostsv4" in command:
            return 0, getent, ""
        if "ip -o -4 addr show" in command:
            return 0, ip_addr, ""
        if "systemctl show" in command:
            return 0, is_active(command, {"firewalld": "inactive"}), ""
        raise AssertionError(f"a base check ran an unexpected command: {command}")
    return run


class StandInConnection:
    """Stands in for a Fabric connection to a node and the shell on it (real ones: tests/vm)."""

    starts, become = 1, True   # what Host reads of its shell

    def __init__(self, node_ip, getent):
        self.run = _answer(node_ip, getent)
        self.closed = False

    def run_many(self, commands, timeout):
        return [self.run(c, timeout) for c in commands]

    def close(self):
        self.closed = True


def verify_base(lab, getent_capture, monkeypatch):
    monkeypatch.setattr(remote.Shell, "of", staticmethod(lambda conn, become: conn))   # it answers
    state.mark_applied(lab, "base")
    getent = (CAPTURED / getent_capture).read_text()
    conns = {n.name: StandInConnection(str(n.ip), getent) for n in lab.nodes}
    verdict = runner.verify(lab, CHECKS, conns=conns, vm_states={n.name: "running" for n in lab.nodes})
    assert not any(c.closed for c in conns.values())   # handed in: the caller's to close
    return verdict


def test_base_checks_all_pass_is_exit_0(lab, monkeypatch):
    assert verify_base(lab, "getent-ahostsv4-lab-names-base.txt", monkeypatch) is Verdict.PASSED


def test_a_failing_check_is_exit_1(lab, monkeypatch):
    assert verify_base(lab, "getent-ahostsv4-lab-names-vagrant.txt", monkeypatch) is Verdict.FAILED
