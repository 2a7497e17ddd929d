"""The stage runner (provisioning.provision and its _Run) with a small playbook of its own: a
no-op run reads each node once; after the first change anywhere, steps read the host
themselves; a failing node stops while the others finish the stage; a dry run changes nothing.

The "nodes" are this machine's bash through invoke's Context (as in test_verify_read_ahead.py),
each with its own files under tmp_path; the steps are k8slab.steps' own FileStep and ShellStep;
the lab is the engine's own (engine_lab.py).
Each node's Host is given 127.0.0.1 as its IP: it is on lo here, so the node's facts are
complete after its batch, as on a VM whose private IP is up (`ip` must be installed)."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from invoke import Context

from k8slab import provisioning, state
from k8slab.errors import ProvisionError
from k8slab.provisioning import Playbook
from k8slab.remote import Host, read_command
from k8slab.steps import FileStep, ShellStep


@pytest.fixture
def lab(engine_lab):
    """The engine's own lab (tests/unit/engine/engine_lab.py), nothing of the tutorial's."""
    return engine_lab


STAGES = ["base", "etcd"]
MASTER, NODE1, NODE2 = "k8s-master", "k8s-node1", "k8s-node2"

# a shell provisioner as provision/scripts/ has them: MODE=check says what it would do (exit 10)
MARK = """\
if [ -e "$MARK" ]; then echo "$MARK is there"; exit 0; fi
if [ "$MODE" = check ]; then echo "touch $MARK"; exit 10; fi
touch "$MARK"
"""


def with_line(line):
    """A FileStep's transform: the file with line in it (added at the end when missing)."""
    return lambda text: text if line in text.splitlines() else text + line + "\n"


class Nodes:
    """The lab's nodes on this machine: their files, the messages their shells were sent (each
    one round trip to a node), and the connections handed to provision()."""

    def __init__(self, lab, tmp_path, monkeypatch):
        self.lab, self.root = lab, tmp_path
        self.scripts = tmp_path / "scripts"
        self.scripts.mkdir()
        (self.scripts / "lib.sh").write_text("# the scripts' shared functions: none here\n")
        (self.scripts / "mark.sh").write_text(MARK)
        (tmp_path / "logs").mkdir()
        self.messages = {n.name: [] for n in lab.nodes}
        self.conns = {n.name: Context() for n in lab.nodes}
        monkeypatch.setattr(provisioning, "hosts_for", self.hosts_for)

    def hosts_for(self, lab, conns):
        """provision()'s Hosts over the connections it was handed; become=False, as this
        machine has no sudo (the VMs do)."""
        hosts = {}
        for n in lab.nodes:
            host = Host(SimpleNamespace(name=n.name, ip="127.0.0.1"), conns[n.name],
                        self.root / "logs" / f"{n.name}.log", become=False)
            run_many, sent = host.shell.run_many, self.messages[n.name]

            def counted(commands, timeout, run_many=run_many, sent=sent):
                sent.append(list(commands))
                return run_many(commands, timeout)
            host.shell.run_many = counted
            hosts[n.name] = host
        return hosts

    def file(self, node, name="lab.conf"):
        return self.root / node / "etc" / name

    def mark(self, node):
        return self.root / node / "marked"

    def playbook(self, steps: dict) -> Playbook:
        """steps: (stage, node name) -> [Step]; no steps elsewhere."""
        return Playbook(steps=lambda stage, lab, node, facts: steps.get((stage, node.name), []),
                        scripts=self.scripts)

    def conf_steps(self, node):
        """base: a=1 in the node's lab.conf and the script's mark; etcd: b=2 in the same file."""
        path = str(self.file(node))
        return {("base", node): [FileStep("conf a", path, with_line("a=1")),
                                 ShellStep("mark", "mark.sh", {"MARK": self.mark(node)})],
                ("etcd", node): [FileStep("conf b", path, with_line("b=2"))]}

    def provision(self, book, **kw):
        return provisioning.provision(self.lab, STAGES, book, conns=self.conns, **kw)


@pytest.fixture
def nodes(lab, tmp_path, monkeypatch):
    return Nodes(lab, tmp_path, monkeypatch)


def outcomes(results):
    return [(r.stage, r.node, r.step, r.result) for r in results]


def test_a_no_op_run_reads_each_node_once_and_changes_nothing(nodes, lab):
    book = {}
    for n in (MASTER, NODE1, NODE2):
        book |= nodes.conf_steps(n)
        nodes.file(n).parent.mkdir(parents=True)
        nodes.file(n).write_text("a=1\nb=2\n")
        nodes.mark(n).touch()
    before = {p: p.stat().st_mtime_ns for p in nodes.root.glob("k8s-*/**/*") if p.is_file()}
    stages_done = []
    results = nodes.provision(nodes.playbook(book),
                              after_stage=lambda stage, changed: stages_done.append((stage, changed)))
    assert {r.result for r in results} == {"ok"} and len(results) == 9
    # one round trip per node: the facts' command, the file's read (the two FileSteps share
    # it) and the script's check, in one message
    for n in (MASTER, NODE1, NODE2):
        script, = ShellStep("mark", "mark.sh", {"MARK": nodes.mark(n)}).asks(SimpleNamespace(scripts=nodes.scripts))
        assert nodes.messages[n] == [["ip -o -4 addr show", read_command(str(nodes.file(n))), script.command]]
    assert {p: p.stat().st_mtime_ns for p in before} == before
    assert stages_done == [("base", 0), ("etcd", 0)]
    assert state.applied_stages(lab) == STAGES


