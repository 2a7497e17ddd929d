"""A class over two lab servers, on real VMs: this machine's libvirtd (the session's namespace)
and server 2 (tests/harness/server2.py: a namespace of its own, its own libvirtd and sshd,
joined by one veth link, reached only as qemu+ssh://root@172.30.98.2/system).

Two copies of a one-VM lab (the master holds every role), placed one per server by the lab
file (this host takes one copy: max_copies); up boots them side by side, each on its server
(copy 2's box uploaded into server 2's own pool over SSH), verify passes on both, status
shows each copy's server, copy 2 resets to its checkpoint on server 2, a server that stops
answering fails its copy by name while the other copy is verified, and destroy leaves nothing
of the class on either server.
"""
from __future__ import annotations

import json
import os
import pwd
import shlex
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from k8slab.gateway import handout as handouts
from tests.harness import laptop, libvirt, netns, server2
from tests.vm.cli import invoke

pytestmark = pytest.mark.vm

NAME = f"{libvirt.PREFIX}-srv"
BUSY = []    # the subnet server 2 uses before the class comes (the klass fixture sets it)


def lab_text(box: str) -> str:
    return f"""\
name: {NAME}
platform: debian12
box: {box}
provider: libvirt
libvirt: {{driver: qemu, management_network: 192.168.121.0/24}}
defaults: {{memory: 640, cpus: 1}}
private_network: 192.168.0.0/24
until: base
copies: 2
checkpoints: [base]
students: [{{name: alice}}, {{name: bob}}]
gateway: {{port: 2222}}
servers:
  - {{name: here, host: local, max_copies: 1}}
  - {{name: lab2, host: {server2.SERVER_IP}, user: root, gateway_address: {laptop.SERVER_IP}}}
nodes:
  - {{name: k8s-master, ip: 192.168.0.15, roles: [etcd, master, node], aliases: [k8s-etcd]}}
"""


class Controller:
    """The tool's command line beside server 2: in the session's namespace, with the harness's
    ~/.ssh (server2.controller_argv)."""

    def __init__(self, vmhost):
        self.vmhost = vmhost

    def run(self, argv, **kw):
        return self.vmhost.run(server2.controller_argv(argv), **kw)

    def invoke(self, *args):
        return self.vmhost.invoke(*args)


@pytest.fixture(scope="module")
def klass(vmhost, tmp_path_factory):
    server2.start(vmhost.ns, log=vmhost.log)
    laptop.link(server2.NS)      # bob's laptop: its one link is to server 2, which holds his copy
    path = tmp_path_factory.mktemp("servers") / "lab.yaml"
    path.write_text(lab_text(vmhost.box))
    # server 2 already uses the subnet this host picks for copy 2 (doctor picks it, as every task
    # does, and keeps it in class.json; which one depends on the networks this host has now): up
    # must give copy 2 another before making its network there. On server 2's loopback: this
    # kernel has no dummy links, and ip -j lists it all the same.
    invoke(Controller(vmhost), "doctor", "--config", str(path), check=False)
    BUSY.append(IPv4Network(json.loads((path.parent / ".lab" / NAME / "class.json").read_text())
                            ["copies"]["2"]["management_network"]))
    netns.run(["ip", "addr", "add", f"{BUSY[0].network_address + 1}/24", "dev", "lo"], server2.NS, check=True)
    yield path
    Controller(vmhost).run(vmhost.invoke("destroy", "--yes", "--config", str(path)))
    laptop.unlink()
    server2.remove(log=vmhost.log)


def rows(out: str) -> dict:
    """The rows of the tables in out (rich's box lines), by their first cell; a row rich wrapped
    over several lines (its first cell empty on the next ones) is joined back, cell by cell."""
    found, last = {}, None
    for line in out.splitlines():
        if not line.startswith("│"):
            last = None
            continue
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if cells[0] or last is None:
            last = cells
            found.setdefault(cells[0], cells)
        else:
            last[:] = [f"{a} {b}".strip() for a, b in zip(last, cells)]
    return found


def capture(name, text):
    """Keep a real output for the README (K8SLAB_CAPTURE=DIR)."""
    folder = os.environ.get("K8SLAB_CAPTURE")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / name).write_text(text)


def domains_here(vmhost):
    return [d for d in vmhost.virsh("list", "--all", "--name").stdout.split() if d.startswith(NAME)]


