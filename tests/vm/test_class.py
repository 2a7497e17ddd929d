"""A class on real VMs: two copies of a two-node lab with the tutorial's own IPs, up at once;
each master reaches its own node1 and never the other copy's (told apart by MAC address);
both verify; checkpoints after base and etcd; one copy reset to base while the other keeps
its etcd stage; `up` continues the reset copy; destroying one copy leaves the other working;
nothing left behind.

And the students at their seats: the class's gateway (k8s-lab's own sshd in the lab server's
namespace), a laptop namespace linked to it by a veth and nothing else, each student's bundle
unpacked by the handout's own steps, OpenSSH's ssh client: alice logs in to her copy as root
and works as the tutorial says; every other way is refused, each refusal asserted from ssh's
exit code and message; her key survives a reset; revoking and re-issuing bob's key leaves
alice alone.

The real CLI inside the harness's namespace, on Debian 12 VMs from the locally built box (the
debian12 platform stands in for CentOS, as in test_lab_lifecycle.py). The tests run in order
on one class: a boot costs minutes under plain emulation.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from k8slab.gateway import handout as handouts
from k8slab.gateway import sshd
from tests.harness import laptop, libvirt
from tests.harness.classview import chromium, missing_tools
from tests.vm.cli import invoke

pytestmark = pytest.mark.vm

NAME = f"{libvirt.PREFIX}-class"
COPIES = (f"{NAME}-1", f"{NAME}-2")
NODE1_IP = "192.168.0.16"


@pytest.fixture(scope="module")
def klass(vmhost, tmp_path_factory):
    path = vmhost.write_lab(tmp_path_factory.mktemp("class"), "class", memory=640, nodes=2,
                            extra="copies: 2\ncheckpoints: [base, etcd]\n"
                                  "students: [{name: alice}, {name: bob}]\n"
                                  f"gateway: {{address: {laptop.SERVER_IP}, port: 2222}}\n")
    laptop.link(vmhost.ns)
    yield path
    vmhost.run(vmhost.invoke("destroy", "--yes", "--config", str(path)))
    laptop.unlink()


GATEWAY = f"{NAME}-gateway"       # the gateway's Host name in a student's ssh config
PROHIBITED = "open failed: administratively prohibited"
DENIED = "Permission denied (publickey)"


def class_dir(klass):
    return klass.parent / ".lab" / NAME


def seat(klass, student, tmp_path_factory):
    """A fresh laptop for student, their bundle unpacked by the handout's Linux steps."""
    pc = laptop.Laptop(tmp_path_factory.mktemp(f"laptop-{student}"))
    pc.unpack(class_dir(klass) / "handouts" / f"{student}.zip", handouts.linux_steps(NAME, student, True))
    return pc


def addresses(klass, copy) -> dict:
    """node -> the VM's address on the lab server, as `up` recorded it for the gateway."""
    rec = json.loads((klass.parent / ".lab" / copy / "access.json").read_text())
    return {n: v["address"] for n, v in rec["nodes"].items()}


def refused(r, message):
    assert r.returncode == 255 and message in r.stderr, f"exit {r.returncode}: {r.stdout}{r.stderr}"


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


def test_alice_at_her_laptop_is_root_on_her_own_copy(vmhost, klass, tmp_path_factory):
    status = invoke(vmhost, "status", "--config", str(klass)).stdout
    assert re.search(rf"{COPIES[0]}\s+│\s+alice\s+│.*│\s+yes\s+│", status), status
    assert re.search(r"gateway root@172\.30\.99\.1 port 2222: running \(pid \d+", status), status
    alice = seat(klass, "alice", tmp_path_factory)
    start = time.monotonic()
    r = alice.ssh("k8s-master", "hostname; id -un; etcdctl cluster-health")
    print(f"alice's first `ssh k8s-master`: {time.monotonic() - start:.1f}s")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("k8s-master\nroot\n") and "cluster is healthy" in r.stdout, r.stdout
    # her login shell shows the tutorial's prompt
    r = alice.ssh("k8s-master", 'bash -lic \'echo "${PS1@P}"\'')
    assert "[root@k8s-master ~]#" in r.stdout, r.stdout + r.stderr
    # the tutorial's names and IPs all lead to her copy: node1 by IP, from the laptop
    r = alice.ssh("root@192.168.0.16", "cat /sys/class/net/eth1/address")
    assert r.returncode == 0 and r.stdout.strip() == private_mac(vmhost, klass, 1, "k8s-node1", NODE1_IP), r.stdout
    # and as root on the master, the copy's own node: ssh and the tutorial's scp, asking nothing
    r = alice.ssh("k8s-master", "ssh -o BatchMode=yes k8s-node1 hostname && "
                  "scp -o BatchMode=yes /etc/hostname 192.168.0.16:/tmp/from-master && "
                  "ssh -o BatchMode=yes 192.168.0.16 cat /tmp/from-master")
    assert r.returncode == 0 and r.stdout.split() == ["k8s-node1", "k8s-master"], r.stdout + r.stderr


