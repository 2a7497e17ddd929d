"""One shell per node, kept open for the whole run: each command is a message to it, not a new
SSH session.

A new session per command starts sshd's session process, the login shell, `sudo` (PAM, policy,
its log) and bash: 1-3 s on a busy emulated node, most of a no-op run. Here `sudo -n bash` starts
once per connection and reads commands from its stdin, each ended by a NUL byte (no command text
can hold one). Each runs in a subshell with stdin from /dev/null, as `bash -c` did: an `exit`,
`cd` or `set -e` in it ends there. Its end is marked on stdout (with its exit code) and on stderr
by a token random per shell, so no output can fake it.
"""
from __future__ import annotations

import os
import secrets
import select
import shlex
import subprocess
import threading
import time

from fabric import Connection

CLOSED = 255    # the exit code given when the shell died before the command's end (as ssh does)
TIMED_OUT = 124  # as timeout(1)
_OPEN = {}   # (SSH transport, become) -> its Shell; see Shell.of

# Byte-wise reads of a pipe are what bash does for `read`; commands are a few KB at most.
_LOOP = """while IFS= read -r -d '' __k8slab_c; do
( eval "$__k8slab_c" ) </dev/null
printf '\\n%s:%s\\n' {mark} "$?"
printf '\\n%s\\n' {mark} >&2
done"""


class _Channel:
    """The shell over a paramiko channel of the node's open connection."""

    def __init__(self, transport, command: str):
        self.chan = transport.open_session()
        self.chan.exec_command(command)

    def send(self, data: bytes) -> None:
        self.chan.sendall(data)

    def read(self, wait: float):
        """(stdout bytes, stderr bytes) as they come; None when the shell has gone."""
        c = self.chan
        if not (c.recv_ready() or c.recv_stderr_ready()):
            select.select([c], [], [], wait)
        out = c.recv(65536) if c.recv_ready() else b""
        err = c.recv_stderr(65536) if c.recv_stderr_ready() else b""
        if not out and not err and (c.eof_received or c.closed):
            return None
        return out, err

    def close(self) -> None:
        self.chan.close()


class _Process:
    """The shell as a local process: what the fast tests run (this machine has no sshd); the
    protocol, the framing and the bash loop are the same bytes the VMs get."""

    def __init__(self, command: str):
        self.proc = subprocess.Popen(["bash", "-c", command], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.open = {self.proc.stdout.fileno(), self.proc.stderr.fileno()}

    def send(self, data: bytes) -> None:
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass   # the shell is gone: read() says so

    def read(self, wait: float):
        if not self.open:
            return None
        ready, _, _ = select.select(list(self.open), [], [], wait)
        chunks = {}
        for fd in ready:
            chunks[fd] = os.read(fd, 65536)
            if not chunks[fd]:
                self.open.discard(fd)
        return chunks.get(self.proc.stdout.fileno(), b""), chunks.get(self.proc.stderr.fileno(), b"")

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.kill()
        self.proc.wait()


class Shell:
    """A long-lived shell on a node (as root with become): run(command) -> (exit, stdout, stderr).

    Restarted on the next command when it died or a command overran its time."""

    @classmethod
    def of(cls, conn, become: bool) -> "Shell":
        """The shell of an open connection: the same one for every phase of a run (provision,
        then verify, in `up`), so each node starts `sudo` once per run. Kept with the SSH
        transport, and gone with it."""
        transport = getattr(conn, "transport", None) if isinstance(conn, Connection) else None
        if transport is None:
            return cls(conn, become)
        for gone in [k for k in _OPEN if not k[0].is_active()]:   # closed connections' shells
            del _OPEN[gone]
        key = (transport, become)
        if key not in _OPEN:
            _OPEN[key] = cls(conn, become)
        return _OPEN[key]

    def __init__(self, conn, become: bool):
        self.conn = conn
        self.become = become
        self.pipe = None
        self.mark = ""
        self.starts = 0   # how many times it was (re)started: the node's log says when
        self._lock = threading.Lock()   # one command at a time: the shell is one stream

    def _start(self):
        self.starts += 1
        self.mark = f"@@k8slab-end-{secrets.token_hex(8)}"
        loop = _LOOP.format(mark=self.mark)
        command = f"sudo -n bash -c {shlex.quote(loop)}" if self.become else loop
        if isinstance(self.conn, Connection):
            self.conn.open()   # a no-op when open, as it is after ssh.open_connections
            self.pipe = _Channel(self.conn.transport, command)
        else:   # invoke's Context: this machine's own bash (the fast tests)
            self.pipe = _Process(command)

    def run(self, command: str, timeout: float):
        if "\0" in command:
            raise ValueError("a command cannot hold a NUL byte")
        with self._lock:
            if self.pipe is None:
                self._start()
            self.pipe.send(command.encode() + b"\0")
            return self._answer(command, timeout)

    def _answer(self, command, timeout):
        out, err = bytearray(), bytearray()
        rc, err_done = None, False
        end_out, end_err = f"\n{self.mark}:".encode(), f"\n{self.mark}\n".encode()
        deadline = time.monotonic() + timeout
        while rc is None or not err_done:
            left = deadline - time.monotonic()
            got = self.pipe.read(min(left, 1.0)) if left > 0 else None
            if got is None:   # the shell has gone (or the command overran): start anew next time
                self.close()
                why = (f"timed out after {timeout:g} s" if left <= 0 else
                       "the node's shell ended before the command did")
                return (TIMED_OUT if left <= 0 else CLOSED, _text(out),
                        _text(err) + f"\n{why}")
            out += got[0]
            err += got[1]
            if rc is None:
                at = out.find(end_out)
                if at >= 0 and out.find(b"\n", at + len(end_out)) >= 0:
                    rc = int(out[at + len(end_out):].split(b"\n", 1)[0])
                    del out[at:]
            if not err_done:
                at = err.find(end_err)
                if at >= 0:
                    err_done = True
                    del err[at:]
        return rc, _text(out), _text(err)

    def close(self) -> None:
        if self.pipe is not None:
            self.pipe.close()
            self.pipe = None


def _text(data: bytes) -> str:
    return bytes(data).decode("utf-8", errors="replace")