def domains_on_server2():
    return [d for d in server2.virsh("list", "--all", "--name").stdout.split() if d.startswith(NAME)]


def test_up_places_one_copy_per_server_and_both_verify(vmhost, klass):
    r = invoke(Controller(vmhost), "up", "--config", str(klass))
    table = rows(r.stdout)
    assert "placement of " + NAME in r.stdout
    assert table["here"][1:3] == ["this host", "1 (new)"], r.stdout
    assert table["lab2"][1:3] == [f"root@{server2.SERVER_IP}:22", "2 (new)"], r.stdout
    placed = json.loads((klass.parent / ".lab" / NAME / "class.json").read_text())["copies"]
    assert (placed["1"]["server"], placed["2"]["server"]) == ("here", "lab2")
    # copy 2's management subnet moved off the one server 2 uses, and is kept so
    assert f"{NAME}-2: its management network {BUSY[0]} is in use on server lab2" in r.stdout, r.stdout
    assert not IPv4Network(placed["2"]["management_network"]).overlaps(BUSY[0]), placed
    # each copy's VM exists on its own server only
    assert domains_here(vmhost) == [f"{NAME}-1-k8s-master"]
    assert domains_on_server2() == [f"{NAME}-2-k8s-master"]


def test_status_shows_each_copys_server(vmhost, klass):
    c = Controller(vmhost)
    r = invoke(c, "status", "--config", str(klass))
    capture("status-two-servers.txt", r.stdout)
    table = rows(r.stdout)
    assert table[f"{NAME}-1"][1] == "here" and table[f"{NAME}-2"][1] == "lab2", r.stdout
    data = json.loads(invoke(c, "status", "--json", "--config", str(klass)).stdout)
    assert [cp["server"] for cp in data["copies"]] == ["here", "lab2"]
    assert all(n["state"] == "running" for cp in data["copies"] for n in cp["nodes"])
    # copy 2's VM is reached through server 2, as vagrant-libvirt derives it from the copy's
    # libvirt URI; the class page's plain ssh line carries it and works as printed
    config = (klass.parent / ".lab" / f"{NAME}-2" / "ssh-config").read_text()
    assert f"ProxyCommand ssh '{server2.SERVER_IP}' -l 'root' -W " in config, config
    plain = dict(map(tuple, data["copies"][1]["access"]))["plain ssh to k8s-master"]
    argv = shlex.split(plain)
    r = c.run([argv[0], "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               *argv[1:], "hostname"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "k8s-master", plain + "\n" + r.stderr


def test_doctor_checks_each_server_its_subnets_and_what_it_holds(vmhost, klass):
    """doctor reads server 2 over SSH (memory, CPUs, pool, KSM, its networks and libvirt's
    bridges): copy 2's management network is free there (its own bridge is no clash), and the
    placement says how many copies of this lab each server holds."""
    r = invoke(Controller(vmhost), "doctor", "--config", str(klass), check=False)
    capture("doctor-two-servers.txt", r.stdout)
    table = rows(r.stdout)
    read = table["server lab2"]
    assert read[1] == "pass" and read[2].startswith(f"root@{server2.SERVER_IP}:22: "), r.stdout
    assert "GiB memory available" in read[2] and "KSM" in read[2], r.stdout
    subnet = table[f"server lab2: {NAME}-2's management network free"]
    assert subnet[1] == "pass" and "overlaps no network of server lab2" in subnet[2], r.stdout
    assert f"server lab2: {NAME}-1's management network free" not in table, r.stdout   # copy 1 is here
    assert table["here"][2:4] == ["1 (kept)", "1 (max_copies)"], r.stdout
    assert table["lab2"][2] == "2 (kept)" and table["lab2"][3].split()[0].isdigit(), r.stdout
    # both copies run (READ lists server 2's running domains): nothing more to take from its memory
    free, after = table["lab2"][4].removesuffix(" GiB").split(" → ")
    assert free == after, r.stdout


def test_the_remote_copy_resets_to_its_checkpoint_on_its_server(vmhost, klass):
    c = Controller(vmhost)
    invoke(c, "ssh", "k8s-master", "--copy", "2", "--config", str(klass), "--command", "touch after-base")
    invoke(c, "reset", "--copy", "2", "--to", "base", "--config", str(klass))
    r = invoke(c, "ssh", "k8s-master", "--copy", "2", "--config", str(klass), "--command",
               "test -e after-base && echo still || echo gone")
    assert r.stdout.strip().endswith("gone")
    invoke(c, "verify", "--copy", "2", "--config", str(klass))


GATEWAY = f"{NAME}-gateway"       # the gateway's Host name in a student's ssh config
REMOTE_GATEWAY = Path(pwd.getpwnam("root").pw_dir) / ".k8s-lab" / NAME   # server 2's root's home: this machine's


def remote_gateway_pids() -> list:
    """Processes whose command line names the class's gateway config on server 2."""
    mark = f"{REMOTE_GATEWAY}/gateway/sshd_config"
    out = []
    for d in Path("/proc").iterdir():
        try:
            if d.name.isdigit() and mark in (d / "cmdline").read_bytes().replace(b"\0", b" ").decode():
                out.append(int(d.name))
        except OSError:
            pass
    return out


def test_bob_reaches_his_copy_through_the_gateway_on_its_server(vmhost, klass, tmp_path_factory):
    """Copy 2 is on server 2, whose NAT network admits nothing from outside: its own gateway
    (the same sshd, for server 2's copies only) takes bob in; his laptop reaches server 2 alone."""
    c = Controller(vmhost)
    status = invoke(c, "status", "--config", str(klass)).stdout
    assert f"gateway root@{laptop.SERVER_IP} port 2222 (server lab2): running (pid " in status, status
    invoke(c, "ssh", "k8s-master", "--copy", "2", "--config", str(klass), "--command",
           "echo copy-2 | sudo tee /root/which")
    bob = laptop.Laptop(tmp_path_factory.mktemp("laptop-bob"))
    handouts_dir = klass.parent / ".lab" / NAME / "handouts"
    bob.unpack(handouts_dir / "bob.zip", handouts.linux_steps(NAME, "bob", True))
    r = bob.ssh("k8s-master", "hostname; cat /root/which; id -un")
    assert r.returncode == 0 and r.stdout.split() == ["k8s-master", "copy-2", "root"], r.stdout + r.stderr
    # server 2's gateway names copy 2's VMs only: copy 1's address is refused
    mine = json.loads((klass.parent / ".lab" / f"{NAME}-1" / "access.json").read_text())["nodes"]
    r = bob.ssh("-W", f"{mine['k8s-master']['address']}:22", GATEWAY)
    assert r.returncode == 255 and "open failed: administratively prohibited" in r.stderr, r.stderr
    # alice's key (copy 1, this host) does not open server 2's gateway
    alice = laptop.Laptop(tmp_path_factory.mktemp("laptop-alice"))
    alice.unpack(handouts_dir / "alice.zip", handouts.linux_steps(NAME, "alice", True))
    r = alice.ssh("-p", "2222", "-i", f"~/.ssh/{NAME}/id_ed25519", "-o", "IdentitiesOnly=yes",
                  "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                  f"root@{laptop.SERVER_IP}", "true")
    assert r.returncode == 255 and "Permission denied (publickey)" in r.stderr, r.stderr
    assert len(remote_gateway_pids()) >= 1


def test_a_server_that_stops_answering_fails_its_copy_by_name(vmhost, klass):
    c = Controller(vmhost)
    server2.stop_sshd()
    try:
        r = invoke(c, "verify", "--config", str(klass), check=False)
    finally:
        server2.start_sshd()
    assert r.returncode != 0
    said = r.stdout + r.stderr
    assert f"server lab2 (root@{server2.SERVER_IP}:22) is unreachable" in said, said
    assert f"1 of 2 copies failed ({NAME}-2)" in said, said
    assert "checks for base" in said   # copy 1 was verified all the same


def test_destroy_one_copy_then_all_leaves_nothing_on_either_server(vmhost, klass):
    c = Controller(vmhost)
    invoke(c, "destroy", "--yes", "--copy", "2", "--config", str(klass))
    assert domains_on_server2() == [] and domains_here(vmhost) == [f"{NAME}-1-k8s-master"]
    invoke(c, "destroy", "--yes", "--config", str(klass))
    assert domains_here(vmhost) == [] and vmhost.leftovers(NAME) == []
    volumes = server2.virsh("vol-list", "default").stdout
    networks = server2.virsh("net-list", "--all", "--name").stdout.split()
    assert NAME not in volumes and not [n for n in networks if n.startswith(NAME)]
    # the gateway on server 2 stopped, its folder gone
    assert remote_gateway_pids() == [] and not REMOTE_GATEWAY.exists()
