"""One command at a time per lab: `invoke up`, `provision`, `destroy` take the lab's lock.

The lock is an exclusive, non-blocking `flock` on `.lab/<name>/lock`. The kernel drops a flock
when its holder dies, however it dies, so a crashed or killed command never leaves the lab
locked: the next command simply takes the lock over. After locking, the holder writes who it is
(pid, task, start time, host) into the file, so a refused command can name it. The JSON is only
information; the flock alone decides who holds the lab.

The file is written in place, never replaced (write_atomic would rename a new inode over it and
a second command would then lock a different file than the holder's).
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator, Optional

from .errors import LabError
from .workdir import ensure_workdir

LOCK_NAME = "lock"

# Locks this process holds: path -> [fd, depth, pid]. A second lab_lock on the same lab inside
# a holder (a task calling another) nests instead of refusing itself.
_held: dict = {}
_guard = threading.Lock()


def lock_path(lab) -> Path:
    return Path(lab.workdir) / LOCK_NAME


@contextmanager
def lab_lock(lab, task: str, log: Optional[Callable[[str], None]] = None) -> Iterator[Path]:
    """Hold the lab's lock for the duration of the block; yields the lock file's path.

    task is the command's name as the user typed it after `invoke` ("up", "provision",
    "destroy"); a refusal shows it as 'invoke up'. Raises LabError at once (no waiting) when
    another process holds the lock. log, if given, receives one-line notes (a stale lock taken
    over). Nested use in one process is allowed and takes the lock once.
    """
    path = ensure_workdir(lab) / LOCK_NAME
    key = str(path)
    with _guard:
        held = _held.get(key)
        if held is not None and held[2] == os.getpid():
            held[1] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield path
        finally:
            with _guard:
                _held[key][1] -= 1
        return

    fd = _acquire(lab, path, task, log)
    with _guard:
        _held[key] = [fd, 1, os.getpid()]
    try:
        yield path
    finally:
        with _guard:
            _held.pop(key, None)
        _release(fd)


def _acquire(lab, path: Path, task: str, log) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise LabError(f"cannot lock {path}: {e}") from None
            raise LabError(_busy_message(lab, _read_holder(fd, wait=True))) from None
        previous = _read_holder(fd)
        if previous and log is not None:
            pid = previous.get("pid")
            if isinstance(pid, int) and pid != os.getpid():
                if not _alive(pid):
                    log(f"taking over the lock of pid {pid}, which is gone")
                else:
                    log(f"taking over the lock of pid {pid} ({_show_task(previous.get('task'))}), "
                        "which no longer holds it")
        info = {"pid": os.getpid(), "task": task,
                "started": datetime.now().astimezone().isoformat(timespec="seconds"),
                "host": socket.gethostname()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        return fd
    except BaseException:
        os.close(fd)
        raise


def _release(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)  # an empty file: nobody holds the lab
    except OSError:
        pass
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(fd: int, wait: bool = False) -> Optional[dict]:
    """The holder's JSON, or None. With wait, give a holder that has just taken the lock a
    moment to write it."""
    for attempt in range(10 if wait else 1):
        try:
            raw = os.pread(fd, 65536, 0)
        except OSError:
            return None
        if raw.strip():
            try:
                info = json.loads(raw.decode("utf-8"))
            except ValueError:
                info = None
            return info if isinstance(info, dict) else None
        if wait:
            time.sleep(0.05)
    return None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _show_task(task) -> str:
    task = str(task or "").strip()
    if not task:
        return "another k8s-lab command"
    return f"'{task}'" if task.startswith("invoke") else f"'invoke {task}'"


def _show_time(started) -> str:
    try:
        when = datetime.fromisoformat(str(started))
    except ValueError:
        return str(started)
    now = datetime.now(when.tzinfo)
    return when.strftime("%H:%M:%S" if when.date() == now.date() else "%Y-%m-%d %H:%M:%S")


def _busy_message(lab, holder: Optional[dict]) -> str:
    name = getattr(lab, "name", "?")
    pid = holder.get("pid") if holder else None
    if not holder or not isinstance(pid, int):
        return (f"lab {name} is busy: another k8s-lab command is running on it; wait for it "
                f"to finish (its lock is {lock_path(lab)})")
    details = [f"pid {pid}"]
    if holder.get("started"):
        details.append(f"started {_show_time(holder['started'])}")
    host = holder.get("host")
    elsewhere = bool(host) and host != socket.gethostname()
    if elsewhere:
        details.append(f"on host {host}")
    stop = f"stop it (kill {pid}" + (f" on {host})" if elsewhere else ")")
    return (f"lab {name} is busy: {_show_task(holder.get('task'))} ({', '.join(details)}) "
            f"is running on it; wait for it to finish, or {stop}")
