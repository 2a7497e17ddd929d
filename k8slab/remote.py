"""One node seen through its one Fabric connection: run commands, read and write files.

Every command and its output go to the node's log (logs/<node>.log in the lab folder).
Commands run as root in the node's one shell (shell.py), started through passwordless sudo,
as Vagrant boxes allow.
"""
from __future__ import annotations

import base64
import shlex
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import TAIL, CommandError
from .facts.files import FILE, read_command
from .shell import Shell
from .workdir import ensure_workdir



@dataclass
class Result:
    command: str
    exited: int
    stdout: str
    stderr: str
    answered: bool = True   # False: the node's shell ended, or time ran out, before its end

    @property
    def ok(self) -> bool:
        return self.exited == 0

    @property
    def output(self) -> str:
        return (self.stdout + self.stderr).strip()


def shown(command: str) -> str:
    """A command as the node's log shows it: a script sent inline (a shell provisioner's check,
    whose first line names it) by its first line, not its whole text."""
    first, _, rest = command.partition("\n")
    return f"{first} (+{rest.count(chr(10)) + 1} lines)" if rest else command


class Host:
    def __init__(self, node, conn, log_path: Path, become: bool = True):
        self.node = node
        self.name = node.name
        self.conn = conn
        # every command goes to one shell kept open on the node, as root through sudo with
        # become (the VMs' vagrant user may): one SSH session and one sudo per run, not per command
        self.shell = Shell.of(conn, become)
        self.log_path = Path(log_path)
        self.step = None  # set by the runner, named in errors
        self._lock = threading.Lock()

    def _log(self, text: str) -> None:
        with self._lock, open(self.log_path, "a") as fh:
            fh.write(text)

    def _log_start(self, starts: int) -> None:
        if self.shell.starts != starts:
            self._log(f"\n[{time.strftime('%H:%M:%S')}] shell started on the node ("
                      f"{'as root, ' if self.shell.become else ''}start {self.shell.starts} of this run)\n")

    def run(self, command: str, check: bool = True, stdin: str | bytes | None = None,
            timeout: int = 600, log: bool = True) -> Result:
        """Run a shell command; with check, a non-zero exit raises CommandError with the evidence."""
        remote = command
        if stdin is not None:
            # Piping through base64 keeps stdin in the one command: no extra round trip, no EOF games.
            data = base64.b64encode(stdin if isinstance(stdin, bytes) else stdin.encode()).decode()
            # Braces: the whole command (a list like `a && b`) reads the decoded stdin.
            remote = f"echo {data} | base64 -d | {{ {command}\n}}"
        start, starts = time.monotonic(), self.shell.starts
        result = Result(command, *self.shell.run(remote, timeout))
        self._log_start(starts)
        if log:
            self._log(f"\n[{time.strftime('%H:%M:%S')}] {self.step or '-'} $ {shown(command)}\n"
                      f"{result.output}\n-> exit {result.exited} ({time.monotonic() - start:.2f}s)\n")
        if check and not result.ok:
            raise self.error(command, result)
        return result

    def run_many(self, commands, timeout: int = 600) -> list:
        """Run independent read-only commands in ONE round trip; a Result for each, in order.

        Under plain emulation each round trip to a busy node costs far more than a command
        that only reads, so reading what a whole run needs at once is what makes a no-op run
        fast. The shell gets them all in one message and answers each as it does one command
        (its own subshell and framing). Never raises for a command's failure; a command the
        shell did not answer (it ended, or time ran out) is a Result with answered False."""
        if not commands:
            return []
        start, starts = time.monotonic(), self.shell.starts
        results = [Result(c, *answer) for c, answer in zip(commands, self.shell.run_many(commands, timeout))]
        self._log_start(starts)
        self._log(f"\n[{time.strftime('%H:%M:%S')}] {self.step or '-'} (one round trip, "
                  f"{len(commands)} commands, {time.monotonic() - start:.2f}s)\n"
                  + "".join(f"$ {shown(r.command)}\n{r.output}\n-> exit {r.exited}\n" for r in results))
        return results

    def error(self, command: str, result: Result) -> CommandError:
        tail = result.output.splitlines()[-TAIL:]
        return CommandError("command", command, result.exited, tail, self.log_path,
                            node=self.name, step=self.step)

    def read(self, path: str) -> str | None:
        """The file's text, or None if it does not exist."""
        return self.read_result(path, self.run(read_command(path), check=False))

    def read_result(self, path: str, r: Result) -> str | None:
        """What read() returns, from read_command(path)'s Result (also one run by run_many)."""
        try:
            return FILE(path).value(r)
        except ValueError:
            raise self.error(f"cat {path}", r) from None

    def write(self, path: str, text: str, mode: str = "0644") -> None:
        """Replace a file atomically (temp file + rename), keeping its mode when it exists."""
        q, tmp = shlex.quote(path), shlex.quote(path + ".k8s-lab.tmp")
        self.run(f"mkdir -p $(dirname {q}) && cat > {tmp} && "
                 f"(chmod --reference={q} {tmp} 2>/dev/null || chmod {mode} {tmp}) && mv {tmp} {q}",
                 stdin=text)


def hosts_for(lab, conns) -> dict:
    """node name -> Host over its open connection, logging to logs/<node>.log in the lab folder."""
    logs = ensure_workdir(lab) / "logs"
    return {n.name: Host(n, conns[n.name], logs / f"{n.name}.log") for n in lab.nodes}
