"""One shell per node, kept open for the whole run: each command is a message to it, not a new
SSH session.

A new session per command starts sshd's session process, the login shell, `sudo` (PAM, policy,
its log) and bash: 1-3 s on a busy emulated node, most of a no-op run. Here `sudo -n bash` starts
once per connection and reads commands from its stdin, each ended by a NUL byte (no command text
can hold one). Each runs in a subshell with stdin from /dev/null, as `bash -c` did: an `exit`,
`cd` or `set -e` in it ends there. Its start and end are marked on stdout (the end with its exit
code) and on stderr by a token random per shell: only a command reading the shell's own
arguments could fake them, and what a background process of an earlier command prints before
the start is dropped. A batch (run_many) is its commands sent in one message: the shell answers
them one after another, each framed as alone, so a batch costs one round trip and no framing
of its own.
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
from paramiko import SSHException

CLOSED = 255    # the exit code given when the shell died before the command's end (as ssh does)
TIMED_OUT = 124  # as timeout(1)
OPEN_TIMEOUT = 30   # seconds for the SSH server to open the shell's channel
_OPEN = {}   # (SSH transport, become) -> its Shell; see Shell.of
_OPEN_LOCK = threading.Lock()   # copies of a class are run side by side, in threads

# A message is the number of its commands, then the commands, each ended by a NUL byte. The
# whole message is read before any command runs: the tool reads no answer before it has sent
# the message, so a shell writing answers while messages still come could fill both ways'
# buffers and wait forever. Byte-wise reads of a pipe are what bash does for `read`; a message
# is a few KB. Arrays and (( )) as bash 4.2 (CentOS 7) has them.
_LOOP = """while IFS= read -r -d '' __k8slab_n; do
__k8slab_cs=()
for ((__k8slab_i = 0; __k8slab_i < __k8slab_n; __k8slab_i++)); do
IFS= read -r -d '' "__k8slab_cs[__k8slab_i]" || exit
done
for __k8slab_c in "${{__k8slab_cs[@]}}"; do
printf '%s:start\\n' {mark}; printf '%s:start\\n' {mark} >&2
( eval "$__k8slab_c" ) </dev/null
printf '\\n%s:end:%s\\n' {mark} "$?"
printf '\\n%s:end\\n' {mark} >&2
done
done"""
_GONE = (OSError, EOFError, SSHException)   # what paramiko raises when the connection is lost


class _Channel:
    """The shell over a paramiko channel of the node's open connection."""

    def __init__(self, transport, argv: list):
        self.chan = transport.open_session(timeout=OPEN_TIMEOUT)
        self.chan.exec_command(" ".join(shlex.quote(a) for a in argv))

    def send(self, data: bytes) -> None:
        self.chan.sendall(data)

    def read(self, wait: float):
        """(stdout bytes, stderr bytes) as they come; None when the shell has gone (its
        channel ended, or it exited and nothing more came within wait: a background child of
        a command may still hold the channel open)."""
        c = self.chan
        if not (c.recv_ready() or c.recv_stderr_ready()):
            select.select([c], [], [], wait)
        out = c.recv(65536) if c.recv_ready() else b""
        err = c.recv_stderr(65536) if c.recv_stderr_ready() else b""
        if not out and not err and (c.eof_received or c.closed or c.exit_status_ready()):
            return None
        return out, err

    def close(self) -> None:
        self.chan.close()


