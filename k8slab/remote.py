"""One node seen through its one Fabric connection: run commands, read and write files.

Every command and its output go to the node's log (logs/<node>.log in the lab folder).
Commands run as root through passwordless sudo, as Vagrant boxes allow.
"""
from __future__ import annotations

import base64
import shlex
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import CommandError

TAIL = 12
MISSING = 3  # exit code meaning "no such file" for read()


@dataclass
class Result:
    command: str
    exited: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exited == 0

    @property
    def output(self) -> str:
        return (self.stdout + self.stderr).strip()


class Host:
    def __init__(self, node, conn, log_path: Path, become: bool = True):
        self.node = node
        self.become = become  # run as root through sudo (the VMs' vagrant user may)
        self.name = node.name
        self.conn = conn
        self.log_path = Path(log_path)
        self.step = None  # set by the runner, named in errors
        self._lock = threading.Lock()

    def _log(self, text: str) -> None:
        with self._lock, open(self.log_path, "a") as fh:
            fh.write(text)

    def run(self, command: str, check: bool = True, stdin: str | None = None,
            timeout: int = 600) -> Result:
        """Run a shell command; with check, a non-zero exit raises CommandError with the evidence."""
        remote = command
        if stdin is not None:
            # Piping through base64 keeps stdin in the one command: no extra round trip, no EOF games.
            data = base64.b64encode(stdin.encode()).decode()
            # Braces: the whole command (a list like `a && b`) reads the decoded stdin.
            remote = f"echo {data} | base64 -d | {{ {command}\n}}"
        if self.become:
            remote = f"sudo -n bash -c {shlex.quote(remote)}"
        start = time.monotonic()
        r = self.conn.run(remote, warn=True, hide=True, pty=False, timeout=timeout, in_stream=False)
        result = Result(command, r.exited, r.stdout, r.stderr)
        self._log(f"\n[{time.strftime('%H:%M:%S')}] {self.step or '-'} $ {command}\n"
                  f"{result.output}\n-> exit {r.exited} ({time.monotonic() - start:.2f}s)\n")
        if check and not result.ok:
            raise self.error(command, result)
        return result

    def error(self, command: str, result: Result) -> CommandError:
        tail = result.output.splitlines()[-TAIL:]
        return CommandError("command", command, result.exited, tail, self.log_path,
                            node=self.name, step=self.step)

    def read(self, path: str) -> str | None:
        """The file's text, or None if it does not exist."""
        q = shlex.quote(path)
        r = self.run(f"if [ -e {q} ]; then cat {q}; else exit {MISSING}; fi", check=False)
        if r.exited == MISSING:
            return None
        if not r.ok:
            raise self.error(f"cat {path}", r)
        return r.stdout

    def write(self, path: str, text: str, mode: str = "0644") -> None:
        """Replace a file atomically (temp file + rename), keeping its mode when it exists."""
        q, tmp = shlex.quote(path), shlex.quote(path + ".k8s-lab.tmp")
        self.run(f"mkdir -p $(dirname {q}) && cat > {tmp} && "
                 f"(chmod --reference={q} {tmp} 2>/dev/null || chmod {mode} {tmp}) && mv {tmp} {q}",
                 stdin=text)