def test_every_other_way_is_refused(vmhost, klass, tmp_path_factory):
    alice, bob = seat(klass, "alice", tmp_path_factory), seat(klass, "bob", tmp_path_factory)
    mine, theirs = addresses(klass, COPIES[0]), addresses(klass, COPIES[1])
    # the other copy's VMs, each way; another port of her own VM
    refused(alice.ssh("-W", f"{theirs['k8s-master']}:22", GATEWAY), PROHIBITED)
    refused(bob.ssh("-W", f"{mine['k8s-node1']}:22", GATEWAY), PROHIBITED)
    refused(alice.ssh("-W", f"{mine['k8s-master']}:2379", GATEWAY), PROHIBITED)
    # the lab server's own services: its sshd's port, the gateway on loopback, libvirt's
    # dnsmasq on the copy's management network, libvirt's socket
    mgmt_host = mine["k8s-master"].rsplit(".", 1)[0] + ".1"
    for target in (f"{laptop.SERVER_IP}:22", "127.0.0.1:2222", "127.0.0.1:22", f"{mgmt_host}:53"):
        refused(alice.ssh("-W", target, GATEWAY), PROHIBITED)
    # (the bundle's config clears forwardings for the gateway: she has to undo that first)
    r = alice.sh("timeout 15 ssh -o ClearAllForwardings=no -N -L $HOME/lv.sock:/run/libvirt/libvirt-sock "
                 f"{GATEWAY} & sleep 8; "
                 "python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.connect('$HOME/lv.sock'); "
                 "s.settimeout(5); print('got', len(s.recv(64)))\"; wait")
    # libvirt waits for its client to speak first: a forwarded socket would time out, not close
    assert "got 0" in r.stdout and "channel 1: open failed: connect failed" in r.stderr, r.stdout + r.stderr
    # a shell or a command on the gateway; a password; straight to a VM without the gateway
    for args in (["-T", GATEWAY], [GATEWAY, "id"]):
        r = alice.ssh(*args)
        assert r.returncode == 255 and sshd.NO_SESSION in r.stderr and "uid=" not in r.stdout, r.stderr
    refused(alice.ssh("-o", "PubkeyAuthentication=no", "-o", "BatchMode=yes", "-o",
                      "PreferredAuthentications=password,keyboard-interactive", GATEWAY, "true"), DENIED)
    refused(alice.ssh("-o", "ProxyJump=none", "-o", "ConnectTimeout=5", "k8s-master", "true"),
            "Network is unreachable")


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


def test_alices_key_survives_the_reset(vmhost, klass, tmp_path_factory):
    # the base checkpoint was taken before `up` put her key on the VMs; reset put it back
    r = seat(klass, "alice", tmp_path_factory).ssh("k8s-master", "hostname; systemctl is-active etcd || true")
    assert r.returncode == 0 and r.stdout.split() == ["k8s-master", "inactive"], r.stdout + r.stderr


def test_revoking_and_reissuing_bob_leaves_alice_alone(vmhost, klass, tmp_path_factory):
    bob_old = seat(klass, "bob", tmp_path_factory)
    assert bob_old.ssh("k8s-master", "hostname").stdout.strip() == "k8s-master"
    invoke(vmhost, "students", "--revoke", "bob", "--config", str(klass))
    refused(bob_old.ssh("k8s-master", "hostname"), DENIED)
    # the gateway refuses him, and his key is off his VMs too
    r = invoke(vmhost, "ssh", "k8s-master", "--copy", "2", "--config", str(klass), "--command",
               "sudo grep -c k8s-lab:student: /root/.ssh/authorized_keys || true")
    assert r.stdout.strip() == "0", r.stdout
    assert seat(klass, "alice", tmp_path_factory).ssh("k8s-master", "hostname").returncode == 0
    invoke(vmhost, "students", "--reissue", "bob", "--config", str(klass))
    refused(bob_old.ssh("k8s-master", "hostname"), DENIED)          # the old key stays out
    r = seat(klass, "bob", tmp_path_factory).ssh("k8s-master", "hostname")
    assert r.returncode == 0 and r.stdout.strip() == "k8s-master", r.stderr


