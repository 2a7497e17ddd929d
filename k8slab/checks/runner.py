"""`invoke verify`: run the checks of the applied stages on the lab and report them honestly.

Each check runs its command(s) on a node, hands the output to a judge (a pure function in
base.py, etcd.py, network.py or kube.py, tested on captured outputs), and records pass/fail
with the evidence and a hint. A failing check never stops the others. When nothing can be
checked (no VMs, VMs not running, no stage applied) verify says why and exits with its own code.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from enum import IntEnum

from .. import lifecycle, state, ui
from ..errors import CommandError, LabError
from ..remote import hosts_for
from ..ssh import open_connections
from ..vagrant import Vagrant
from . import base, etcd, kube, network, pods, printed
from .report import CheckResult, Report, write_reports


class Verdict(IntEnum):
    """`invoke verify`'s exit codes, defined here only (README's task table documents them)."""
    PASSED = 0
    FAILED = 1            # at least one check failed
    # Nothing was checked: no VMs, VMs not running, or no stage applied. Not 1, so a script can
    # tell "the lab is broken" from "there was no lab to look at"; not 2, the usual usage error.
    NOTHING_CHECKED = 3


# Check groups in the order they run, and the stage each belongs to. The kube and flannel
# groups need their services started, so they also wait for the `start` stage.
GROUPS = (("base", base.checks, ("base",)),
          ("etcd", etcd.checks, ("etcd",)),
          ("master", kube.master_checks, ("master", "start")),
          ("network", network.checks, ("network", "start")),
          ("nodes", kube.node_checks, ("nodes", "start")),
          # the tutorial's own lines as a student types them: they need the whole tutorial (start
          # is its last stage: applied, it means every stage was)
          (printed.GROUP, printed.checks, ("start",)))


def groups_for(applied, requested=None):
    """The check groups to run: those of the requested stages (a stage asks for the groups
    that wait for it too: `start` for the services it starts), else of the applied ones."""
    if requested:
        unknown = set(requested) - {s for g, _, needs in GROUPS for s in (g, *needs)}
        if unknown:
            raise LabError(f"verify: {', '.join(sorted(unknown))} is not a stage; choose from "
                           f"{', '.join(dict.fromkeys(s for g, _, needs in GROUPS for s in (g, *needs)))}")
        return [(g, fn) for g, fn, needs in GROUPS if g in requested or set(needs) & set(requested)]
    return [(g, fn) for g, fn, needs in GROUPS if all(s in applied for s in needs)]


class Checker:
    """Runs one check on one node and turns whatever happens into a CheckResult."""

    def __init__(self, lab, hosts, report, read=None):
        self.lab, self.hosts, self.report = lab, hosts, report
        self.read = read or {}   # node -> command -> Result, read ahead in one round trip

    def run(self, group, check, node, commands, judge, timeout=0, interval=3, on=None):
        """Run commands on node (a list, or a str for one), then judge(*results) -> (ok, detail,
        hint), or (ok, detail, hint, data) from a judge whose finding others read (report.py).

        With a timeout, repeat until the judge passes or the time is up (nodes take a while to
        register); the duration recorded is how long it took. With on, the commands run on that
        node instead, and the result is still node's (a pod's state, read with kubectl on the master).
        """
        host = self.hosts[on or node]
        host.step = f"verify/{check}"
        start = time.monotonic()
        cmds = [commands] if isinstance(commands, str) else list(commands)
        polls = 0
        while True:
            evidence = []
            try:
                # the first try from what was read ahead; a poll asks the node again
                ahead = self.read.get(node, {}) if polls == 0 else {}
                results = [ahead.get(c) or host.run(c, check=False) for c in cmds]
                evidence = [f"$ {r.command}\n{r.output}\n(exit {r.exited})" for r in results]
                passed, detail, hint, data = _four(judge(*results))
            except CommandError as e:
                passed, detail, hint, data = False, f"could not run: {e.command}", str(e), {}
            except ValueError as e:  # a parser met output it cannot read: that is evidence too
                passed, detail, hint, data = False, f"unexpected output: {e}", "", {}
            waited = time.monotonic() - start
            if passed or waited + interval > timeout:
                break
            if polls == 0 or int(waited) // 30 != int(waited + interval) // 30:
                # the user sees the wait, and what it waits for, every 30 s
                ui.info(f"  waiting for {check} on {node} ({detail}): {waited:.0f}s of {timeout:.0f}s")
            time.sleep(interval)
            polls += 1
        if timeout and time.monotonic() - start >= interval:
            ui.info(f"  {check} on {node}: {'passed' if passed else 'gave up'} after "
                    f"{time.monotonic() - start:.0f}s")
        return self.record(group, check, node, passed, detail, hint, "\n".join(evidence),
                           time.monotonic() - start, data)

    def record(self, group, check, node, passed, detail, hint="", evidence="", seconds=0.0,
               data=None):
        """Record a check decided from earlier results (e.g. across nodes: leases differ)."""
        result = CheckResult(group, check, node, passed, seconds, detail,
                             evidence if not passed else "", hint if not passed else "", data or {})
        self.report.add(result)
        return result


def _four(judged: tuple) -> tuple:
    """A judge's (ok, detail, hint) or (ok, detail, hint, data) as (ok, detail, hint, data)."""
    passed, detail, hint, *data = judged
    return passed, detail, hint, (data[0] if data else {})


