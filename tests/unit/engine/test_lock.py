"""The lab lock, with real processes: a second command on a busy lab is refused at once and
told who holds it; a dead holder's lock is taken over."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from k8slab.errors import LabError
from k8slab.lock import lab_lock, lock_path

REPO = Path(__file__).resolve().parents[3]

HOLDER = textwrap.dedent("""\
    import sys, time
    from k8slab.lock import lab_lock
    from tests.unit.engine.engine_lab import load_engine_lab
    with lab_lock(load_engine_lab(sys.argv[1]), sys.argv[2]):
        print("locked", flush=True)
        time.sleep(120)
""")


@pytest.fixture
def holder(lab):
    """Start a child process that takes the lab's lock and sleeps; yields its Popen."""
    children = []

    def start(task="up"):
        env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        child = subprocess.Popen([sys.executable, "-c", HOLDER, str(lab.path), task],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        children.append(child)
        line = child.stdout.readline()  # blocks until the child holds the lock (or dies)
        assert line.strip() == "locked", f"holder did not lock: {line!r} {child.stderr.read()}"
        return child

    yield start
    for child in children:
        if child.poll() is None:
            os.kill(child.pid, 9)
        child.wait(timeout=10)
        child.stdout.close()
        child.stderr.close()


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_busy_lab_is_refused_naming_the_holder(lab, holder):
    child = holder("up")
    started = time.monotonic()
    with pytest.raises(LabError) as e:
        with lab_lock(lab, "provision"):
            pytest.fail("took a lock another process holds")
    assert time.monotonic() - started < 2, "the refusal must be immediate, not a wait"
    msg = str(e.value)
    assert msg.startswith(f"lab {lab.name} is busy: 'invoke up' (pid {child.pid}, started ")
    assert f"kill {child.pid}" in msg
    assert "wait for it to finish" in msg


def test_lock_is_taken_after_the_holder_is_killed(lab, holder):
    child = holder("destroy")
    with pytest.raises(LabError, match=rf"'invoke destroy' \(pid {child.pid}"):
        with lab_lock(lab, "up"):
            pass
    os.kill(child.pid, 9)
    child.wait(timeout=10)
    notes = []
    with lab_lock(lab, "up", log=notes.append) as path:
        info = json.loads(path.read_text())
        assert info["pid"] == os.getpid() and info["task"] == "up"
        assert set(info) == {"pid", "task", "started", "host"}
    # SIGKILL left the child's JSON behind; the kernel freed its flock
    assert notes == [f"taking over the lock of pid {child.pid}, which is gone"]


def test_leftover_lock_file_of_a_dead_pid_is_taken_over(lab):
    pid = dead_pid()
    path = lock_path(lab)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": pid, "task": "up", "started": "2024-01-01T10:00:00+00:00",
                                "host": "somewhere"}))
    notes = []
    with lab_lock(lab, "provision", log=notes.append):
        assert json.loads(path.read_text())["task"] == "provision"
    assert len(notes) == 1 and f"pid {pid}" in notes[0] and "gone" in notes[0]
    # released: nothing left that would make the next command talk about a holder
    notes.clear()
    with lab_lock(lab, "up", log=notes.append):
        pass
    assert notes == []


def test_unreadable_holder_info_says_another_command(lab, holder, tmp_path):
    child = holder("up")
    lock_path(lab).write_text("garbage{")  # the child still holds the flock
    with pytest.raises(LabError, match="another k8s-lab command"):
        with lab_lock(lab, "up"):
            pass
    assert child.poll() is None


def test_nested_and_sequential_use_in_one_process(lab, holder):
    with lab_lock(lab, "up") as path:
        with lab_lock(lab, "provision"):  # up running provision: not refused by itself
            assert json.loads(path.read_text())["task"] == "up"
        assert json.loads(path.read_text())["pid"] == os.getpid()
    for task in ("up", "provision", "destroy"):
        with lab_lock(lab, task) as path:
            assert json.loads(path.read_text())["task"] == task
    # after all that, another process can take it (the lock really was released)
    child = holder("up")
    with pytest.raises(LabError, match=str(child.pid)):
        with lab_lock(lab, "up"):
            pass


def test_released_when_the_block_raises(lab):
    with pytest.raises(RuntimeError):
        with lab_lock(lab, "up"):
            raise RuntimeError("boom")
    with lab_lock(lab, "up"):
        pass


def test_lock_lives_in_the_lab_workdir(lab, tmp_path):
    with lab_lock(lab, "up") as path:
        assert path == tmp_path / ".lab" / lab.name / "lock"
        assert path.stat().st_mode & 0o077 == 0