def test_the_class_page_and_a_handout_as_the_instructor_prints_them(vmhost, klass):
    status = invoke(vmhost, "status", "--config", str(klass)).stdout
    assert re.search(rf"{COPIES[1]}\s+│\s+bob\s+│", status), status
    page = class_dir(klass) / "class.html"
    text = page.read_text()
    assert 'href="handouts/alice/handout.html"' in text and "reset to base at" in text
    card = (class_dir(klass) / "handouts" / "alice" / "handout.html").read_text()
    # her copy was reset to base: her page says so, bob's says the etcd stage
    assert "ssh k8s-master" in card and "stage <b>base</b>: the tutorial up to chapter <b>1</b>" in card, card
    bobs = (class_dir(klass) / "handouts" / "bob" / "handout.html").read_text()
    assert "stage <b>etcd</b>: the tutorial up to chapter <b>2.1</b>" in bobs
    if missing_tools():
        pytest.skip("no chromium for the screenshots")
    docs = Path(__file__).resolve().parents[2] / "docs"
    for shot, size in ((page, "1200,900"), (page.parent / "handouts" / "alice" / "handout.html", "900,1250")):
        png = docs / ("class-view.png" if shot == page else "handout.png")
        chromium(shot, page.parent, f"--screenshot={png}", f"--window-size={size}", "--hide-scrollbars")
        assert png.stat().st_size > 10_000


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


def qemu_of(prefix) -> dict:
    """domain name -> resident MiB of its QEMU process (on this host, wherever libvirtd runs)."""
    out = {}
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            if b"-name" not in argv:
                continue
            name = argv[argv.index(b"-name") + 1].decode()   # guest=NAME,debug-threads=on
            name = name.split(",")[0].removeprefix("guest=")
            if name.startswith(prefix):
                rss = [l for l in (proc / "status").read_text().splitlines() if l.startswith("VmRSS:")]
                out[name] = int(rss[0].split()[1]) // 1024
        except (OSError, ValueError, IndexError):
            continue
    return out


def test_the_class_suspended_for_the_night_and_resumed_in_the_morning(vmhost, klass):
    before = qemu_of(NAME)
    assert len(before) == 4 and all(mib > 100 for mib in before.values()), before
    start = time.monotonic()
    out = invoke(vmhost, "suspend", "--config", str(klass)).stdout
    suspended = time.monotonic() - start
    for copy in COPIES:
        assert re.search(rf"lab {copy}: k8s-master saved, k8s-node1 saved \([\d.]+s\)", out), out
    # the memory is the host's again: no QEMU left for the class, each VM saved on disk
    assert qemu_of(NAME) == {}, qemu_of(NAME)
    assert domains_running(vmhost, NAME) == []
    status = invoke(vmhost, "status", "--config", str(klass)).stdout
    assert status.count(" saved ") >= 4 and "suspended for the night" in status, status
    r = invoke(vmhost, "verify", "--copy", "2", "--config", str(klass), check=False)
    assert r.returncode == 3 and "VMs not running: k8s-master saved, k8s-node1 saved" in r.stdout, r.stdout
    # the morning: `up` resumes, no boot, no Vagrant; clocks now; checkpoints still there
    time.sleep(20)     # a night, shortened: the guests' clocks must be stepped over the gap
    start = time.monotonic()
    out = invoke(vmhost, "up", "--config", str(klass)).stdout
    resumed = time.monotonic() - start
    assert "Booting" not in out, out
    for copy in COPIES:
        assert re.search(rf"\[{copy}\] lab {copy}: k8s-master, k8s-node1 resumed from their saved "
                         r"state in [\d.]+s", out), out
        assert re.search(rf"\[{copy}\] verify: \d+ passed, 0 failed", out), out
    guest = int(run_on(vmhost, klass, 2, "k8s-node1", "date +%s").strip())
    assert abs(guest - time.time()) < 15
    for copy in COPIES:
        snaps = vmhost.virsh("snapshot-list", f"{copy}-k8s-master", "--name").stdout.split()
        assert {"k8slab-base", "k8slab-etcd"} <= set(snaps), snaps
    print(f"suspend of the class (2 copies x 2 VMs): {suspended:.1f}s; up resuming it: {resumed:.1f}s")


def test_destroying_one_copy_leaves_the_other_working(vmhost, klass, tmp_path_factory):
    alice = seat(klass, "alice", tmp_path_factory)
    invoke(vmhost, "destroy", "--yes", "--copy", "1", "--config", str(klass))
    assert vmhost.leftovers(COPIES[0]) == []
    # her way in closed with her copy; bob's still open
    refused(alice.ssh("k8s-master", "hostname"), PROHIBITED)
    assert seat(klass, "bob", tmp_path_factory).ssh("k8s-master", "hostname").returncode == 0
    assert domains_running(vmhost, COPIES[1]) == [f"{COPIES[1]}-k8s-master", f"{COPIES[1]}-k8s-node1"]
    v2 = invoke(vmhost, "verify", "--copy", "2", "--config", str(klass)).stdout
    assert "etcd cluster-health" in v2 and "0 failed" in v2, v2
    out = invoke(vmhost, "destroy", "--yes", "--config", str(klass)).stdout
    assert vmhost.leftovers(NAME) == []     # domains, networks, volumes
    assert "gateway: stopped" in out, out
    assert not list(vmhost.run(["ss", "-Hltn", "sport = :2222"], capture_output=True, text=True).stdout.split())
