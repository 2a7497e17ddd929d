"""The gateway on a remote server (k8slab/gateway/remote.py), its shell scripts run for real:
Debian's sshd started, reloaded and stopped by them, in a network namespace of this test, with
a home folder of the test's own. What the SSH transport to the server adds (doctor.servers.
ssh_argv) is the two-server VM test's (tests/vm/test_servers.py); here each script is given to
`sh -s` on its stdin, as remote.run gives it to the server's.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from k8slab.gateway import keys, remote, sshd
from tests.harness import netns

NS_PREFIX = "k8slabgr"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not sshd.sshd_binary() or not shutil.which("ssh-keygen"),
    reason="needs root (a network namespace) and sshd (openssh-server): tests/harness/host-setup.sh")


@pytest.fixture
def server(tmp_path):
    """(run, home): run(script) -> CompletedProcess, in the namespace with HOME=home."""
    ns = f"{NS_PREFIX}{os.getpid()}"
    for stale in Path("/run/netns").glob(f"{NS_PREFIX}*"):
        pid = stale.name[len(NS_PREFIX):]
        if not (pid.isdigit() and Path(f"/proc/{pid}").exists()):
            netns.delete(stale.name)
    netns.create(ns)
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    env = dict(os.environ, HOME=str(home))

    def run(script):
        return netns.run(["sh", "-s"], ns, input=script, capture_output=True, text=True, env=env, timeout=30)
    try:
        yield run, home
    finally:
        netns.delete(ns)


def texts(tmp_path, targets=("127.0.0.2:22",)):
    key = tmp_path / "ssh_host_ed25519_key"
    keys.ensure_pair(key, "k8s-lab-gateway@test")
    config = sshd.config_text(remote.files(), 2222, "127.0.0.1", remote.USER, list(targets), "k8s-master")
    return {"ssh_host_ed25519_key": key.read_text(), "authorized_keys": "", "sshd_config": config}


def test_start_then_nothing_then_reload_then_stop_and_purge(server, tmp_path):
    run, home = server
    first = run(remote.apply_script("cls", texts(tmp_path)))
    assert first.returncode == 0 and first.stdout.startswith("started "), first.stdout + first.stderr
    pid, user = int(first.stdout.split()[1]), first.stdout.split()[2]
    assert user == "root"                     # the account the script ran as: the gateway's login
    d = home / ".k8s-lab" / "cls" / "gateway"
    config = (d / "sshd_config").read_text()
    # the folder's place filled in with the server's own $HOME, and sshd accepts the result
    assert f"PidFile {d}/sshd.pid" in config and remote.DIR not in config
    assert "AllowUsers root\n" in config and remote.USER not in config
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in d.iterdir() if not p.name.startswith("sshd.")} == {
        "sshd_config": "0o600", "ssh_host_ed25519_key": "0o600", "authorized_keys": "0o600"}
    assert oct(d.stat().st_mode & 0o777) == "0o700"
    assert f" {d}/sshd_config " in f" {netns.cmdline(pid)} "

    again = run(remote.apply_script("cls", texts(tmp_path)))
    assert again.stdout.strip() == f"running {pid} root", again.stdout + again.stderr

    changed = run(remote.apply_script("cls", texts(tmp_path, ("127.0.0.2:22", "127.0.0.3:22"))))
    assert changed.stdout.strip() == f"reloaded {pid} root", changed.stdout + changed.stderr
    assert "PermitOpen 127.0.0.2:22 127.0.0.3:22" in (d / "sshd_config").read_text()
    assert run(remote.status_script("cls")).stdout.strip() == str(pid)

    stopped = run(remote.stop_script("cls", purge=True))
    assert stopped.stdout.strip() == f"stopped {pid}", stopped.stdout + stopped.stderr
    assert not (home / ".k8s-lab").exists()
    assert run(remote.status_script("cls")).stdout.strip() == ""
    assert run(remote.stop_script("cls", purge=False)).stdout.strip() == "not running"


def test_a_pid_file_naming_another_process_is_never_signalled(server, tmp_path):
    """A stale pid file whose pid now belongs to someone else's process: not the gateway, not
    killed; a fresh sshd is started instead."""
    run, home = server
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        d = home / ".k8s-lab" / "cls" / "gateway"
        d.mkdir(parents=True)
        (d / "sshd.pid").write_text(f"{other.pid}\n")
        assert run(remote.status_script("cls")).stdout.strip() == ""
        assert run(remote.stop_script("cls", purge=False)).stdout.strip() == "not running"
        started = run(remote.apply_script("cls", texts(tmp_path)))
        assert started.stdout.startswith("started ") and int(started.stdout.split()[1]) != other.pid
        assert other.poll() is None          # still alive: never signalled
        run(remote.stop_script("cls", purge=True))
    finally:
        other.kill()
        other.wait()


def test_a_config_sshd_refuses_is_not_started_and_says_why(server, tmp_path):
    run, home = server
    bad = texts(tmp_path)
    bad["sshd_config"] += "NoSuchOption yes\n"
    r = run(remote.apply_script("cls", bad))
    assert r.returncode != 0 and "NoSuchOption" in r.stderr, r.stdout + r.stderr
    assert run(remote.status_script("cls")).stdout.strip() == ""


def test_a_server_without_sshd_is_told_what_to_install(tmp_path):
    """sshd hidden (/dev/null, not executable, bound over it in a mount namespace of the test's
    own): the script stops before writing a pid file and says what to install."""
    sshd_path = sshd.sshd_binary()
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                        f"mount --bind /dev/null {sshd_path} && exec sh -s"],
                       input=remote.apply_script("cls", texts(tmp_path)), capture_output=True, text=True,
                       env=dict(os.environ, HOME=str(home)), timeout=30)
    assert r.returncode == 1 and r.stdout == "", r.stdout + r.stderr
    assert "sshd is not installed on this server: apt-get install openssh-server" in r.stderr, r.stderr
    assert not (home / ".k8s-lab" / "cls" / "gateway" / "sshd.pid").exists()
