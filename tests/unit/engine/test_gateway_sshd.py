"""The student gateway for real, in seconds: k8s-lab's own sshd (Debian's openssh-server) in a
network namespace of this test, started by the engine's gateway command (k8slab/commands/
gateway.py, for the engine's lab: FRONT_END below does what tasks.py's `gateway` and `students`
tasks do for the tutorial's), and OpenSSH's ssh client as the students' laptops use it, each
student's bundle unpacked by the handout's own steps.

What stands in, and why: the copies' VMs. Their addresses (what `up` records in each copy's
access.json after installing the keys) are written by the test, and the "VMs" are TCP
listeners on 127.0.0.2 (alice's copy) and 127.0.0.3 (bob's) that answer with a line naming
themselves: what is under test is which channels the gateway opens, not an SSH login on a VM
(tests/vm/test_class.py logs in to real VMs through the same gateway).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from k8slab.gateway import handout, sshd
from tests.harness import netns
from tests.harness.laptop import Laptop

REPO = Path(__file__).resolve().parents[3]
NS_PREFIX = "k8slabgw"          # this test's namespaces: nothing else is named so
PROHIBITED = "open failed: administratively prohibited"
DENIED = "Permission denied (publickey)"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not sshd.sshd_binary() or not shutil.which("ssh") or not shutil.which("unzip"),
    reason="needs root (a network namespace), sshd (openssh-server), ssh and unzip: "
           "tests/harness/host-setup.sh installs them")

LISTENER = """
import socket, sys, threading
def serve(ip, port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port)); s.listen()
    while True:
        c, _ = s.accept(); c.sendall(f"VM {ip}:{port}\\n".encode()); c.close()
for target in sys.argv[1:]:
    ip, port = target.split(":")
    threading.Thread(target=serve, args=(ip, int(port)), daemon=True).start()
print("listening", flush=True)
threading.Event().wait()
"""


# `invoke gateway [--stop]` and `invoke students --revoke|--reissue NAME` as tasks.py runs them
# (a LabError is a message and exit code 1), with the engine's lab model instead of the tutorial's.
FRONT_END = """
import sys
from k8slab.commands import gateway as command
from k8slab.errors import LabError
from tests.unit.engine.engine_lab import load_engine_lab
task, lab_file, *args = sys.argv[1:]
try:
    lab = load_engine_lab(lab_file)
    command.require(lab)
    if task == "gateway" and args == ["--stop"]:
        command.stop(lab)
    elif task == "gateway":
        command.gateway(lab)
    else:
        option, name = args
        command.students(lab, name, revoke=option == "--revoke")
except LabError as e:
    sys.exit(f"error: {e}")
"""


class Class:
    def __init__(self, ns, folder: Path):
        self.ns, self.folder = ns, folder
        self.lab_file = folder / "lab.yaml"

    def invoke(self, task, *args) -> subprocess.CompletedProcess:
        """The task as `invoke TASK ARGS --config lab.yaml` runs it (FRONT_END)."""
        r = subprocess.run(netns.exec_argv([sys.executable, "-c", FRONT_END, task, str(self.lab_file),
                                            *args], self.ns),
                           capture_output=True, text=True, cwd=self.folder,
                           env={**os.environ, "PYTHONPATH": str(REPO)})
        print(r.stdout, r.stderr)
        return r

    def laptop(self, student: str) -> Laptop:
        """A fresh laptop for student with the handout's bundle unpacked as the page says."""
        pc = Laptop(self.folder / "laptops" / f"{student}-{time.monotonic_ns()}", self.ns)
        if student == "alice":   # she brought her own key: it is her laptop's default key
            (pc.home / ".ssh").mkdir(mode=0o700)
            for name in ("id_ed25519", "id_ed25519.pub"):
                shutil.copy(self.folder / "alice-laptop" / name, pc.home / ".ssh" / name)
        pc.unpack(self.folder / ".lab" / "gwt" / "handouts" / f"{student}.zip",
                  handout.linux_steps("gwt", student, key_file=student != "alice"))
        return pc


def _vm_facts(folder: Path, copy: str, student: str, ips) -> None:
    """What vms.install records for a copy (the stand-in described at the top)."""
    (folder / ".lab" / copy).mkdir(parents=True, exist_ok=True)
    nodes = dict(zip(("k8s-master", "k8s-node1"), ips))
    (folder / ".lab" / copy / "access.json").write_text(json.dumps({
        "nodes": {n: {"address": ip, "host_key": ""} for n, ip in nodes.items()},
        "student": student, "key": None, "at": 0}))


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    ns = f"{NS_PREFIX}{os.getpid()}"
    folder = tmp_path_factory.mktemp("gateway")
    for stale in Path("/run/netns").glob(f"{NS_PREFIX}*"):
        # a killed run's, with its sshd; a run still going (its pid alive) keeps its own
        pid = stale.name[len(NS_PREFIX):]
        if not (pid.isdigit() and Path(f"/proc/{pid}").exists()):
            netns.delete(stale.name)
    netns.create(ns)
    listener = subprocess.Popen(netns.exec_argv([sys.executable, "-c", LISTENER, "127.0.0.2:22",
                                                 "127.0.0.3:22", "127.0.0.2:8080"], ns),
                                stdout=subprocess.PIPE, text=True)
    try:
        assert listener.stdout.readline().strip() == "listening"
        (folder / "alice-laptop").mkdir()
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice@laptop",
                        "-f", str(folder / "alice-laptop" / "id_ed25519")], check=True)
        key = (folder / "alice-laptop" / "id_ed25519.pub").read_text().strip()
        (folder / "lab.yaml").write_text(f"""\
name: gwt
platform: small
provider: libvirt
libvirt: {{driver: qemu}}
copies: 2
nodes:
  - {{name: k8s-master, ip: 192.168.0.15, roles: [server], aliases: [k8s-etcd]}}
  - {{name: k8s-node1, ip: 192.168.0.16, roles: [worker]}}
students:
  - {{name: alice, key: "{key}"}}
  - name: bob
gateway: {{address: 127.0.0.1, port: 2222, listen: 127.0.0.1}}
""")
        _vm_facts(folder, "gwt-1", "alice", ("127.0.0.2", "127.0.0.4"))
        _vm_facts(folder, "gwt-2", "bob", ("127.0.0.3",))
        k = Class(ns, folder)
        r = k.invoke("gateway")
        assert r.returncode == 0, r.stdout + r.stderr
        yield k
    finally:
        stopped = Class(ns, folder).invoke("gateway", "--stop")
        listener.kill()
        listener.wait()
        netns.delete(ns)
    assert stopped.returncode == 0 and "gateway: stopped" in stopped.stdout, stopped.stdout + stopped.stderr


