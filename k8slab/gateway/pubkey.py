"""An OpenSSH public key line ("ssh-ed25519 AAAA... alice@laptop"), read the way sshd reads
authorized_keys: the type, the base64 blob whose first field repeats the type, the key itself
(parsed by paramiko, so a truncated or altered key is caught), an optional comment."""
from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

import paramiko

# what OpenSSH 7.7+ (Windows 10's) and 9.x accept; sk- keys live on a security token
TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
         "ssh-rsa", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")
MIN_RSA_BITS = 2048   # OpenSSH 9.x refuses < 1024; NIST and OpenSSH's own default: 2048+


@dataclass(frozen=True)
class PublicKey:
    type: str
    blob: bytes
    comment: str = ""

    @property
    def line(self) -> str:
        """type and base64, without the comment (authorized_keys adds its own)."""
        return f"{self.type} {base64.b64encode(self.blob).decode()}"

    @property
    def fingerprint(self) -> str:
        """As `ssh-keygen -l` prints it: SHA256:<base64 without padding>."""
        return "SHA256:" + base64.b64encode(hashlib.sha256(self.blob).digest()).decode().rstrip("=")


def _first_string(blob: bytes) -> str:
    if len(blob) < 4:
        raise ValueError("the key data is too short to be a key")
    (n,) = struct.unpack(">I", blob[:4])
    if n > len(blob) - 4:
        raise ValueError("the key data is cut short")
    return blob[4:4 + n].decode("ascii", "replace")


def parse(text: str) -> PublicKey:
    """The key in text, or ValueError saying what is wrong with it in words a student's
    instructor can act on."""
    if not isinstance(text, str):
        raise ValueError("expected the one line of the student's .pub file (a string)")
    line = text.strip()
    if "PRIVATE KEY" in line:
        raise ValueError("this is a PRIVATE key: never hand it out; give the line of the "
                         "matching .pub file (e.g. ~/.ssh/id_ed25519.pub)")
    if "\n" in line:
        raise ValueError("holds more than one line; give the one line of the .pub file")
    parts = line.split(None, 2)
    if len(parts) < 2:
        raise ValueError("expected 'TYPE KEY [comment]' as in a .pub file, like "
                         "'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... alice@laptop'")
    kind, data = parts[0], parts[1]
    if kind not in TYPES:
        if any(t in line for t in TYPES):
            raise ValueError("starts with options or text before the key type; give the .pub "
                             "file's line as it is (k8s-lab sets the options itself)")
        raise ValueError(f"{kind[:40]!r} is not an SSH public key type; expected one of "
                         + ", ".join(TYPES))
    try:
        blob = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the key data (the second field) is not base64: cut or altered when "
                         "copied?") from None
    inner = _first_string(blob)
    if inner not in TYPES:
        raise ValueError(f"the {kind} key data is damaged: cut or altered when copied?")
    if inner != kind:
        raise ValueError(f"says {kind} but its data is a {inner!r} key: the line was put "
                         "together from two keys?")
    if not kind.startswith("sk-"):   # paramiko does not read security-token keys
        try:
            key = paramiko.PKey.from_type_string(kind, blob)
            whole = key.asbytes() == blob   # paramiko reads a cut ed25519 key without a word
        except Exception:   # paramiko raises several types for a damaged blob
            whole = False
        if not whole:
            raise ValueError(f"the {kind} key data is damaged: cut or altered when copied?")
        if kind == "ssh-rsa" and key.get_bits() < MIN_RSA_BITS:
            raise ValueError(f"an RSA key of {key.get_bits()} bits is too weak; make a new one "
                             "with `ssh-keygen -t ed25519`")
    return PublicKey(kind, blob, parts[2].strip() if len(parts) > 2 else "")
