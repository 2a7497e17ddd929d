"""The node's one long-lived shell (k8slab/shell.py), run by a real bash.

Here the shell is a local bash process (this machine has no sshd); on the VMs the same loop
and the same bytes go over the connection's SSH channel, which every VM test uses. What is
checked is what the old one-session-per-command way gave for free: each command alone, its
own exit code, stdout and stderr apart, no stdin, and a dead or stuck shell named, not hung.
"""
from __future__ import annotations

import os
import threading
import time
from types import SimpleNamespace

import pytest
from invoke import Context

from k8slab.errors import CommandError
from k8slab.remote import Host
from k8slab.shell import CLOSED, TIMED_OUT, Shell


@pytest.fixture
def shell():
    s = Shell(Context(), become=False)
    yield s
    s.close()


def test_commands_share_one_shell_but_not_its_state(shell, tmp_path):
    pid = shell.run("echo $$", 10)[1]
    assert shell.run(f"cd {tmp_path}; X=1; set -e; exit 4", 10) == (4, "", "", True)
    # the same process answers, and nothing the last command did reached it
    assert shell.run("echo $$; pwd; echo \"[$X]\"; false; echo after", 10)[1] == \
        f"{pid.strip()}\n{os.getcwd()}\n[]\nafter\n"


def test_output_is_byte_for_byte_and_streams_apart(shell):
    assert shell.run("printf 'no newline'; printf 'e1\\ne2' >&2", 10) == (0, "no newline", "e1\ne2", True)
    assert shell.run("printf '\\n\\n'; echo 中文", 10) == (0, "\n\n中文\n", "", True)
    big = shell.run("head -c 300000 /dev/zero | tr '\\0' x; echo; seq 1 20000 >&2", 10)
    assert (len(big[1]), big[2].count("\n")) == (300001, 20000)


def test_a_command_gets_no_stdin_and_cannot_read_the_next_one(shell):
    assert shell.run("cat; read x; echo \"[$x]\"", 10) == (0, "[]\n", "", True)
    assert shell.run("echo second", 10) == (0, "second\n", "", True)


def test_printing_the_end_marker_without_the_token_changes_nothing(shell):
    r = shell.run("printf '\\n@@k8slab-end-0000:0\\n@@k8slab-end-0000\\n' | tee /dev/stderr; exit 2", 10)
    assert r == (2, "\n@@k8slab-end-0000:0\n@@k8slab-end-0000\n", "\n@@k8slab-end-0000:0\n@@k8slab-end-0000\n", True)


def test_a_dead_shell_is_named_and_the_next_command_gets_a_new_one(shell):
    first = shell.run("echo $$", 10)[1]
    r = shell.run("echo partial; kill -9 $$", 10)
    assert r == (CLOSED, "partial\n", r[2], False) and "shell ended before the command did" in r[2]
    assert shell.run("echo $$", 10)[1] not in ("", first)


def test_a_command_over_its_time_is_stopped_waiting_for_and_named(shell):
    r = shell.run("echo started; sleep 30", 1)
    assert r == (TIMED_OUT, "started\n", r[2], False) and "timed out after 1 s" in r[2]
    assert shell.run("echo fresh", 10) == (0, "fresh\n", "", True)


def test_a_nul_in_a_command_is_refused_before_anything_is_sent(shell):
    with pytest.raises(ValueError):
        shell.run("echo a\0b", 10)


def test_host_errors_name_the_node_step_and_a_timeout(tmp_path):
    h = Host(SimpleNamespace(name="k8s-node1"), Context(), tmp_path / "n.log", become=False)
    h.step = "start/docker"
    with pytest.raises(CommandError) as e:
        h.run("sleep 30", timeout=1)
    assert str(e.value).startswith("[k8s-node1] step start/docker: command failed (exit 124): sleep 30")
    assert "timed out after 1 s" in str(e.value)


