"""The gateway: a real OpenSSH sshd of its own (never the server's), its files in the class
folder's gateway/ (0700): sshd_config, ssh_host_ed25519_key, authorized_keys, sshd.pid, sshd.log.

What a student's key may do is said twice, so that either alone holds:
- its authorized_keys line: `restrict` (no pty, no agent, X11 or remote forwarding, no rc),
  `port-forwarding` with one `permitopen` per VM of their copy, port 22 only, and a `command`
  that only says no (root's logins need one: PermitRootLogin forced-commands-only);
- sshd_config: public keys only, the one login account, no session channel for anyone
  (MaxSessions 0; ForceCommand behind it), local TCP forwarding only, and PermitOpen naming
  only the class's VMs' port 22.
sshd opens a forwarded channel only where both lists allow it.

Where systemd runs and k8s-lab runs as root, the gateway is a systemd unit (it comes back after
the server's reboot); elsewhere it is one sshd process, started again by `invoke up` or
`invoke gateway`.
"""
from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..errors import CommandError, LabError
from ..workdir import class_folder

# what a student sees when they try a shell or a command on the gateway itself; {home}: the
# node their handout sends them to (the lab's home_node())
REFUSAL = ("this is the k8s-lab gateway: it runs no shell or command for anyone; "
           "it only forwards your ssh to your own cluster (type: ssh {home})")
# what ssh prints when the gateway refuses a session (MaxSessions 0), the only answer it gets
NO_SESSION = "channel 0: open failed: connect failed: open failed"
MARK = "k8s-lab:"            # every line k8s-lab writes to an authorized_keys ends with it
UNIT_DIR = Path("/etc/systemd/system")


@dataclass(frozen=True)
class Files:
    folder: Path

    @property
    def config(self) -> Path:
        return self.folder / "sshd_config"

    @property
    def host_key(self) -> Path:
        return self.folder / "ssh_host_ed25519_key"

    @property
    def authorized_keys(self) -> Path:
        return self.folder / "authorized_keys"

    @property
    def pid(self) -> Path:
        return self.folder / "sshd.pid"

    @property
    def log(self) -> Path:
        return self.folder / "sshd.log"


def files(lab) -> Files:
    """The gateway's files of lab's class, in the class folder's gateway/ (made, 0700)."""
    folder = class_folder(lab) / "gateway"
    folder.mkdir(exist_ok=True)
    folder.chmod(0o700)
    return Files(folder)


def refusal(home: str) -> str:
    """REFUSAL, naming the node home (lab.home_node().name) as the one to ssh to."""
    return REFUSAL.format(home=home)


def forced_command(home: str) -> str:
    return f"echo {shlex.quote(refusal(home))} >&2; exit 1"


def authorized_line(key_line: str, student: str, targets, home: str) -> str:
    """One student's line: their key may forward to targets ("ip:22") and nothing else; home:
    the node the refusal tells them to ssh to."""
    permits = ",".join(f'permitopen="{t}"' for t in targets)
    command = forced_command(home).replace('"', '\\"')
    opts = f'restrict,port-forwarding,{permits},command="{command}"' if permits else \
        f'restrict,command="{command}"'   # a copy with no VMs: the key opens nothing at all
    return f"{opts} {key_line} {MARK}student:{student}\n"


def config_text(files: Files, port: int, listen: str, user: str, targets, home: str) -> str:
    """sshd_config for the gateway; targets: every "ip:22" any student may reach; home: the
    node the refusal tells them to ssh to."""
    permit = " ".join(sorted(targets)) or "none"
    return f"""\
# The k8s-lab student gateway: written by k8s-lab, do not edit (run `invoke gateway`).
# Its own sshd, apart from the server's own: own port, host key, keys file and pid file.
Port {port}
ListenAddress {listen}
HostKey {files.host_key}
PidFile {files.pid}
AuthorizedKeysFile {files.authorized_keys}
# sshd's own check refuses any path through a world-writable folder, sticky /tmp included;
# k8s-lab checks the same but for sticky folders (unsafe_parent) before it starts the gateway
StrictModes no
AuthorizedPrincipalsFile none
AuthorizedKeysCommand none
AllowUsers {user}
# public keys only: no password, no keyboard-interactive, no host-based, no PAM
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
PermitEmptyPasswords no
UsePAM no
# root (where the tool runs as root) only with a key that carries a command
PermitRootLogin forced-commands-only
PermitUserEnvironment no
PermitUserRC no
# no shell and no command for anyone: no session channel at all (forwarding only), so no
# process ever starts on the server for a student; were one let through, it would only say no
MaxSessions 0
ForceCommand {forced_command(home)}
PermitTTY no
X11Forwarding no
AllowAgentForwarding no
AllowStreamLocalForwarding no
PermitTunnel no
GatewayPorts no
# `ssh -J`: TCP channels from here, to the class's VMs' port 22 only (each key: its own copy's)
AllowTcpForwarding local
PermitOpen {permit}
MaxAuthTries 3
LoginGraceTime 30
ClientAliveInterval 30
LogLevel VERBOSE
"""


def unit_name(lab_name: str) -> str:
    return f"k8s-lab-gateway-{lab_name}.service"


