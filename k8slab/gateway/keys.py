"""The key pairs k8s-lab makes, with OpenSSH's own ssh-keygen (ed25519, no passphrase: the
private key is handed to one student in their bundle, or stays on one copy's VMs):
- a student's key, when the roster gives none: students/<name>/id_ed25519 in the class folder;
- a copy's root key, so root on one node reaches the copy's other nodes as the tutorial's
  chapter 4 does (`scp /etc/sysconfig/flanneld 192.168.0.17:...`): access/root_ed25519 in the
  copy's folder;
- the gateway's host key: gateway/ssh_host_ed25519_key in the class folder.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

from ..errors import CommandError
from . import pubkey

KEY = "id_ed25519"


def ensure_pair(path: Path, comment: str) -> pubkey.PublicKey:
    """The pair at path (private) and path.pub, made when missing; its public key."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    if not (path.exists() and path.with_suffix(".pub").exists()):
        path.unlink(missing_ok=True)
        path.with_suffix(".pub").unlink(missing_ok=True)
        argv = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)]
        try:
            r = subprocess.run(argv, capture_output=True, text=True)
        except FileNotFoundError:
            raise CommandError("ssh-keygen", " ".join(argv), 127,
                               ["ssh-keygen not found: install openssh-client"]) from None
        if r.returncode != 0:
            raise CommandError("ssh-keygen", " ".join(argv), r.returncode,
                               (r.stdout + r.stderr).strip().splitlines()[-5:])
    return pubkey.parse(path.with_suffix(".pub").read_text())


def remove_pair(path: Path) -> None:
    Path(path).unlink(missing_ok=True)
    Path(path).with_suffix(".pub").unlink(missing_ok=True)


def student_key_path(class_folder: Path, name: str) -> Path:
    return Path(class_folder) / "students" / name / KEY


def copy_root_key_path(copy_folder: Path) -> Path:
    return Path(copy_folder) / "access" / "root_ed25519"