def test_the_gateway_runs_its_own_sshd_on_its_own_port(klass):
    pid = int((klass.folder / ".lab/gwt/gateway/sshd.pid").read_text())
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode()
    assert str(klass.folder / ".lab/gwt/gateway/sshd_config") in cmdline
    listening = netns.run(["ss", "-Hltn"], klass.ns, capture_output=True, text=True).stdout
    assert "127.0.0.1:2222" in listening and ":22 " not in listening.replace("127.0.0.2:22 ", "").replace("127.0.0.3:22 ", "")


def test_each_student_reaches_their_own_copys_port_22(klass):
    for student, ip in (("alice", "127.0.0.2"), ("bob", "127.0.0.3")):
        r = klass.laptop(student).ssh("-W", f"{ip}:22", "gwt-gateway")
        assert r.returncode == 0 and r.stdout == f"VM {ip}:22\n", r.stdout + r.stderr


@pytest.mark.parametrize("student,target", [
    ("alice", "127.0.0.3:22"),      # bob's copy
    ("bob", "127.0.0.2:22"),        # alice's copy
    ("alice", "127.0.0.2:8080"),    # her own VM, another port
    ("alice", "127.0.0.1:2222"),    # the gateway itself, on the server's loopback
    ("alice", "127.0.0.1:22"),      # the server's own sshd's port
    ("alice", "127.0.0.5:22"),      # an address no copy has
])
def test_a_channel_anywhere_else_is_refused(klass, student, target):
    r = klass.laptop(student).ssh("-W", target, "gwt-gateway")
    assert r.returncode == 255 and PROHIBITED in r.stderr, r.stdout + r.stderr
    assert "VM " not in r.stdout


def test_no_shell_no_command_no_sftp_on_the_gateway(klass):
    pc = klass.laptop("bob")
    for args in (["gwt-gateway"], ["gwt-gateway", "id"], ["-tt", "gwt-gateway"],
                 ["-s", "gwt-gateway", "sftp"]):
        r = pc.ssh(*args)
        assert r.returncode == 255 and sshd.NO_SESSION in r.stderr, (args, r.stdout, r.stderr)
        assert "uid=" not in r.stdout


def test_no_password_and_no_stranger(klass, tmp_path):
    pc = klass.laptop("bob")
    r = pc.ssh("-o", "PubkeyAuthentication=no", "-o", "BatchMode=yes",
               "-o", "PreferredAuthentications=password,keyboard-interactive", "gwt-gateway", "true")
    assert r.returncode == 255 and DENIED in r.stderr, r.stderr
    pc.sh("ssh-keygen -q -t ed25519 -N '' -f ~/stranger")
    # a key the gateway never saw, with nothing of the bundle's (its config holds bob's key)
    r = pc.ssh("-F", "/dev/null", "-o", "IdentitiesOnly=yes", "-i", "~/stranger", "-o", "BatchMode=yes",
               "-o", "StrictHostKeyChecking=no", "-p", "2222", "-W", "127.0.0.3:22", "root@127.0.0.1")
    assert r.returncode == 255 and DENIED in r.stderr, r.stderr


def test_revoke_then_reissue_one_student_leaves_the_other_alone(klass):
    bob_before = klass.laptop("bob")
    alice = klass.laptop("alice")
    r = klass.invoke("students", "--revoke", "bob")
    assert r.returncode == 0 and "students: bob revoked" in r.stdout, r.stdout + r.stderr
    r = bob_before.ssh("-W", "127.0.0.3:22", "gwt-gateway")
    assert r.returncode == 255 and DENIED in r.stderr, r.stderr
    assert alice.ssh("-W", "127.0.0.2:22", "gwt-gateway").stdout == "VM 127.0.0.2:22\n"
    r = klass.invoke("students", "--reissue", "bob")
    assert r.returncode == 0 and "students: bob issued a new key" in r.stdout, r.stdout + r.stderr
    # the old bundle's key stays refused; the new handout's works
    assert DENIED in bob_before.ssh("-W", "127.0.0.3:22", "gwt-gateway").stderr
    assert klass.laptop("bob").ssh("-W", "127.0.0.3:22", "gwt-gateway").stdout == "VM 127.0.0.3:22\n"
    assert alice.ssh("-W", "127.0.0.2:22", "gwt-gateway").stdout == "VM 127.0.0.2:22\n"


def test_a_student_unknown_to_the_roster_is_refused_by_name(klass):
    r = klass.invoke("students", "--revoke", "mallory")
    assert r.returncode == 1 and "no student named 'mallory'" in r.stderr and "alice, bob" in r.stderr
