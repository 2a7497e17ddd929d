"""The shell provisioners parse, and their check mode follows lib.sh's protocol.

Run here through ShellStep and Host over a local bash (invoke's Context has Fabric's `run`).
This host has no flanneld, so only the path that fact takes is run here for docker0-lease.sh;
both scripts run for real on the VMs (tests/vm).
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


def test_docker0_check_fails_with_an_explanation_without_a_flannel_lease(host):
    host.step = "start/docker0 on the lease"
    with pytest.raises(CommandError) as e:
        ShellStep("docker0 on the lease", "docker0-lease.sh").plan(host, Context(scripts=SCRIPTS))
    assert "/run/flannel/docker is missing" in str(e.value)
    assert "is flanneld running?" in str(e.value)


def test_private_ip_check_finds_the_address_on_its_interface(host):
    # this host's loopback holds 127.0.0.1: nothing to do, and the note names the interface
    plan = ShellStep("private ip", "private-ip.sh", {"IP": "127.0.0.1"}).plan(host, Context(scripts=SCRIPTS))
    assert not plan.changes and plan.note == "127.0.0.1 on lo"
    # 127.0.0.10 only starts like it: it is on no interface, so the check plans to raise it
    plan = ShellStep("private ip", "private-ip.sh", {"IP": "127.0.0.10"}).plan(host, Context(scripts=SCRIPTS))
    assert plan.commands[-1] == "ip -o -4 addr show | grep -q ' inet 127.0.0.10/'"
    # the node's log names the script sent inline, without its text (whose `change` lines would
    # read like commands that ran)
    log = host.log_path.read_text()
    assert "$ MODE=check IP=127.0.0.10  # private-ip.sh, check mode (+" in log
    assert 'change "ifup $iface"' not in log