class _Process:
    """The shell as a local process: what the fast tests run (this machine has no sshd); the
    protocol, the framing and the bash loop are the same bytes the VMs get."""

    def __init__(self, argv: list):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.open = {self.proc.stdout.fileno(), self.proc.stderr.fileno()}

    def send(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def read(self, wait: float):
        ready, _, _ = select.select(list(self.open), [], [], wait) if self.open else ([], [], [])
        chunks = {}
        for fd in ready:
            chunks[fd] = os.read(fd, 65536)
            if not chunks[fd]:
                self.open.discard(fd)
        out = chunks.get(self.proc.stdout.fileno(), b"")
        err = chunks.get(self.proc.stderr.fileno(), b"")
        if not out and not err and (not self.open or self.proc.poll() is not None):
            return None
        return out, err

    def close(self) -> None:
        self.proc.kill()   # first: a write stuck on a full pipe then fails instead of waiting
        self.proc.wait()
        try:
            self.proc.stdin.close()
        except OSError:
            pass   # what was still buffered for it has nowhere to go


class _Framed:
    """One stream of one command: what comes between the shell's start and end markers. What
    follows the end marker's line is the next command's (a batch's answers come back to back)."""

    def __init__(self, mark: str):
        self.start, self.end = f"{mark}:start\n".encode(), f"\n{mark}:end".encode()
        self.data = bytearray()
        self.started = False
        self.tail = None   # what follows the end marker on its line (stdout: ":<exit code>")
        self.rest = b""    # what came after that line
        self._scan = 0     # where to look for the end marker next (outputs can be large)

    def feed(self, chunk: bytes) -> None:
        if self.tail is not None:
            self.rest += chunk
            return
        self.data += chunk
        if not self.started:
            at = self.data.find(self.start)
            if at < 0:   # a background child's late output, or the start is still on its way
                del self.data[:max(0, len(self.data) - len(self.start))]
                return
            del self.data[:at + len(self.start)]
            self.started = True
        at = self.data.find(self.end, self._scan)
        line_end = self.data.find(b"\n", at + len(self.end)) if at >= 0 else -1
        if line_end >= 0:
            self.tail = bytes(self.data[at + len(self.end):line_end])
            self.rest = bytes(self.data[line_end + 1:])
            del self.data[at:]
        else:
            self._scan = max(0, len(self.data) - len(self.end) - 32)

    def text(self) -> str:
        return bytes(self.data if self.started else b"").decode("utf-8", errors="replace")


class Shell:
    """A long-lived shell on a node (as root with become): run(command) and run_many(commands)
    -> (exit, stdout, stderr, answered) for each.

    Restarted on the next command when it died or a command overran its time."""

    @classmethod
    def of(cls, conn, become: bool) -> "Shell":
        """The shell of an open connection: the same one for every phase of a run (provision,
        then verify, in `up`), so each node starts `sudo` once per run. Kept with the SSH
        transport, and gone with it."""
        transport = getattr(conn, "transport", None) if isinstance(conn, Connection) else None
        if transport is None:
            return cls(conn, become)
        with _OPEN_LOCK:
            for gone in [k for k in _OPEN if not k[0].is_active()]:   # closed connections' shells
                del _OPEN[gone]
            return _OPEN.setdefault((transport, become), cls(conn, become))

    def __init__(self, conn, become: bool):
        self.conn = conn
        self.become = become
        self.pipe = None
        self.mark = ""
        self.starts = 0   # how many times it was (re)started: the node's log says when
        self._rest = (b"", b"")   # stdout and stderr read past the last answer: the next one's
        self._lock = threading.Lock()   # one command at a time: the shell is one stream

    def _start(self):
        self.starts += 1
        self.mark = f"@@k8slab-{secrets.token_hex(8)}"
        argv = (["sudo", "-n"] if self.become else []) + ["bash", "-c", _LOOP.format(mark=self.mark)]
        if isinstance(self.conn, Connection):
            self.conn.open()   # a no-op when connected; reconnects when the connection was lost
            self.pipe = _Channel(self.conn.transport, argv)
        else:   # invoke's Context: this machine's own bash (the fast tests)
            self.pipe = _Process(argv)

    def _send(self, data: bytes) -> None:
        """Send a message, on a fresh shell if there is none or the last one has gone. Tried
        again once: a shell gone before the message ran none of it (it reads a message whole)."""
        for attempt in (1, 2):
            try:
                if self.pipe is None:
                    self._start()
                self.pipe.send(data)
                return
            except _GONE:
                self.close()
                if attempt == 2:
                    raise

    def run(self, command: str, timeout: float):
        """(exit, stdout, stderr, answered) of one command; see run_many."""
        return self.run_many([command], timeout)[0]

    def run_many(self, commands, timeout: float) -> list:
        """Send every command at once, then read their answers in order: one round trip for
        all. Each answer is (exit, stdout, stderr, answered). answered is False where the shell
        ended, or the time ran out, before the command's end: its exit is then CLOSED or
        TIMED_OUT, the tool's and not the command's, and so is every later command's."""
        if any("\0" in c for c in commands):
            raise ValueError("a command cannot hold a NUL byte")
        message = f"{len(commands)}\0".encode() + b"".join(c.encode() + b"\0" for c in commands)
        with self._lock:
            try:
                self._send(message)
            except _GONE as e:
                why = f"cannot reach the node's shell: {type(e).__name__}: {e}"
                return [(CLOSED, "", why, False) for _ in commands]
            deadline = time.monotonic() + timeout
            answers, why = [], None
            try:
                for _ in commands:
                    if why is None:
                        code, out, err, why = self._answer(deadline, timeout)
                        answers.append((code, out, f"{err}\n{why}" if why else err, why is None))
                    else:   # the shell is gone: no more answers
                        answers.append((code, "", f"no answer in the batch (an earlier command: {why})", False))
            except BaseException:
                self.close()   # (an interrupt) what is still to come must not answer the next call
                raise
            return answers

    def _answer(self, deadline, timeout):
        """(exit, stdout, stderr, why): why is None when the command's end came, else the
        reason there was none (the shell is then closed)."""
        out, err = _Framed(self.mark), _Framed(self.mark)
        out.feed(self._rest[0])
        err.feed(self._rest[1])
        while out.tail is None or err.tail is None:
            left = deadline - time.monotonic()
            try:
                got = self.pipe.read(min(left, 1.0)) if left > 0 else None
            except _GONE:
                got, left = None, 1
            if got is None:   # the shell has gone (or the command overran): start anew next time
                self.close()
                why = (f"timed out after {timeout:g} s" if left <= 0 else
                       "the node's shell ended before the command did")
                return TIMED_OUT if left <= 0 else CLOSED, out.text(), err.text(), why
            out.feed(got[0])
            err.feed(got[1])
        self._rest = (out.rest, err.rest)
        return int(out.tail.lstrip(b":")), out.text(), err.text(), None

    def close(self) -> None:
        if self.pipe is not None:
            try:
                self.pipe.close()
            except _GONE:
                pass
            self.pipe = None
        self._rest = (b"", b"")
