"""A second lab server on this machine: a network namespace of its own (k8slabs), joined to the
test session's namespace (k8slabt, where the tool runs) by one veth pair and nothing else, with
its own libvirtd, virtlogd and OpenSSH sshd. The tool reaches it only as a remote libvirt:
qemu+ssh://root@172.30.98.2/system, as it would reach another machine.

Its daemons run in a mount namespace of their own, where folders under DIR are bind-mounted over
/run/libvirt, /var/lib/libvirt, /etc/libvirt, /var/log/libvirt and /var/cache/libvirt: without
that the two libvirtds would share sockets, pid files, definitions and the pool's folder. The
daemons keep that mount namespace alive, and the sessions sshd starts inherit it, so libvirt's
virt-ssh-helper, run by sshd for a qemu+ssh connection, reaches server 2's own libvirtd.

The tool's side needs a ~/.ssh holding the key sshd accepts and server 2's host key (ssh, and
vagrant-libvirt's `ssh -W` proxy, read ~ from the password database, not $HOME): the tool's
commands run in a mount namespace where DIR/controller-ssh is bind-mounted over root's ~/.ssh
(controller_argv). Root's own ~/.ssh is never written; when it does not exist, an empty one is
made to mount over, recorded, and removed at the end.
"""
from __future__ import annotations

import json
import os
import pwd
import shlex
import shutil
import subprocess
import time
from pathlib import Path

from . import netns

NS = "k8slabs"
CONTROLLER_IP, SERVER_IP = "172.30.98.1", "172.30.98.2"   # the veth pair's /30, inside namespaces only
DIR = Path("/var/lib/k8slab-test/server2")   # root-owned all the way up: sshd's StrictModes accepts it
STATE = DIR.parent / "server2.json"
DAEMONS = ("virtlogd", "libvirtd", "sshd")
MOUNTS = {"run": "/run/libvirt", "lib": "/var/lib/libvirt", "etc": "/etc/libvirt",
          "log": "/var/log/libvirt", "cache": "/var/cache/libvirt"}
USER = "root"


def uri() -> str:
    """How the lab file names server 2 (what vagrant-libvirt and virsh are given)."""
    return f"qemu+ssh://{USER}@{SERVER_IP}/system?no_tty=1"


def _home_ssh() -> Path:
    return Path(pwd.getpwuid(os.geteuid()).pw_dir) / ".ssh"


