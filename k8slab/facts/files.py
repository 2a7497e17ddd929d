"""A file's text on a node: one command (bash builtins only) and its parser."""
from __future__ import annotations

import shlex

from .fact import Fact
from .text import excerpt

MISSING = 3  # the exit code of read_command meaning "no such file"


def read_command(path: str) -> str:
    """A file's text, byte for byte, or exit MISSING when there is no such file. Bash builtins
    only (no `cat` to start: ~0.1-0.5 s on a busy emulated node). A file that cannot be opened
    and anything but a regular file are errors (bash goes on after a failed `exec` redirection
    unless told to stop)."""
    q = shlex.quote(path)
    return (f"if [ -f {q} ]; then exec 3<{q} || exit 1; IFS= read -r -d '' t <&3; printf '%s' \"$t\"; "
            f"elif [ -e {q} ]; then echo {q}: not a regular file >&2; exit 1; else exit {MISSING}; fi")


def _parse(result, path):
    if result.exited == MISSING:
        return None
    if not result.ok:
        raise ValueError(f"reading {path}: exit {result.exited}: {excerpt(result.output)}")
    return result.stdout


# FILE(path): the file's text, None when there is no such file
FILE = Fact("file", read_command, _parse)
