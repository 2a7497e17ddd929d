"""lab.yaml's value types: each validator raises ValueError with the message the instructor reads."""
from __future__ import annotations

import ipaddress
import re
from ipaddress import IPv4Address, IPv4Network
from typing import Annotated, Any

from pydantic import AfterValidator, PlainValidator

from .problems import describe, suggest

HOSTNAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
LAB_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
URL_RE = re.compile(r"^https?://[^\s/?#]+(/[^\s]*)?$")
# a student's name names files and folders (their key, their handout) on every system
STUDENT_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
# a server's name is a column of status and a key of class.json: short, and safe in both
SERVER_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
# an address or DNS name students type to reach the lab server
ADDRESS_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                        r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def _lab_name(v: str) -> str:
    if not LAB_NAME_RE.match(v):
        raise ValueError(f"{v!r} is not a valid lab name: use lowercase letters, digits and '-', "
                         "start with a letter, at most 40 characters")
    return v


def _hostname(v: str) -> str:
    if not HOSTNAME_RE.match(v):
        raise ValueError(f"{v!r} is not a valid host name (RFC 1123 label): lowercase letters, "
                         "digits and '-', starting and ending with a letter or digit, "
                         "at most 63 characters")
    return v


def _ipv4(v: Any) -> IPv4Address:
    if isinstance(v, IPv4Address):
        return v
    if not isinstance(v, str):
        raise ValueError(f"expected an IPv4 address like 192.168.0.15, got {describe(v)}")
    if not v.strip():
        raise ValueError("is empty; expected an IPv4 address like 192.168.0.15")
    try:
        return IPv4Address(v)
    except ValueError:
        raise ValueError(f"{v} is not an IPv4 address") from None


def _network(v: Any) -> IPv4Network:
    if isinstance(v, IPv4Network):
        return v
    if not isinstance(v, str):
        raise ValueError(f"expected an IPv4 network like 10.254.0.0/16, got {describe(v)}")
    if not v.strip():
        raise ValueError("is empty; expected an IPv4 network like 10.254.0.0/16")
    if "/" not in v:
        try:
            ipaddress.IPv4Address(v)
        except ValueError:
            raise ValueError(f"{v} is not an IPv4 network like 10.254.0.0/16") from None
        raise ValueError(f"{v} has no prefix length; write it as a network like 10.254.0.0/16")
    try:
        return IPv4Network(v)
    except ValueError:
        pass
    try:
        net = IPv4Network(v, strict=False)
    except ValueError:
        raise ValueError(f"{v} is not an IPv4 network like 10.254.0.0/16") from None
    raise ValueError(f"{v} has host bits set; the network is {net}")


def _url(v: str) -> str:
    if not URL_RE.match(v):
        raise ValueError(f"{v!r} is not an http:// or https:// URL")
    return v


def _student(v: str) -> str:
    if not STUDENT_RE.match(v):
        raise ValueError(f"{v!r} is not a valid student name: lowercase letters, digits, '.', "
                         "'_' and '-', starting with a letter or digit, at most 32 characters "
                         "(it names the student's key and handout files)")
    return v


def _address(v: str) -> str:
    if not ADDRESS_RE.match(v):
        raise ValueError(f"{v!r} is not a host name or IPv4 address students can type "
                         "(like lab1.school.example or 203.0.113.7)")
    return v


def _server_name(v: str) -> str:
    if not SERVER_NAME_RE.match(v):
        raise ValueError(f"{v!r} is not a valid server name: lowercase letters, digits and '-', "
                         "starting with a letter, at most 20 characters (it names the server in "
                         "status and in .lab/<name>/class.json)")
    return v


def _server_host(v: str) -> str:
    """local, or what ssh reaches; a user or port written into it is the usual slip."""
    if v == "local" or ADDRESS_RE.match(v):
        return v
    hint = ""
    if "@" in v:
        hint = "; the user goes under user:"
    elif ":" in v:
        hint = "; the port goes under port:"
    raise ValueError(f"{v!r} is not a host name or IPv4 address; write local, or the name ssh "
                     f"reaches (e.g. lab2.school.example){hint}")


def _not_negative(v: int) -> int:
    if v < 0:
        raise ValueError(f"{v} must be 0 or more")
    return v


def _user(v: str) -> str:
    if not USER_RE.match(v):
        raise ValueError(f"{v!r} is not a user name of the lab server (lowercase letters, "
                         "digits, '_' and '-', at most 32 characters)")
    return v




def _no_space(v: str) -> str:
    if not v:
        raise ValueError("must not be empty")
    if any(c.isspace() for c in v):
        raise ValueError(f"{v!r} must be one word, without spaces")
    return v


CHECKSUM_RE = re.compile(r"^(?P<type>md5|sha1|sha256|sha384|sha512):(?P<hex>[0-9a-f]+)$")
CHECKSUM_HEX = {"md5": 32, "sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128}


def _box_url(v: str) -> str:
    _no_space(v)
    if "://" in v and not re.match(r"^(https?|file)://\S+$", v):
        raise ValueError(f"{v!r} is neither a path to a .box file nor an http(s):// or file:// URL")
    return v


def _checksum(v: str) -> str:
    m = CHECKSUM_RE.match(v)
    if not m:
        raise ValueError(f"{v!r} is not TYPE:HEX (like sha256:1f2e...; `sha256sum FILE.box` "
                         "prints the hex); types: " + ", ".join(CHECKSUM_HEX))
    if len(m.group("hex")) != CHECKSUM_HEX[m.group("type")]:
        raise ValueError(f"a {m.group('type')} checksum has {CHECKSUM_HEX[m.group('type')]} hex "
                         f"digits, this one {len(m.group('hex'))}")
    return v


LabName = Annotated[str, AfterValidator(_lab_name)]
BoxUrl = Annotated[str, AfterValidator(_box_url)]
Checksum = Annotated[str, AfterValidator(_checksum)]
HostName = Annotated[str, AfterValidator(_hostname)]
IPv4 = Annotated[IPv4Address, PlainValidator(_ipv4)]
Network = Annotated[IPv4Network, PlainValidator(_network)]
Url = Annotated[str, AfterValidator(_url)]
Word = Annotated[str, AfterValidator(_no_space)]
StudentName = Annotated[str, AfterValidator(_student)]
Address = Annotated[str, AfterValidator(_address)]
UserName = Annotated[str, AfterValidator(_user)]
ServerName = Annotated[str, AfterValidator(_server_name)]
ServerHost = Annotated[str, AfterValidator(_server_host)]
NotNegative = Annotated[int, AfterValidator(_not_negative)]


def role(roles: tuple):
    """The type of a node's role: one of roles (a tutorial's node class declares its roles)."""
    def check(v: str) -> str:
        if v not in roles:
            raise ValueError(f"unknown role {v!r}; roles are {', '.join(roles)}{suggest(v, roles)}")
        return v
    return Annotated[str, AfterValidator(check)]
