"""The shell provisioners parse, and their check mode follows lib.sh's protocol.

Run here through ShellStep and Host over a local bash (invoke's Context has Fabric's `run`).
This host has no systemd and no flanneld, so only the paths those facts take are run here;
private-ip.sh, firewall-off.sh and time-sync.sh run for real on the VMs (tests/vm).
"""
from __future__ import annotations

import subprocess
from types import SimpleNamespace

import pytest
from invoke import Context as Local

from k8slab.errors import CommandError
from k8slab.remote import Host
from k8slab.steps import Context, ShellStep
from provision import SCRIPTS


@pytest.fixture
def host(tmp_path):
    return Host(SimpleNamespace(name="local"), Local(), tmp_path / "local.log", become=False)


@pytest.mark.parametrize("script", sorted(p.name for p in SCRIPTS.iterdir() if p.name.endswith(".sh")))
def test_every_script_parses(script):
    text = (SCRIPTS / "lib.sh").read_text() + (SCRIPTS / script).read_text()
    r = subprocess.run(["bash", "-n"], input=text, text=True, capture_output=True)
    assert r.returncode == 0, r.stderr


def test_check_mode_reports_nothing_to_do_without_firewalld(host):
    plan = ShellStep("firewall off", "firewall-off.sh").plan(host, Context(scripts=SCRIPTS))
    assert not plan.changes and plan.note == "firewalld not installed"


def test_docker0_check_fails_with_an_explanation_without_a_flannel_lease(host):
    host.step = "start/docker0 on the lease"
    with pytest.raises(CommandError) as e:
        ShellStep("docker0 on the lease", "docker0-lease.sh").plan(host, Context(scripts=SCRIPTS))
    assert "/run/flannel/docker is missing" in str(e.value)
    assert "is flanneld running?" in str(e.value)