def test_the_node_log_says_when_a_shell_starts(tmp_path):
    h = Host(SimpleNamespace(name="k8s-node1"), Context(), tmp_path / "n.log", become=False)
    h.run("true")
    h.run("true")
    h.run("kill -9 $$", check=False)
    h.run("true")
    log = (tmp_path / "n.log").read_text()
    assert log.count("shell started on the node") == 2 and "(start 2 of this run)" in log


def test_late_output_of_an_earlier_command_is_not_the_next_ones(shell):
    assert shell.run("(sleep 0.3; echo LATE; echo LATE >&2) &", 10) == (0, "", "", True)
    time.sleep(0.6)
    assert shell.run("echo next", 10) == (0, "next\n", "", True)


def test_a_shell_gone_between_commands_is_replaced_before_the_next_one(shell):
    shell.run("(sleep 0.2; kill -9 $$) >/dev/null 2>&1 &", 10)
    time.sleep(0.6)
    assert shell.run("echo still served", 10) == (0, "still served\n", "", True)
    assert shell.starts == 2


def test_a_shell_that_died_is_named_even_while_a_child_holds_its_output(shell):
    # the child keeps the stream open past the shell's death: no end of stream to wait for
    r = shell.run("sleep 15 & kill -9 $$", 10)
    assert r[0] == CLOSED and not r[3] and "shell ended before the command did" in r[2]


def test_a_batch_is_one_message_answered_command_by_command(shell):
    sent = []
    send = shell._send
    shell._send = lambda data: (sent.append(data), send(data))
    r = shell.run_many(["echo a; exit 3", "echo b >&2", "X=1; echo c", "cat; echo \"[$X]\""], 10)
    assert r == [(3, "a\n", "", True), (0, "", "b\n", True), (0, "c\n", "", True), (0, "[]\n", "", True)]
    assert len(sent) == 1


def test_in_a_batch_the_command_the_shell_died_in_and_the_rest_are_unanswered(shell):
    r = shell.run_many(["echo one", "echo partial; kill -9 $$", "echo never"], 10)
    assert r[0] == (0, "one\n", "", True)
    assert r[1] == (CLOSED, "partial\n", r[1][2], False) and "ended before the command did" in r[1][2]
    assert r[2] == (CLOSED, "", r[2][2], False) and "no answer in the batch" in r[2][2]
    assert shell.run_many(["echo again"], 10) == [(0, "again\n", "", True)]   # a fresh shell


def test_a_batch_shares_one_deadline(shell):
    shell.run("true", 10)   # started: the deadline is the commands' alone
    start = time.monotonic()
    r = shell.run_many(["sleep 0.6", "sleep 0.6", "echo never"], 1)
    assert [a[0] for a in r] == [0, TIMED_OUT, TIMED_OUT] and time.monotonic() - start < 3
    assert "an earlier command: timed out after 1 s" in r[2][2]


def test_a_big_batch_with_big_answers_is_answered(shell):
    # the shell reads a message whole before it answers: the tool sends the whole batch before
    # it reads, so answers written while the batch still came in could fill both pipes for good
    batch = [f"head -c 2000 /dev/zero | tr '\\0' y # {'x' * 2000}" for _ in range(200)]
    answers = []
    sending = threading.Thread(target=lambda: answers.extend(shell.run_many(batch, 20)), daemon=True)
    sending.start()
    sending.join(30)
    assert not sending.is_alive() and [a[1] for a in answers] == ["y" * 2000] * 200


def test_an_interrupted_batch_leaves_no_answer_for_the_next_call(shell, monkeypatch):
    answer = shell._answer

    def interrupted(deadline, timeout):
        answer(deadline, timeout)
        raise KeyboardInterrupt
    monkeypatch.setattr(shell, "_answer", interrupted)
    with pytest.raises(KeyboardInterrupt):
        shell.run_many(["echo A", "echo B", "echo C"], 10)
    monkeypatch.undo()
    assert shell.run("echo mine", 10) == (0, "mine\n", "", True)
