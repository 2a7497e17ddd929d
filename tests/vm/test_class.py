"""A class on real VMs: two copies of a two-node lab with the tutorial's own IPs, up at once;
each master reaches its own node1 and never the other copy's (told apart by MAC address);
both verify; checkpoints after base and etcd; one copy reset to base while the other keeps
its etcd stage; `up` continues the reset copy; destroying one copy leaves the other working;
nothing left behind.

The real CLI inside the harness's namespace, on Debian 12 VMs from the locally built box (the
debian12 platform stands in for CentOS, as in test_lab_lifecycle.py). The tests run in order
on one class: a boot costs minutes under plain emulation.
"""
from __future__ import annotations

import json
import re
import time

import pytest

from tests.harness import libvirt
from tests.vm.cli import invoke

pytestmark = pytest.mark.vm

NAME = f"{libvirt.PREFIX}-class"
COPIES = (f"{NAME}-1", f"{NAME}-2")
NODE1_IP = "192.168.0.16"


@pytest.fixture(scope="module")
def klass(vmhost, tmp_path_factory):
    path = vmhost.write_lab(tmp_path_factory.mktemp("class"), "class", memory=640, nodes=2,
                            extra="copies: 2\ncheckpoints: [base, etcd]\n")
    yield path
    vmhost.run(vmhost.invoke("destroy", "--yes", "--config", str(path)))


def run_on(vmhost, klass, copy, node, command):
    r = invoke(vmhost, "ssh", node, "--copy", str(copy), "--config", str(klass), "--command",
               command, check=False)
    assert r.returncode == 0, f"{command} on {node} of copy {copy}: {r.stdout}{r.stderr}"
    return r.stdout


def private_mac(vmhost, klass, copy, node, ip):
    """The MAC of the interface that holds ip on node."""
    return run_on(vmhost, klass, copy, node,
                  f"cat /sys/class/net/$(ip -o -4 addr show to {ip}/32 | awk '{{print $2}}')/address").strip()


def domains_running(vmhost, prefix) -> list:
    return sorted(d for d in vmhost.virsh("list", "--name").stdout.split() if d.startswith(prefix))


def test_two_copies_up_at_once_both_verified(vmhost, klass):
    start = time.monotonic()
    out = invoke(vmhost, "up", "--config", str(klass)).stdout
    print(f"class up from nothing: {time.monotonic() - start:.0f}s")
    for copy in COPIES:
        assert re.search(rf"\[{copy}\] verify: \d+ passed, 0 failed", out), out
        assert re.search(rf"\[{copy}\] checkpoint base: taken in [\d.]+s, \d+ MiB", out), out
        assert re.search(rf"\[{copy}\] checkpoint etcd: taken", out), out
    # each copy is its own domains, on its own networks
    assert domains_running(vmhost, NAME) == sorted(f"{c}-{n}" for c in COPIES for n in ("k8s-master", "k8s-node1"))
    nets = vmhost.virsh("net-list", "--name").stdout.split()
    assert {f"{c}-private" for c in COPIES} | {f"{c}-mgmt" for c in COPIES} <= set(nets), nets


def test_each_master_reaches_only_its_own_node1(vmhost, klass):
    node1 = {k: private_mac(vmhost, klass, k, "k8s-node1", NODE1_IP) for k in (1, 2)}
    assert node1[1] != node1[2], node1          # two VMs holding the same IP
    for k in (1, 2):
        seen = run_on(vmhost, klass, k, "k8s-master",
                      f"ping -c 2 -W 2 {NODE1_IP} >/dev/null && ip neigh show {NODE1_IP}")
        mac = re.search(r"lladdr (\S+)", seen).group(1)
        assert mac == node1[k], f"copy {k}'s master reached {mac}, its node1 is {node1[k]}: {seen}"
    # and the second run changes nothing in either copy, without asking Vagrant to boot them
    again = invoke(vmhost, "up", "--config", str(klass)).stdout
    assert "every VM is running as rendered: host checks and `vagrant up` skipped" in again, again
    assert "Booting" not in again, again
    for copy in COPIES:
        assert re.search(rf"\[{copy}\] provision: \d+ steps, 0 changed", again), again
        assert f"[{copy}] checkpoint etcd: kept (the stage changed nothing)" in again, again


