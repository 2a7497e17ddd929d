"""Commands as a student types them: as root in a login shell (`su -`: /etc/profile, and
/etc/environment through PAM, as a student's root shell has), and read ahead, a node's lines in
one login shell (session, split_session). TYPED is such a line as a fact."""
from __future__ import annotations

import base64
import shlex

from ..facts.fact import Fact
from ..remote import Result


def as_student(line: str) -> str:
    """line as typed at root's prompt: a login shell's environment and PATH."""
    return "su - -c " + shlex.quote(line)


# TYPED(line): what the line prints typed at root's prompt, as its Result (the judge reads it)
TYPED = Fact("typed", as_student, lambda result, line: result)


# A student types the lines one after another at the prompt of one login shell. Read ahead, they
# run so: one `su -` for all of a node's lines (a login shell costs 1-2 s on an emulated node,
# each line a few tenths), each line in a subshell of its own, its exit code and both streams
# printed base64-encoded on one marked line (outputs hold any bytes, systemctl's bullets too).
SESSION_MARK = "@@k8slab-typed"


def session(lines: list) -> str:
    """One login shell running the lines in order (see split_session)."""
    body = "".join(f"( {line}\n) >\"$d/o\" 2>\"$d/e\" </dev/null; rc=$?; printf '{SESSION_MARK} %s %s. %s.\\n' "
                   f"\"$rc\" \"$(base64 -w0 <\"$d/o\")\" \"$(base64 -w0 <\"$d/e\")\"\n" for line in lines)
    return as_student(f'd=$(mktemp -d) || exit 1\n{body}rm -rf "$d"')


def split_session(lines: list, result) -> dict:
    """as_student(line) -> Result of each line session(lines) ran to its end (a line cut off,
    by a timeout or a dropped connection, is missing: it is asked on its own)."""
    marked = [out.split(" ")[1:] for out in result.stdout.splitlines() if out.startswith(SESSION_MARK + " ")]
    return {as_student(line): Result(as_student(line), int(rc), _unbase64(o), _unbase64(e), answered=True)
            for line, (rc, o, e) in zip(lines, marked)}


def _unbase64(field: str) -> str:
    return base64.b64decode(field[:-1]).decode("utf-8", "replace")