def unit_text(lab_name: str, sshd: str, files: Files) -> str:
    return f"""\
# The k8s-lab student gateway of class {lab_name}: written by k8s-lab (`invoke gateway`).
[Unit]
Description=k8s-lab student gateway ({lab_name})
After=network.target

[Service]
ExecStartPre={sshd} -t -f {files.config}
ExecStart={sshd} -D -f {files.config} -E {files.log}
ExecReload={sshd} -t -f {files.config}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RuntimeDirectory=sshd
RuntimeDirectoryPreserve=yes

[Install]
WantedBy=multi-user.target
"""


def unsafe_parent(path: Path, uid: Optional[int] = None) -> Optional[str]:
    """Why someone else could replace the gateway's keys file under path, or None: as sshd's
    StrictModes, every folder from path up to / belongs to root or uid and is writable by
    nobody else, except a sticky one (like /tmp: others cannot rename what is ours there)."""
    uid = os.geteuid() if uid is None else uid
    p = Path(path).resolve()
    for folder in (p, *p.parents):
        st = folder.stat()
        if st.st_uid not in (0, uid):
            return f"{folder} belongs to uid {st.st_uid}, not to root or you"
        if st.st_mode & 0o022 and not st.st_mode & 0o1000:
            return f"{folder} is writable by others (mode {st.st_mode & 0o7777:o})"
    return None


def sshd_binary() -> Optional[str]:
    """sshd's absolute path (sshd re-executes itself, so it must be started by one)."""
    return shutil.which("sshd", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))


def uses_systemd() -> bool:
    return os.geteuid() == 0 and Path("/run/systemd/system").is_dir() and bool(shutil.which("systemctl"))


def _run(argv, what: str) -> subprocess.CompletedProcess:
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        raise CommandError(what, " ".join(argv), r.returncode,
                           (r.stdout + r.stderr).strip().splitlines()[-8:])
    return r


def running_pid(files: Files) -> Optional[int]:
    """The gateway's sshd pid, when the pid file names a live sshd started with this config."""
    try:
        pid = int(files.pid.read_text().split()[0])
        # sshd retitles itself: "sshd: /usr/sbin/sshd -f CONFIG -E LOG [listener] ..."
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, ValueError, IndexError):
        return None
    return pid if f" {files.config} " in f" {cmdline} " else None


def check(sshd: str, files: Files) -> None:
    """`sshd -t`: the config and host key as sshd itself reads them."""
    _run([sshd, "-t", "-f", str(files.config)], "gateway config check (sshd -t)")


def start(lab_name: str, files: Files) -> str:
    """Start the gateway (a unit where systemd runs, else a process); how it runs, in words."""
    sshd = sshd_binary()
    if not sshd:
        raise LabError("the student gateway needs OpenSSH's sshd: apt-get install openssh-server "
                       "(k8s-lab runs its own sshd; the server's own is not touched)")
    unsafe = unsafe_parent(files.folder)
    if unsafe:
        raise LabError(f"the gateway's keys file {files.authorized_keys} could be replaced by "
                       f"someone else: {unsafe}. Keep the lab file in a folder only you can write.")
    if os.geteuid() == 0:
        # sshd's privilege separation directory; Debian's own unit makes it the same way
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    check(sshd, files)
    if uses_systemd():
        unit = UNIT_DIR / unit_name(lab_name)
        text = unit_text(lab_name, sshd, files)
        if not unit.exists() or unit.read_text() != text:
            unit.write_text(text)
            _run(["systemctl", "daemon-reload"], "systemctl daemon-reload")
        _run(["systemctl", "enable", "--now", unit.name], f"systemctl enable --now {unit.name}")
        _wait_for_pid(files)
        return f"systemd unit {unit.name} (enabled: back after a reboot)"
    _run([sshd, "-f", str(files.config), "-E", str(files.log)], "gateway start (sshd)")
    _wait_for_pid(files)
    return "a process (no systemd here: after a reboot of the server, `invoke up` or " \
           "`invoke gateway` starts it again)"


def _wait_for_pid(files: Files, seconds: float = 10.0) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pid = running_pid(files)
        if pid:
            return pid
        time.sleep(0.05)
    tail = files.log.read_text(errors="replace").splitlines()[-8:] if files.log.exists() else []
    raise CommandError("gateway start", f"sshd -f {files.config}", 1,
                       tail or ["sshd wrote no pid file"], files.log)


def reload(files: Files) -> None:
    """sshd re-reads its config on SIGHUP (authorized_keys it reads at every login anyway)."""
    pid = running_pid(files)
    if pid:
        check(sshd_binary(), files)
        os.kill(pid, signal.SIGHUP)
        time.sleep(0.2)   # it re-executes itself and writes its pid file again
        _wait_for_pid(files)


def stop(lab_name: str, files: Files) -> bool:
    """Stop the gateway (and remove its unit); False when it was not running."""
    was = False
    unit = UNIT_DIR / unit_name(lab_name)
    if unit.exists() and shutil.which("systemctl"):
        subprocess.run(["systemctl", "disable", "--now", unit.name], capture_output=True)
        unit.unlink()
        subprocess.run(["systemctl", "daemon-reload"], capture_output=True)
        was = True
    pid = running_pid(files)
    if pid:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and running_pid(files) == pid:
            time.sleep(0.05)
        if running_pid(files) == pid:
            os.kill(pid, signal.SIGKILL)
        was = True
    files.pid.unlink(missing_ok=True)
    return was