def test_reset_one_copy_to_base_while_the_other_keeps_etcd(vmhost, klass):
    out = invoke(vmhost, "reset", "--to", "base", "--copy", "1", "--config", str(klass)).stdout
    m = re.search(r"lab \S+-1: reset to base in ([\d.]+)s", out)
    assert m, out
    print(f"reset of a 2-VM copy to base: {m.group(1)}s")
    # the VMs: etcd was started by the etcd stage, so at base it is not running
    assert run_on(vmhost, klass, 1, "k8s-master", "systemctl is-active etcd || true").strip() == "inactive"
    assert run_on(vmhost, klass, 2, "k8s-master", "systemctl is-active etcd").strip() == "active"
    # the guest clock was stepped to now, not left at the checkpoint's
    guest = int(run_on(vmhost, klass, 1, "k8s-node1", "date +%s").strip())
    assert abs(guest - time.time()) < 30
    # status agrees, and verify checks what the stage reached
    status = invoke(vmhost, "status", "--config", str(klass)).stdout
    assert re.search(r"stages applied: base; verify: not verified; checkpoints: base, etcd; reset to base at", status), status
    assert re.search(r"stages applied: base, etcd; verify: \d+ passed", status), status
    v1 = invoke(vmhost, "verify", "--copy", "1", "--config", str(klass)).stdout
    assert "checks for base" in v1 and "etcd cluster-health" not in v1, v1
    v2 = invoke(vmhost, "verify", "--copy", "2", "--config", str(klass)).stdout
    assert "etcd cluster-health" in v2 and "0 failed" in v2, v2
    page = klass.parent / ".lab" / NAME / "class.html"
    assert page.exists() and f"{NAME}-2" in page.read_text()


def test_up_continues_the_reset_copy(vmhost, klass):
    # and notices a VM that is not running: node1 of copy 1 powered off (as by a host reboot)
    assert vmhost.virsh("destroy", f"{COPIES[0]}-k8s-node1").returncode == 0
    recorded = klass.parent / ".lab" / COPIES[0] / "checkpoints.json"
    old_mib = json.loads(recorded.read_text())["etcd"]["disk_bytes"] / 2**20
    out = invoke(vmhost, "up", "--copy", "1", "--config", str(klass)).stdout
    assert "Booting 2 VMs" in out, out
    assert re.search(r"provision: \d+ steps, [1-9]\d* changed", out), out   # the etcd stage again
    assert re.search(r"verify: \d+ passed, 0 failed", out) and "etcd cluster-health" in out, out
    # the etcd stage changed, so its checkpoint is taken anew: its cost is the old one's (whose
    # space inside the images it reuses) and what the images grew by, never the growth alone
    new = re.search(r"checkpoint etcd: taken in [\d.]+s, (\d+) MiB of disk \(replacing the last one", out)
    assert new and int(new[1]) >= round(old_mib) > 0, out


def test_destroying_one_copy_leaves_the_other_working(vmhost, klass):
    invoke(vmhost, "destroy", "--yes", "--copy", "1", "--config", str(klass))
    assert vmhost.leftovers(COPIES[0]) == []
    assert domains_running(vmhost, COPIES[1]) == [f"{COPIES[1]}-k8s-master", f"{COPIES[1]}-k8s-node1"]
    v2 = invoke(vmhost, "verify", "--copy", "2", "--config", str(klass)).stdout
    assert "etcd cluster-health" in v2 and "0 failed" in v2, v2
    invoke(vmhost, "destroy", "--yes", "--config", str(klass))
    assert vmhost.leftovers(NAME) == []     # domains, networks, volumes
