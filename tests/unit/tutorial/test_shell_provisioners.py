"""The shell provisioners parse, and their check mode follows lib.sh's protocol.

Run here through ShellStep and Host over a local bash (invoke's Context has Fabric's `run`).
This host has no flanneld, so only the path that fact takes is run here for docker0-lease.sh;
both scripts run for real on the VMs (tests/vm).
"""
from __future__ import annotations

import os
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


# --- flannel-device.sh, against a real flannel0 ---------------------------------------------
# A real tun device named flannel0 in a network namespace of this test's own, and the lease file
# at /run/flannel/subnet.env in a mount namespace of its own: the kernel's link flags and routes,
# as flanneld's udp backend leaves them (flanneld itself runs on the VMs, tests/vm).

LEASE = "FLANNEL_NETWORK=10.255.0.0/16\nFLANNEL_SUBNET=10.255.3.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=false\n"


@pytest.fixture
def overlay(tmp_path):
    name = f"k8slabfd{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    run = tmp_path / "run"
    (run / "flannel").mkdir(parents=True)
    (run / "flannel" / "subnet.env").write_text(LEASE)

    def ip(*args):
        subprocess.run(["ip", "-n", name, *args], check=True)

    def check():
        text = (SCRIPTS / "lib.sh").read_text() + (SCRIPTS / "flannel-device.sh").read_text()
        inner = f"mount --bind {run} /run && MODE=check bash -s"
        return subprocess.run(["ip", "netns", "exec", name, "unshare", "--mount", "bash", "-c", inner],
                              input=text, text=True, capture_output=True)
    ip("tuntap", "add", "dev", "flannel0", "mode", "tun")
    ip("addr", "add", "10.255.3.0/16", "dev", "flannel0")
    ip("link", "set", "flannel0", "up")
    yield SimpleNamespace(ip=ip, check=check, run=run)
    subprocess.run(["ip", "netns", "del", name])


def test_flannel_device_up_on_its_lease_is_left_alone(overlay):
    r = overlay.check()
    assert (r.returncode, r.stdout.strip()) == \
        (0, "flannel0 up on the lease 10.255.3.1/24, 10.255.0.0/16 through it"), r.stderr


@pytest.mark.parametrize("breakage, problem", [
    (("link", "set", "flannel0", "down"), "flannel0 is down"),
    (("route", "del", "10.255.0.0/16", "dev", "flannel0"), "no route to 10.255.0.0/16 through flannel0"),
    (("addr", "flush", "dev", "flannel0"), "flannel0 has no address of the lease 10.255.3.1/24"),
    (("link", "del", "flannel0"), "flannel0 does not exist"),
])
def test_flannel_device_drift_restarts_flanneld(overlay, breakage, problem):
    overlay.ip(*breakage)
    r = overlay.check()
    assert r.returncode == 10 and r.stdout.strip() == "systemctl restart flanneld", (r.stdout, r.stderr)
    assert r.stderr.strip() == problem


def test_flannel_device_check_needs_the_lease(overlay):
    (overlay.run / "flannel" / "subnet.env").unlink()
    r = overlay.check()
    assert r.returncode == 1 and "/run/flannel/subnet.env is missing" in r.stderr