class _Reader:
    """A Checker that runs nothing on the nodes: it judges each check from what was read so far,
    and collects the commands not read yet. A check that only runs after another has passed
    (flannel0 once the lease is known, the pings between leases) shows up in the round after the
    one that read what it depends on."""

    def __init__(self, read):
        self.read = read       # node -> command -> Result
        self.missing = {}      # node -> [command], in the order the checks ask

    def run(self, group, check, node, commands, judge, timeout=0, interval=3, on=None):
        cmds = [commands] if isinstance(commands, str) else list(commands)
        node = on or node
        have = self.read.get(node, {})
        if any(c not in have for c in cmds):
            seen = self.missing.setdefault(node, [])
            seen += [c for c in cmds if c not in have and c not in seen]
            return CheckResult(group, check, node, False, 0.0, "")
        try:
            passed, detail, *_ = judge(*[have[c] for c in cmds])
        except (CommandError, ValueError):
            passed, detail = False, ""
        return CheckResult(group, check, node, passed, 0.0, detail)

    def record(self, group, check, node, *args, **kwargs):
        return CheckResult(group, check, node, False, 0.0, "")


READ_ROUNDS = 3   # a healthy lab needs 2: everything, then the pings between the leases read


def read_ahead(lab, hosts, groups, seen=None) -> dict:
    """node -> command -> Result for what the groups' checks will run, read in rounds: each
    round asks every node at once, one round trip each, for what the checks asked and was not
    read yet (see _Reader). What is still missing after the last round is asked when checked.
    seen: what was read already in this run (node -> command -> Result), not asked again."""
    read: dict = {node: dict(results) for node, results in (seen or {}).items()}

    def one(node, commands):
        host = hosts[node]
        host.step = "verify/read ahead"
        # the tutorial's lines as a student types them: all in one login shell (printed.session)
        typed = [c for c in commands if c.startswith(printed.STUDENT)]
        plain = [c for c in commands if c not in typed]
        batch = plain + ([printed.session(typed)] if len(typed) > 1 else typed)
        results = host.run_many(batch)
        got = {c: r for c, r in zip(plain, results) if r.answered}
        if len(typed) > 1:
            got.update(printed.split_session(typed, results[-1]))
        elif typed and results[-1].answered:
            got[typed[0]] = results[-1]
        return node, got
    with ThreadPoolExecutor(max_workers=len(lab.nodes)) as pool:
        for _ in range(READ_ROUNDS):
            reader = _Reader(read)
            for _, checks in groups:
                checks(lab, reader)
            if not reader.missing:
                break
            answered = 0
            for node, got in pool.map(lambda item: one(*item), reader.missing.items()):
                read.setdefault(node, {}).update(got)
                answered += len(got)
            if not answered:   # the batches died: the checks ask their nodes themselves
                break
    return read


def nothing_to_check(lab, vm_states, groups) -> str:
    """Why verify can check nothing on this lab ("" when it can): Vagrant's machine states first,
    since no check runs without the VMs, then the groups the applied or given stages ask for."""
    states = {n.name: vm_states.get(n.name, "not_created") for n in lab.nodes}
    if all(s == "not_created" for s in states.values()):
        return "no VMs exist (run `invoke up`)"
    down = [f"{name} {s.replace('_', ' ')}" for name, s in states.items() if s != "running"]
    if down:
        return f"VMs not running: {', '.join(down)} (`invoke up` starts them)"
    if not groups:
        return "no stage applied yet (run `invoke up`, or name stages with --stage)"
    return ""


def verify(lab, stages=None, conns=None, vm_states=None, with_pods=False, seen=None) -> Verdict:
    """Run the checks of the applied (or the given) stages, and with with_pods the pods check
    (pods.py) after them; the Verdict is the exit code. seen: read_ahead's."""
    applied = state.applied_stages(lab)
    groups = groups_for(applied, stages)
    if with_pods and "start" not in applied:
        raise LabError(f"verify --pods: lab {lab.name} has not reached the start stage (pods need "
                       "every service running): `invoke up` first")
    why = nothing_to_check(lab, lifecycle.vm_states(lab) if vm_states is None else vm_states, groups)
    if why:
        ui.info(f"verify: nothing checked on lab {lab.name}: {why}")
        return Verdict.NOTHING_CHECKED
    owned = conns is None   # connections handed in are the caller's to close
    conns = conns or open_connections(lab, Vagrant(lab))
    hosts = hosts_for(lab, conns)
    report = Report(lab.name)
    ui.info(f"verify: lab {lab.name}, checks for {', '.join(g for g, _ in groups)}"
            + (f", {pods.GROUP}" if with_pods else ""))
    try:
        checker = Checker(lab, hosts, report, read_ahead(lab, hosts, groups, seen))
        for _, checks in groups:
            checks(lab, checker)
        if with_pods:   # never read ahead: it creates pods and waits for them
            pods.checks(lab, checker)
    finally:
        for c in conns.values() if owned else ():
            c.close()
    json_path, xml_path = write_reports(lab, report)
    state.record_verify(lab, len(report.results) - len(report.failed), len(report.failed),
                        report.started)
    ui.info(report.summary())
    if not with_pods and "start" in applied:
        ui.info("pods not checked (a pod on each node, pinging the other): `invoke verify --pods`")
    ui.info(f"reports: {json_path}, {xml_path}")
    return Verdict.FAILED if report.failed else Verdict.PASSED
