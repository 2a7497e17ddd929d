"""commands/place.py: each server read in one command (this host for real: its /proc/meminfo and
KSM files), a server that does not answer named with the reason (a real ssh to a closed port on
the loopback), the class placed and kept before anything runs, and a class that does not fit
refused with nothing written."""
from __future__ import annotations

import json
import socket

import pytest

from k8slab import classfile
from k8slab.allocate.placement import PlacementError
from k8slab.commands import place
from tests.unit.engine.engine_lab import ENGINE_LAB, load_engine_lab


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_with(tmp_path, servers: str, copies: int = 2, memory: int = 256):
    (tmp_path / "lab.yaml").write_text(ENGINE_LAB + f"provider: libvirt\ncopies: {copies}\n"
                                       f"defaults: {{memory: {memory}, cpus: 1}}\nservers:\n{servers}")
    return load_engine_lab(tmp_path / "lab.yaml")


def test_this_host_is_read_for_real_in_one_command():
    from k8slab.config.schema import Server
    read = place.read_server(None, Server(name="local", host="local"))
    assert read.mem_available_mib > 0            # MemAvailable of this machine's /proc/meminfo
    assert read.ksm is not None and read.ksm.run in (0, 1, 2)
    assert read.cpus >= 1 and read.disk_available_bytes > 0   # libvirtd or not (nproc, df)


def test_the_remote_command_is_openssh_without_prompts(tmp_path):
    lab = lab_with(tmp_path, "  - {name: here, host: local}\n"
                             "  - {name: lab2, host: lab2.school.example, user: root, port: 2222, key: keys/id}\n")
    argv = place.ssh_argv(lab, lab.server("lab2"), "true")
    assert argv == ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={place.READ_TIMEOUT}", "-p", "2222",
                    "-i", str(tmp_path / "keys" / "id"), "root@lab2.school.example", "true"]


def test_a_server_that_does_not_answer_is_named_with_the_reason(tmp_path):
    port = closed_port()
    lab = lab_with(tmp_path, "  - {name: here, host: local}\n"
                             f"  - {{name: lab2, host: 127.0.0.1, port: {port}}}\n")
    assert "Connection refused" in place.read_server(lab, lab.server("lab2"))
    copy = lab.model_copy()
    copy._server = "lab2"
    why = place.unreachable(copy)
    assert why.startswith(f"server lab2 (127.0.0.1:{port}) is unreachable: ") and "Connection refused" in why
    copy._server = "here"
    assert place.unreachable(copy) == ""


def copies_of(lab):
    from k8slab import copies
    return copies.expand(lab)


def test_new_copies_go_to_a_server_with_room_and_stay_there(tmp_path, monkeypatch):
    # this host holds one copy (max_copies), the second server is down: the second copy fits nowhere
    port = closed_port()
    lab = lab_with(tmp_path, "  - {name: here, host: local, max_copies: 1}\n"
                             f"  - {{name: lab2, host: 127.0.0.1, port: {port}}}\n")
    everyone = copies_of(lab)
    with pytest.raises(PlacementError) as e:
        place.place(lab, everyone, everyone)
    assert "lab2 is unreachable" in str(e.value) and "1 copy does not fit (2)" in str(e.value)
    assert "servers" not in classfile.read(lab)   # nothing kept from a refused placement
    # copy 1 alone fits here, and is kept there: the next run reads it back
    place.place(lab, everyone[:1], everyone)
    assert everyone[0].on_server.name == "here" and classfile.placement(lab) == {1: "here"}
    assert json.loads(classfile.path(lab).read_text())["copies"]["1"]["server"] == "here"
    again = copies_of(lab)
    assert again[0].on_server.name == "here" and again[0].libvirt_uri == "qemu:///system"


def test_a_lab_on_this_host_alone_is_not_placed(tmp_path):
    (tmp_path / "lab.yaml").write_text(ENGINE_LAB + "provider: libvirt\ncopies: 2\n")
    lab = load_engine_lab(tmp_path / "lab.yaml")
    everyone = copies_of(lab)
    place.place(lab, everyone, everyone)
    assert "servers" not in classfile.read(lab) and all(c.on_server.name == "local" for c in everyone)


def test_a_remote_copys_libvirt_is_reached_over_ssh_without_prompts(tmp_path):
    lab = lab_with(tmp_path, "  - {name: here, host: local}\n"
                             "  - {name: lab2, host: lab2.school.example, user: root, port: 2222, key: keys/id}\n")
    copy = lab.model_copy()
    copy._server = "lab2"
    assert copy.libvirt_uri == f"qemu+ssh://root@lab2.school.example:2222/system?no_tty=1&keyfile={tmp_path}/keys/id"


def test_doctor_reports_each_server_what_it_has_or_why_not(tmp_path):
    from k8slab.doctor import servers
    from k8slab.doctor.finding import FAIL, PASS
    port = closed_port()
    lab = lab_with(tmp_path, "  - {name: here, host: local}\n"
                             f"  - {{name: lab2, host: 127.0.0.1, user: root, port: {port}}}\n")
    here, lab2 = servers.findings(lab, place.read_servers(lab))
    assert here.status == PASS and here.detail.startswith("this host: ") and "GiB memory available" in here.detail
    assert "KSM off" in here.detail or "KSM on" in here.detail
    assert lab2.status == FAIL and lab2.detail.startswith(f"root@127.0.0.1:{port}: not reached: ")
    assert "Connection refused" in lab2.detail
    assert lab2.fix.startswith(f"`ssh -o BatchMode=yes -p {port} root@127.0.0.1 true` must work")


def test_a_remote_copys_vagrantfile_names_its_server_and_vagrant_accepts_it(tmp_path):
    """lv.uri only for the copy on lab2 (this host's copy keeps vagrant-libvirt's default), and
    Vagrant with vagrant-libvirt takes it: `vagrant validate` parses the URI as the provider does
    (host, user, port, keyfile -> its ProxyCommand), without connecting."""
    import os
    import shutil
    import subprocess
    from k8slab.render import render_vagrantfile, write_vagrantfile
    lab = lab_with(tmp_path, "  - {name: here, host: local}\n"
                             "  - {name: lab2, host: lab2.school.example, user: root, port: 2222, key: keys/id}\n")
    here, there = copies_of(lab)
    here._server, there._server = "here", "lab2"
    assert "lv.uri" not in render_vagrantfile(here, "libvirt")
    assert (f'      lv.uri = "qemu+ssh://root@lab2.school.example:2222/system?no_tty=1&keyfile={tmp_path}/keys/id"\n'
            in render_vagrantfile(there, "libvirt"))
    if not shutil.which("vagrant"):
        pytest.skip("vagrant is not installed")
    path, _ = write_vagrantfile(there, "libvirt")
    r = subprocess.run(["vagrant", "validate"], cwd=path.parent, capture_output=True, text=True,
                       env=dict(os.environ, VAGRANT_CHECKPOINT_DISABLE="1"), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