def test_after_the_first_change_every_node_reads_for_itself(nodes, lab):
    # the master's base stage writes a=1; its etcd step edits the same file, which the batch
    # read while it was still missing: from that stale read it would write b=2 alone
    book = nodes.conf_steps(MASTER)
    del book[("base", MASTER)][1]
    for n in (NODE1, NODE2):   # as wanted already, and in the etcd stage only
        book[("etcd", n)] = [FileStep("conf b", str(nodes.file(n)), with_line("b=2"))]
        nodes.file(n).parent.mkdir(parents=True)
        nodes.file(n).write_text("b=2\n")
    results = nodes.provision(nodes.playbook(book))
    assert outcomes(results) == [("base", MASTER, "conf a", "changed"),
                                 ("etcd", MASTER, "conf b", "changed"),
                                 ("etcd", NODE1, "conf b", "ok"), ("etcd", NODE2, "conf b", "ok")]
    assert nodes.file(MASTER).read_text() == "a=1\nb=2\n"
    # the run's flag is shared: the nodes that changed nothing read their file again too (a
    # change on one node may concern another's steps: the runner does not guess which)
    for n in (NODE1, NODE2):
        assert nodes.messages[n][1:] == [[read_command(str(nodes.file(n)))]]
        assert nodes.file(n).read_text() == "b=2\n"


def test_a_failing_node_stops_the_others_finish_the_stage_and_the_error_names_it(nodes, lab):
    book = {("base", n): [FileStep("conf a", str(nodes.file(n)), with_line("a=1"))]
            for n in (MASTER, NODE2)}
    # node1's file belongs to a package that is not installed: its step fails, its next one
    # never runs
    book[("base", NODE1)] = [FileStep("etcd conf", str(nodes.file(NODE1, "etcd.conf")),
                                      with_line("a=1"), package_hint="etcd"),
                             FileStep("conf a", str(nodes.file(NODE1)), with_line("a=1"))]
    for n in (MASTER, NODE1, NODE2):   # the next stage starts nowhere
        book[("etcd", n)] = [FileStep("conf b", str(nodes.file(n, "b.conf")), with_line("b=2"))]
    with pytest.raises(ProvisionError) as e:
        nodes.provision(nodes.playbook(book))
    assert [f.node for f in e.value.failures] == [NODE1]
    assert "provisioning failed on 1 node(s)" in str(e.value) and "k8s-node1" in str(e.value)
    assert "package etcd installed?" in str(e.value)
    assert nodes.file(MASTER).read_text() == nodes.file(NODE2).read_text() == "a=1\n"
    assert not nodes.file(NODE1).exists()
    assert not list(nodes.root.glob("k8s-*/etc/b.conf"))
    assert state.applied_stages(lab) == []
    report = json.loads((lab.workdir / "provision.json").read_text())
    assert [(r["node"], r["step"], r["result"]) for r in report] == [
        (MASTER, "conf a", "changed"), (NODE1, "etcd conf", "failed"), (NODE2, "conf a", "changed")]


def test_a_dry_run_changes_nothing_and_reads_each_node_once(nodes, lab):
    book = {}
    for n in (MASTER, NODE1, NODE2):
        book |= nodes.conf_steps(n)
    results = nodes.provision(nodes.playbook(book), dry_run=True)
    assert {r.result for r in results} == {"would change"} and len(results) == 9
    mark = next(r for r in results if r.node == NODE1 and r.step == "mark")
    assert mark.commands == [f"touch {nodes.mark(NODE1)}"]
    assert not list(nodes.root.glob("k8s-*"))          # no file, no mark, no folder
    assert {n: len(m) for n, m in nodes.messages.items()} == {MASTER: 1, NODE1: 1, NODE2: 1}
    assert state.applied_stages(lab) == []
    assert (lab.workdir / "plan.json").exists() and not (lab.workdir / "provision.json").exists()


def test_plan_without_vms_says_what_the_engine_does_and_the_playbooks_note(lab, monkeypatch):
    """plan's first line is the engine's; what the steps' preview means (the tutorial's: flanneld's
    --iface) is the playbook's plan_note, in its parentheses."""
    said = []
    monkeypatch.setattr(provisioning.ui, "info", said.append)
    book = Playbook(steps=lambda stage, lab, node, facts: [], scripts=None)
    provisioning.preview(lab, STAGES, book)
    assert said[0] == ("plan: lab engine-lab has no VMs yet; `invoke up` would boot them, then make "
                       "this so (from the lab file alone):")
    provisioning.preview(lab, STAGES, Playbook(steps=book.steps, scripts=None, plan_note="eth1 is a guess"))
    assert said[len(STAGES) + 1].endswith("(from the lab file alone; eth1 is a guess):")
