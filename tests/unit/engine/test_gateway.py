"""The gateway's files as OpenSSH itself reads them: sshd's effective configuration (`sshd -T`),
the authorized_keys lines (`ssh-keygen -l`), the student's ssh config (`ssh -G`); the roster's
seats; the folder check that stands in for sshd's StrictModes. The running gateway:
test_gateway_sshd.py; on real VMs: tests/vm/test_class.py."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from k8slab.config.schema import HandoutWords
from k8slab.gateway import handout, pubkey, roster, sshd

needs_openssh = pytest.mark.skipif(not (sshd.sshd_binary() and shutil.which("ssh")),
                                   reason="needs sshd and ssh (tests/harness/host-setup.sh)")


@pytest.fixture
def key(tmp_path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "t@x", "-f",
                    str(tmp_path / "k")], check=True)
    return pubkey.parse((tmp_path / "k.pub").read_text())


def test_authorized_line_permits_the_copy_and_nothing_else(key, tmp_path):
    line = sshd.authorized_line(key.line, "alice", ["192.168.124.10:22", "192.168.124.11:22"], "k8s-master")
    opts = line.split(" ssh-ed25519 ")[0]
    assert opts.startswith("restrict,port-forwarding,")
    assert opts.count("permitopen=") == 2 and 'permitopen="192.168.124.11:22"' in opts
    assert line.rstrip().endswith("k8s-lab:student:alice")
    none = sshd.authorized_line(key.line, "bob", [], "k8s-master")
    assert "port-forwarding" not in none and "permitopen" not in none
    # OpenSSH's own parser reads both lines, options and all, as this key
    (tmp_path / "authorized_keys").write_text(line + none)
    out = subprocess.run(["ssh-keygen", "-l", "-f", str(tmp_path / "authorized_keys")],
                         capture_output=True, text=True, check=True).stdout
    assert out.count(key.fingerprint) == 2, out


@needs_openssh
@pytest.mark.skipif(os.geteuid() != 0, reason="sshd -T as root (privilege separation)")
def test_sshd_reads_the_config_as_meant(tmp_path, key):
    files = sshd.Files(tmp_path)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(files.host_key)], check=True)
    files.config.write_text(sshd.config_text(files, 2222, "0.0.0.0", "root",
                                             ["192.168.124.10:22", "192.168.125.10:22"], "k8s-master"))
    Path("/run/sshd").mkdir(exist_ok=True)
    effective = subprocess.run([sshd.sshd_binary(), "-T", "-f", str(files.config)], capture_output=True,
                               text=True, check=True).stdout.lower().splitlines()
    got = dict(line.split(" ", 1) for line in effective if " " in line)
    assert got["port"] == "2222" and got["authorizedkeysfile"] == str(files.authorized_keys).lower()
    for k, v in {"passwordauthentication": "no", "kbdinteractiveauthentication": "no",
                 "authenticationmethods": "publickey", "usepam": "no",
                 "permitrootlogin": "forced-commands-only", "allowtcpforwarding": "local",
                 "allowagentforwarding": "no", "allowstreamlocalforwarding": "no",
                 "x11forwarding": "no", "permittty": "no", "permittunnel": "no",
                 "gatewayports": "no", "permituserrc": "no", "allowusers": "root",
                 "maxsessions": "0"}.items():
        assert got[k] == v, (k, got[k])
    assert got["permitopen"] == "192.168.124.10:22 192.168.125.10:22"
    assert sshd.refusal("k8s-master").lower() in got["forcecommand"]


def test_the_refusal_sends_the_student_to_the_labs_home_node(tmp_path):
    """The gateway names no tutorial's node: its refusal says the lab's home_node(), as the
    handout does (the tutorial's: its master, "type: ssh k8s-master")."""
    from k8slab.gateway import service
    from tests.unit.engine.engine_lab import ENGINE_LAB, load_engine_lab
    (tmp_path / "lab.yaml").write_text(ENGINE_LAB.replace("k8s-master", "k8s-boss")
                                       + "gateway: {address: 127.0.0.1, port: 2299, listen: 127.0.0.1}\n")
    lab = load_engine_lab(tmp_path / "lab.yaml")
    service.refresh(lab, start=False)
    files = sshd.files(lab)
    for text in (files.config.read_text(), files.authorized_keys.read_text()):
        assert "(type: ssh k8s-boss)" in text and "k8s-master" not in text


GATEWAY = "gateway: {address: 127.0.0.1, port: 2299, listen: 127.0.0.1}\n"


def test_the_handout_speaks_of_the_lab_in_its_own_words(tmp_path):
    """The page names nothing of a tutorial: what it says of the lab is the lab's
    handout_words(), the engine's own here: its nodes counted, the home node, another to ssh to
    and the last one's IP."""
    from k8slab.gateway import service
    from tests.unit.engine.engine_lab import ENGINE_LAB, load_engine_lab
    (tmp_path / "lab.yaml").write_text(ENGINE_LAB.replace("k8s-master", "k8s-boss").replace(
        "k8s-node1", "worker-a").replace("192.168.0.17", "192.168.0.27") + GATEWAY)
    lab = load_engine_lab(tmp_path / "lab.yaml")
    page = service.refresh(lab, start=False)[0].handout.read_text()
    assert "<h1>student-1: your lab</h1>" in page and "<p>Your lab is at stage <b>none</b>.\n3 " \
        "machines, all yours:</p>" in page and "your own\nlab's machines" in page
    assert "<p>and you are root on k8s-boss. From there, <code>ssh worker-a</code> and <code>scp " \
        "... 192.168.0.27:...</code> work, as they do from your own computer.</p>" in page
    for word in ("Kubernetes", "cluster", "Three", "master", "k8s-node1", "192.168.0.17"):
        assert word not in page, word


def test_the_handouts_words_are_text_on_the_page():
    words = HandoutWords(title="<b>&", home="type `a<b` & `c` 'd\"")
    page = handout.render_html(_handout(words=words))
    assert "<h1>alice: &lt;b&gt;&amp;</h1>" in page
    assert "<p>type <code>a&lt;b</code> &amp; <code>c</code> 'd\"</p>" in page


def _handout(**kw):
    base = dict(lab="k8s-lab", student="alice", index=2, copies=3, gateway_host="lab1.school.example",
                gateway_port=2222, gateway_user="teacher", gateway_host_key="ssh-ed25519 AAAAgw",
                nodes=(("k8s-master", ("k8s-etcd",), "192.168.0.15", "192.168.124.10", "ssh-ed25519 AAAAm"),
                       ("k8s-node1", (), "192.168.0.16", "192.168.124.11", "ssh-ed25519 AAAAn")),
                master="k8s-master", stage="etcd", chapter="2.1", generated_key="PRIVATE", fingerprint="SHA256:x")
    return handout.Handout(**{**base, **kw})


@needs_openssh
@pytest.mark.parametrize("typed,address,alias", [
    ("k8s-master", "192.168.124.10", "k8s-master"), ("k8s-etcd", "192.168.124.10", "k8s-master"),
    ("192.168.0.15", "192.168.124.10", "k8s-master"), ("k8s-node1", "192.168.124.11", "k8s-node1"),
    ("192.168.0.16", "192.168.124.11", "k8s-node1")])
def test_what_the_student_types_leads_to_their_copy_through_the_gateway(tmp_path, typed, address, alias):
    (tmp_path / "config").write_text(handout.ssh_config(_handout()))
    got = dict(line.split(" ", 1) for line in subprocess.run(
        ["ssh", "-G", "-F", str(tmp_path / "config"), typed], capture_output=True, text=True,
        check=True).stdout.splitlines())
    assert (got["hostname"], got["user"], got["proxyjump"], got["hostkeyalias"]) == \
        (address, "root", "k8s-lab-gateway", alias)
    assert got["stricthostkeychecking"] == "true" and got["forwardagent"] == "no"
    gw = dict(line.split(" ", 1) for line in subprocess.run(
        ["ssh", "-G", "-F", str(tmp_path / "config"), "k8s-lab-gateway"], capture_output=True,
        text=True, check=True).stdout.splitlines())
    assert (gw["hostname"], gw["port"], gw["user"]) == ("lab1.school.example", "2222", "teacher")
    assert gw["identityfile"] == "~/.ssh/k8s-lab/id_ed25519"


def test_known_hosts_name_the_gateway_with_its_port_and_the_vms_by_alias():
    text = handout.known_hosts(_handout())
    assert text.splitlines() == ["[lab1.school.example]:2222 ssh-ed25519 AAAAgw",
                                 "k8s-master ssh-ed25519 AAAAm", "k8s-node1 ssh-ed25519 AAAAn"]


def test_own_key_bundle_has_no_key_file_and_no_identity(tmp_path):
    h = _handout(generated_key=None, own_key="SHA256:own")
    assert "IdentityFile" not in handout.ssh_config(h)
    assert "chmod" not in handout.linux_steps("k8s-lab", "alice", False)
    assert "icacls" not in handout.windows_steps("k8s-lab", "alice", False)
    handout.write(tmp_path, _handout())
    handout.write(tmp_path, h)          # the student brought a key since: the made one goes
    assert not (tmp_path / "alice" / "k8s-lab" / "id_ed25519").exists()
    import zipfile
    assert sorted(zipfile.ZipFile(tmp_path / "alice.zip").namelist()) == ["k8s-lab/config", "k8s-lab/known_hosts"]


def test_the_handout_page_says_where_the_copy_is_and_what_to_type():
    page = handout.render_html(_handout())
    assert "chapter <b>2.1</b>" in page and "ssh k8s-master" in page and "alice: your lab" in page
    assert "<script" not in page and "lab1.school.example" in page
    assert "Access revoked" in handout.render_html(_handout(revoked=True))
    # the node to ssh to is the lab's home_node() (handed in as master), not a name of the page's
    assert '<pre class="first">ssh k8s-boss</pre>' in handout.render_html(_handout(master="k8s-boss"))


def test_a_folder_others_can_write_is_unsafe_unless_sticky(tmp_path):
    open_dir = tmp_path / "open"
    (open_dir / "gw").mkdir(parents=True)
    open_dir.chmod(0o777)
    assert "writable by others" in sshd.unsafe_parent(open_dir / "gw")
    open_dir.chmod(0o1777)   # like /tmp
    assert sshd.unsafe_parent(open_dir / "gw") is None


def test_copy_k_is_the_kth_student_or_a_default(lab_with):
    lab = lab_with(("copies: 1 ", "copies: 3 "), ("students: []", "students: [{name: alice}]"))
    assert lab.student(1).name == "alice" and lab.student(3).name == "student-3"
    assert roster.seats(lab, [lab])[0].student == "alice"


def test_revoked_and_reissued_are_kept_per_student(tmp_path):
    roster.mark(tmp_path, "bob", revoke=True)
    roster.mark(tmp_path, "carol", revoke=True)
    roster.mark(tmp_path, "bob", revoke=False)
    assert roster.revoked(tmp_path) == {"carol"}
    assert "bob" in roster.load(tmp_path)["issued"]


@pytest.mark.skipif(not shutil.which("systemd-analyze") or not sshd.sshd_binary(),
                    reason="needs systemd-analyze and sshd")
def test_the_unit_is_one_systemd_accepts(tmp_path):
    # where systemd runs, the gateway is this unit (this machine runs no systemd: systemd's own
    # checker reads it instead); it starts sshd in the foreground on the gateway's own config
    unit = tmp_path / sshd.unit_name("k8s-lab")
    files = sshd.Files(tmp_path / "gateway")
    unit.write_text(sshd.unit_text("k8s-lab", sshd.sshd_binary(), files))
    r = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    exec_start = next(x for x in unit.read_text().splitlines() if x.startswith("ExecStart="))
    assert f" -D -f {files.config} " in exec_start
    assert "WantedBy=multi-user.target" in unit.read_text()
