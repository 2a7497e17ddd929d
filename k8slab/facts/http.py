"""An HTTP GET from a node with bash alone (no curl on minimal boxes), and its answer parsed.

Provisioning reads etcd's v2 keys this way, verify etcd's /version and the apiserver's /healthz:
one command form, one parser.
"""
from __future__ import annotations

import shlex
from typing import NamedTuple

from .fact import Fact


def get(ip, port, path) -> str:
    """A plain HTTP/1.0 GET, 5 s at most; prints the raw answer, headers and all."""
    inner = (f"exec 3<>/dev/tcp/{ip}/{port} && "
             f"printf 'GET {path} HTTP/1.0\\r\\nHost: {ip}\\r\\n\\r\\n' >&3 && cat <&3")
    return f"timeout 5 bash -c {shlex.quote(inner)}"


class Answer(NamedTuple):
    status: int     # 0: no HTTP answer (refused, timed out, not HTTP)
    body: str


def parse(result) -> Answer:
    """get()'s Result as (status, body); no answer is status 0, never an exception."""
    head, _, body = result.stdout.replace("\r\n", "\n").partition("\n\n")
    words = head.split(" ", 2)
    if not (result.ok and head.startswith("HTTP/") and len(words) > 1 and words[1].isdigit()):
        return Answer(0, "")
    return Answer(int(words[1]), body)


# HTTP(ip, port, path): the Answer
HTTP = Fact("http", get, lambda result, ip, port, path: parse(result))
