"""Lines typed as a student (k8slab/checks/typed.py): as root in a login shell, and read ahead, a
node's lines in one login shell, each answering as if typed alone. Run for real with this
machine's `su -` and bash (the nodes run the same strings over SSH)."""
from __future__ import annotations

import base64
import os

import pytest

from k8slab.checks import runner, typed
from k8slab.checks.check import check
from k8slab.checks.report import Report
from k8slab.remote import Result


def res(stdout="", exited=0, stderr="", command="cmd"):
    return Result(command, exited, stdout, stderr)


LINES = ["echo printed; echo warned >&2", "exit 3", "printf '\\xe2\\x97\\x8f flanneld.service\\n'",
         "cd /proc/self/ && ls -d fd # a comment", "cat /nonexistent/k8s-lab", "echo $HOME $0"]


def local_host(tmp_path, name="k8s-master"):
    from invoke import Context
    from types import SimpleNamespace
    from k8slab.remote import Host
    return Host(SimpleNamespace(name=name, ip="192.168.0.15"), Context(), tmp_path / f"{name}.log", become=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="`su -` to root without a password needs root")
def test_lines_read_in_one_login_shell_answer_as_each_typed_alone(tmp_path):
    """Read ahead, a node's typed lines share one `su -` (real, on this machine: a login shell
    costs 1-2 s on an emulated node). Each must come back as if typed on its own."""
    host = local_host(tmp_path)
    commands = [typed.as_student(line) for line in LINES]
    alone = {c: host.run(c, check=False) for c in commands}
    together = typed.split_session(LINES, host.run(typed.session(LINES), check=False))
    assert {c: (r.exited, r.stdout, r.stderr) for c, r in together.items()} == \
        {c: (r.exited, r.stdout, r.stderr) for c, r in alone.items()}
    assert together[commands[1]].exited == 3 and together[commands[5]].stdout == "/root -bash\n"


def test_a_session_cut_off_answers_only_the_lines_it_finished():
    lines = ("echo a", "echo b", "sleep 100")
    commands = [typed.as_student(line) for line in lines]
    marks = "".join(f"{typed.SESSION_MARK} 0 {base64.b64encode(x).decode()}. .\n" for x in (b"a\n", b"b\n"))
    got = typed.split_session(lines, res("Last login: today\n" + marks))
    assert {c: r.stdout for c, r in got.items()} == {commands[0]: "a\n", commands[1]: "b\n"}


@pytest.mark.skipif(os.geteuid() != 0, reason="`su -` to root without a password needs root")
def test_read_ahead_sends_a_nodes_typed_lines_as_one_command(lab, tmp_path):
    host = local_host(tmp_path)
    sent = []
    run_many = host.run_many
    host.run_many = lambda cmds, **kw: (sent.append(list(cmds)), run_many(cmds, **kw))[1]

    def lines_and_uname(lab):
        yield [check("commands", line, "k8s-master", typed.TYPED(line), lambda r: (r.ok, r.stdout, ""))
               for line in LINES] + [check("base", "uname", "k8s-master", "uname -s", lambda r: (r.ok, r.stdout, ""))]
    report = Report(lab.name)
    read = runner.run_checks(lab, {"k8s-master": host}, [("commands", lines_and_uname)], report)
    assert [r.passed for r in report.results] == [True, False, True, True, False, True, True]
    assert len(sent) == 1 and sent[0][0] == "uname -s" and sent[0][1].startswith("su - -c 'd=$(mktemp -d)")
    assert len(sent[0]) == 2
    assert read["k8s-master"][typed.as_student(LINES[0])].stdout == "printed\n"
    assert read["k8s-master"][typed.as_student(LINES[1])].exited == 3
