"""One node seen through its one Fabric connection: run commands, read and write files.

Every command and its output go to the node's log (logs/<node>.log in the lab folder).
Commands run as root in the node's one shell (shell.py), started through passwordless sudo,
as Vagrant boxes allow.
"""
from __future__ import annotations

import base64
import secrets
import shlex
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import CommandError
from .shell import Shell
from .workdir import ensure_workdir

TAIL = 12
BATCH = "@@k8slab-batch"   # run_many's markers: BATCH-<token>:index: and BATCH-<token>:index:end[:exit]
MISSING = 3  # exit code meaning "no such file" for read()


@dataclass
class Result:
    command: str
    exited: int
    stdout: str
    stderr: str
    answered: bool = True   # False: run_many's batch died before this command's answer

    @property
    def ok(self) -> bool:
        return self.exited == 0

    @property
    def output(self) -> str:
        return (self.stdout + self.stderr).strip()


def read_command(path: str) -> str:
    """A file's text, byte for byte, or exit MISSING when there is no such file. Bash builtins
    only (no `cat` to start: ~0.1-0.5 s on a busy emulated node). A file that cannot be opened
    and anything but a regular file are errors (bash goes on after a failed `exec` redirection
    unless told to stop)."""
    q = shlex.quote(path)
    return (f"if [ -f {q} ]; then exec 3<{q} || exit 1; IFS= read -r -d '' t <&3; printf '%s' \"$t\"; "
            f"elif [ -e {q} ]; then echo {q}: not a regular file >&2; exit 1; else exit {MISSING}; fi")


def shown(command: str) -> str:
    """A command as the node's log shows it: a script sent inline (a shell provisioner's check,
    whose first line names it) by its first line, not its whole text."""
    first, _, rest = command.partition("\n")
    return f"{first} (+{rest.count(chr(10)) + 1} lines)" if rest else command


def http_get(ip, port, path) -> str:
    """A plain HTTP GET with bash alone (no curl on minimal boxes), 5 s at most; prints the raw
    answer, headers and all."""
    inner = (f"exec 3<>/dev/tcp/{ip}/{port} && "
             f"printf 'GET {path} HTTP/1.0\\r\\nHost: {ip}\\r\\n\\r\\n' >&3 && cat <&3")
    return f"timeout 5 bash -c {shlex.quote(inner)}"


def _framed(stream: str, mark: str, i: int):
    """Command i's text in run_many's stream, and its exit code (None: no end marker, so the
    batch died first). The batch printed a newline before each end marker: it is not output."""
    head = f"{mark}:{i}:\n"
    start = stream.find(head)
    if start < 0:
        return "", None
    start += len(head)
    end = stream.find(f"\n{mark}:{i}:end", start)
    if end < 0:
        return "", None
    tail = stream[end + 1 + len(f"{mark}:{i}:end"):].split("\n", 1)[0]
    return stream[start:end], int(tail[1:]) if tail.startswith(":") else 0


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

    def run(self, command: str, check: bool = True, stdin: str | None = None,
            timeout: int = 600, log: bool = True) -> Result:
        """Run a shell command; with check, a non-zero exit raises CommandError with the evidence."""
        remote = command
        if stdin is not None:
            # Piping through base64 keeps stdin in the one command: no extra round trip, no EOF games.
            data = base64.b64encode(stdin.encode()).decode()
            # Braces: the whole command (a list like `a && b`) reads the decoded stdin.
            remote = f"echo {data} | base64 -d | {{ {command}\n}}"
        start, starts = time.monotonic(), self.shell.starts
        result = Result(command, *self.shell.run(remote, timeout))
        if self.shell.starts != starts:
            self._log(f"\n[{time.strftime('%H:%M:%S')}] shell started on the node ("
                      f"{'as root, ' if self.shell.become else ''}start {self.shell.starts} of this run)\n")
        if log:
            self._log(f"\n[{time.strftime('%H:%M:%S')}] {self.step or '-'} $ {shown(command)}\n"
                      f"{result.output}\n-> exit {result.exited} ({time.monotonic() - start:.2f}s)\n")
        if check and not result.ok:
            raise self.error(command, result)
        return result

    def run_many(self, commands, timeout: int = 600) -> list:
        """Run independent read-only commands in ONE round trip; a Result for each, in order.

        Under plain emulation a command costs ~0.1-0.5 s per process it starts, so reading what a
        whole run needs in one command is what makes a no-op run fast. Each command runs in its
        own subshell, its output framed on stdout and stderr by markers holding a random token:
        no command can print them, and the framing costs no process (a busy emulated node
        pays ~0.1 s per exec). Never raises for a command's failure."""
        if not commands:
            return []
        mark = f"{BATCH}-{secrets.token_hex(8)}"
        script = []
        for i, c in enumerate(commands):
            script.append(f'echo "{mark}:{i}:"; echo "{mark}:{i}:" >&2; ( {c}\n) </dev/null; '
                          f'rc=$?; echo; echo "{mark}:{i}:end:$rc"; echo >&2; echo "{mark}:{i}:end" >&2')
        start = time.monotonic()
        whole = self.run("\n".join(script), check=False, timeout=timeout, log=False)
        results = []
        for i, c in enumerate(commands):
            out, rc = _framed(whole.stdout, mark, i)
            err, _ = _framed(whole.stderr, mark, i)
            if rc is None:
                results.append(Result(c, whole.exited if not whole.ok else 255, "",
                                      f"no answer in the batch: {whole.output[-500:]}", False))
            else:
                results.append(Result(c, rc, out, err))
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


def hosts_for(lab, conns) -> dict:
    """node name -> Host over its open connection, logging to logs/<node>.log in the lab folder."""
    logs = ensure_workdir(lab) / "logs"
    return {n.name: Host(n, conns[n.name], logs / f"{n.name}.log") for n in lab.nodes}
