"""Host's command composition (stdin, read, write) run by a real shell.

The connection here is invoke's Context, which has Fabric's `run` interface and runs the same
command line in a local bash; over SSH the VM tests run the very same strings. become=False
because this machine has no sudo (the VMs do).
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from invoke import Context

from k8slab.errors import CommandError
from k8slab.remote import Host, read_command


@pytest.fixture
def host(tmp_path):
    return Host(SimpleNamespace(name="local"), Context(), tmp_path / "local.log", become=False)


def test_stdin_reaches_every_command_of_a_list(host, tmp_path):
    out = tmp_path / "out"
    host.run(f"true && cat > {out}", stdin="line one\nline two\n")
    assert out.read_text() == "line one\nline two\n"


def test_write_then_read_round_trip_keeps_mode(host, tmp_path):
    target = tmp_path / "etc" / "default" / "etcd"
    host.write(str(target), 'ETCD_NAME="default"\n')
    assert target.read_text() == 'ETCD_NAME="default"\n'
    target.chmod(0o600)
    host.write(str(target), "x='quotes' \"and\" $dollars\n")
    assert host.read(str(target)) == "x='quotes' \"and\" $dollars\n"
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert not list(target.parent.glob("*.tmp"))


def test_read_missing_file_is_none(host, tmp_path):
    assert host.read(str(tmp_path / "nope")) is None


def test_read_of_a_directory_is_an_error_not_an_empty_file(host, tmp_path):
    with pytest.raises(CommandError) as e:
        host.read(str(tmp_path))
    assert "not a regular file" in str(e.value)


@pytest.mark.parametrize("text", ["no newline at the end", "trailing blank lines\n\n\n", "",
                                  "  leading spaces, a \\backslash\\, tabs\t\t and 中文\n"])
def test_read_is_byte_for_byte(host, tmp_path, text):
    f = tmp_path / "f"
    f.write_bytes(text.encode())
    assert host.read(str(f)) == text
    assert host.run_many(["exit 0", read_command(str(f))])[1].stdout == text   # in a batch too


def test_failure_names_node_step_command_exit_and_tail(host, tmp_path):
    host.step = "base/hosts file"
    with pytest.raises(CommandError) as e:
        host.run("echo first; echo last >&2; exit 7")
    msg = str(e.value)
    assert msg.startswith("[local] step base/hosts file: command failed (exit 7): echo first;")
    assert "| first" in msg and "| last" in msg and str(tmp_path / "local.log") in msg
    log = (tmp_path / "local.log").read_text()
    assert "base/hosts file $ echo first; echo last >&2; exit 7" in log and "-> exit 7" in log


def test_provision_report_names_every_failed_node_and_what_to_run_next(host, tmp_path):
    from k8slab.errors import ProvisionError
    failures = []
    for name, step in (("k8s-node1", "base/hosts file"), ("k8s-node2", "base/time sync")):
        h = Host(SimpleNamespace(name=name), Context(), tmp_path / f"{name}.log", become=False)
        h.step = step
        with pytest.raises(CommandError) as e:
            h.run(f"echo {name} broke; exit 3")
        failures.append(e.value)
    text = str(ProvisionError(failures))
    assert text.startswith("provisioning failed on 2 node(s):")
    assert "[k8s-node1] step base/hosts file: command failed (exit 3)" in text
    assert "[k8s-node2] step base/time sync: command failed (exit 3)" in text
    assert "| k8s-node2 broke" in text
    assert "run `invoke up` (or `invoke provision`) again" in text


def test_run_many_keeps_each_commands_output_and_exit_apart(host, tmp_path):
    (tmp_path / "f").write_text("a:b\n\nno newline at the end")
    cmds = [f"cat {tmp_path / 'f'}", "echo out; echo err >&2; exit 3", "true",
            f"printf '\\n@@k8slab-0000000000000000:end:0\\n'; cat {tmp_path / 'nope'}", "read x; echo \"got [$x]\""]
    r = host.run_many(cmds)
    assert [x.command for x in r] == cmds
    assert (r[0].exited, r[0].stdout) == (0, "a:b\n\nno newline at the end")   # byte for byte
    assert (r[1].exited, r[1].stdout, r[1].stderr) == (3, "out\n", "err\n")
    assert (r[2].exited, r[2].stdout, r[2].stderr) == (0, "", "")
    # a command printing the framing cannot confuse it; a failing read is its own exit code
    assert r[3].stdout == "\n@@k8slab-0000000000000000:end:0\n" and r[3].exited == 1 and "nope" in r[3].stderr
    assert r[4].stdout == "got []\n"           # no command waits on the batch's stdin
    log = (tmp_path / "local.log").read_text()
    assert "(one round trip, 5 commands" in log and "$ echo out; echo err >&2; exit 3\nout\nerr\n-> exit 3" in log


def test_run_many_says_when_the_shell_died_during_the_batch(host):
    # the second command kills the shell running the batch (its parent, read from /proc)
    r = host.run_many(["true", "read -r _ _ _ shell _ </proc/$BASHPID/stat; kill -9 $shell", "true"])
    assert r[0].ok and r[0].answered
    assert not r[1].ok and not r[1].answered and "shell ended before the command did" in r[1].stderr
    assert not r[2].ok and not r[2].answered and "no answer in the batch" in r[2].stderr
