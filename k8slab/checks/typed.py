"""Commands as a student types them: as root in a login shell (`su -`: /etc/profile, and
/etc/environment through PAM, as a student's root shell has), and read ahead, a node's lines in
one login shell (session, split_session)."""
from __future__ import annotations

import base64
import shlex

from ..remote import Result

STUDENT = "su - -c "


def as_student(command: str) -> str:
    """command as typed at root's prompt: a login shell's environment and PATH."""
    return STUDENT + shlex.quote(command)


# A student types the lines one after another at the prompt of one login shell. Read ahead, they
# run so: one `su -` for all of a node's lines (a login shell costs 1-2 s on an emulated node,
# each line a few tenths), each line in a subshell of its own, its exit code and both streams
# printed base64-encoded on one marked line (outputs hold any bytes, systemctl's bullets too).
SESSION_MARK = "@@k8slab-typed"


def session(commands: list) -> str:
    """One login shell running the lines of as_student(line) commands in order (see split_session)."""
    lines = [shlex.split(c[len(STUDENT):])[0] for c in commands]
    body = "".join(f"( {line}\n) >\"$d/o\" 2>\"$d/e\" </dev/null; rc=$?; printf '{SESSION_MARK} %s %s. %s.\\n' "
                   f"\"$rc\" \"$(base64 -w0 <\"$d/o\")\" \"$(base64 -w0 <\"$d/e\")\"\n" for line in lines)
    return as_student(f'd=$(mktemp -d) || exit 1\n{body}rm -rf "$d"')


def split_session(commands: list, result) -> dict:
    """command -> Result of each line session(commands) ran to its end (a line cut off, by a
    timeout or a dropped connection, is missing: it is asked on its own)."""
    marked = [line.split(" ")[1:] for line in result.stdout.splitlines() if line.startswith(SESSION_MARK + " ")]
    return {c: Result(c, int(rc), _unbase64(out), _unbase64(err), answered=True)
            for c, (rc, out, err) in zip(commands, marked)}


def _unbase64(field: str) -> str:
    return base64.b64decode(field[:-1]).decode("utf-8", "replace")