def _pid(name: str):
    try:
        return int((DIR / f"{name}.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _keygen(path: Path, comment: str) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                   check=True)
    return path.with_suffix(".pub").read_text().strip()


def _layout() -> None:
    """DIR: the bind-mount sources (config files of /etc/libvirt only: no domain, network or pool
    definitions of the first server), keys, sshd's config, the start script."""
    for sub in MOUNTS:
        (DIR / sub).mkdir(parents=True)
    for f in Path("/etc/libvirt").iterdir():
        if f.is_file():
            shutil.copy2(f, DIR / "etc" / f.name)
    if Path("/etc/libvirt/nwfilter").is_dir():
        shutil.copytree("/etc/libvirt/nwfilter", DIR / "etc" / "nwfilter")
    host_pub = _keygen(DIR / "ssh_host_ed25519_key", "k8s-lab test server 2")
    ssh = DIR / "controller-ssh"
    ssh.mkdir(mode=0o700)
    client_pub = _keygen(ssh / "id_ed25519", "k8s-lab test controller")
    (ssh / "known_hosts").write_text(f"{SERVER_IP} {' '.join(host_pub.split()[:2])}\n")
    (DIR / "authorized_keys").write_text(client_pub + "\n")
    (DIR / "sshd_config").write_text(f"""\
ListenAddress {SERVER_IP}
HostKey {DIR}/ssh_host_ed25519_key
PidFile {DIR}/sshd.pid
AuthorizedKeysFile {DIR}/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
""")
    mounts = "".join(f"mount --bind {DIR / src} {dst}\n" for src, dst in MOUNTS.items())
    (DIR / "start.sh").write_text(f"""\
set -e
{mounts}virtlogd -d -p {DIR}/virtlogd.pid
libvirtd -d -p {DIR}/libvirtd.pid
mkdir -p /run/sshd
/usr/sbin/sshd -f {DIR}/sshd_config
""")


def start(controller_ns: str = netns.NS, log=print) -> None:
    """Server 2 up, linked to controller_ns; waits until its daemons run."""
    remove(log=log)
    _layout()
    if not _home_ssh().exists():
        _home_ssh().mkdir(mode=0o700)
        STATE.write_text(json.dumps({"made_home_ssh": str(_home_ssh())}))
    netns.create(NS)
    subprocess.run(["ip", "link", "add", "k8sl-s2b", "netns", NS, "type", "veth",
                    "peer", "name", "k8sl-s2a", "netns", controller_ns], check=True)
    for space, dev, ip in ((NS, "k8sl-s2b", SERVER_IP), (controller_ns, "k8sl-s2a", CONTROLLER_IP)):
        netns.run(["ip", "addr", "add", f"{ip}/30", "dev", dev], space, check=True)
        netns.run(["ip", "link", "set", dev, "up"], space, check=True)
    netns.run(["unshare", "--mount", "--propagation", "private", "sh", DIR / "start.sh"], NS, check=True)
    deadline = time.monotonic() + 60
    while not all(_pid(d) and netns.holds(_pid(d), NS) for d in DAEMONS):
        if time.monotonic() > deadline:
            raise RuntimeError("server 2's daemons did not all start: "
                               + ", ".join(f"{d} {_pid(d)}" for d in DAEMONS))
        time.sleep(0.2)
    log(f"harness: server 2 in namespace {NS} ({SERVER_IP}): "
        + ", ".join(f"{d} pid {_pid(d)}" for d in DAEMONS))


def controller_argv(argv) -> list[str]:
    """argv as the tool runs it beside server 2: inside a mount namespace where root's ~/.ssh is
    the harness's (the key server 2 accepts, its host key). To run inside the session's namespace."""
    inner = f"mount --bind {shlex.quote(str(DIR / 'controller-ssh'))} {shlex.quote(str(_home_ssh()))} " \
            '&& exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "bash", "-c", inner, "-", *map(str, argv)]


def virsh(*args, timeout=60) -> subprocess.CompletedProcess:
    """virsh on server 2 itself (inside its namespaces): what is there, whatever the tool says."""
    pid = _pid("libvirtd")
    return subprocess.run(["nsenter", "-t", str(pid), "-m", "-n", "virsh", "-c", "qemu:///system", *args],
                          capture_output=True, text=True, timeout=timeout)


def stop_sshd() -> None:
    """Server 2 stops answering SSH (its libvirtd and VMs run on)."""
    netns.stop([_pid("sshd")], NS)


def start_sshd() -> None:
    """sshd again, in server 2's namespaces (where its libvirtd runs)."""
    subprocess.run(["nsenter", "-t", str(_pid("libvirtd")), "-m", "-n",
                    "/usr/sbin/sshd", "-f", str(DIR / "sshd_config")], check=True)


def remove(log=print) -> None:
    """Everything of server 2: its processes (daemons, and any QEMU left), the namespace (its veth
    end and the controller's go with it), DIR (its disks, definitions and box volume), and root's
    ~/.ssh if the harness made it."""
    if netns.exists(NS):
        netns.delete(NS, log=log)
    if DIR.exists():
        shutil.rmtree(DIR)
    try:
        made = json.loads(STATE.read_text()).get("made_home_ssh")
    except (OSError, ValueError):
        made = None
    if made and Path(made).is_dir() and not any(Path(made).iterdir()):
        Path(made).rmdir()
    STATE.unlink(missing_ok=True)
