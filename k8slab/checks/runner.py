"""`invoke verify`: run the checks of the applied stages on the lab and report them honestly.

Each check reads its facts on a node (k8slab/facts/), hands their values to a judge (a pure
function of the tutorial's, tested on captured outputs: provision/checks/), and records pass/fail with the
evidence and a hint. A failing check never stops the others. When nothing can be
checked (no VMs, VMs not running, no stage applied) verify says why and exits with its own code.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from enum import IntEnum
from typing import Callable

from .. import lifecycle, state, ui
from ..errors import CommandError, LabError
from ..remote import hosts_for
from ..ssh import open_connections
from ..vagrant import Vagrant
from . import typed
from .check import Check, CheckSet
from .check import check as make_check
from .report import CheckResult, Report, write_reports


class Verdict(IntEnum):
    """`invoke verify`'s exit codes, defined here only (README's task table documents them)."""
    PASSED = 0
    FAILED = 1            # at least one check failed
    # Nothing was checked: no VMs, VMs not running, or no stage applied. Not 1, so a script can
    # tell "the lab is broken" from "there was no lab to look at"; not 2, the usual usage error.
    NOTHING_CHECKED = 3


def groups_for(groups, applied, requested=None):
    """The check groups (a CheckSet's) to run: those of the requested stages (a stage asks for
    the groups that wait for it too: `start` for the services it starts), else of the applied ones."""
    if requested:
        unknown = set(requested) - {s for g, _, needs in groups for s in (g, *needs)}
        if unknown:
            raise LabError(f"verify: {', '.join(sorted(unknown))} is not a stage; choose from "
                           f"{', '.join(dict.fromkeys(s for g, _, needs in groups for s in (g, *needs)))}")
        return [(g, fn) for g, fn, needs in groups if g in requested or set(needs) & set(requested)]
    return [(g, fn) for g, fn, needs in groups if all(s in applied for s in needs)]


class Checker:
    """Judges one check on one node and turns whatever happens into a CheckResult."""

    def __init__(self, lab, hosts, report, read=None):
        self.lab, self.hosts, self.report = lab, hosts, report
        self.read = {} if read is None else read   # node -> command -> Result, read ahead

    def run(self, group, check, node, asks, judge, timeout=0, interval=3, on=None):
        """check(...) judged (judge_one) and recorded in the report; the pods check asks so."""
        result = self.judge_one(make_check(group, check, node, asks, judge, timeout, on or ""),
                                interval)
        self.report.add(result)
        return result

    def judge_one(self, c: Check, interval=3, done=()) -> CheckResult:
        """Judge c from what was read ahead, asking its node for what was not.

        With a timeout, repeat until the judge passes or the time is up (nodes take a while to
        register); the duration recorded is how long it took."""
        timeout = c.timeout(done) if callable(c.timeout) else c.timeout
        host = self.hosts.get(c.on or c.node)
        if host is not None:
            host.step = f"verify/{c.name}"
        start = time.monotonic()
        polls = 0
        while True:
            evidence = []
            try:
                # the first try from what was read ahead; a poll asks the node again
                ahead = self.read.get(c.on or c.node, {}) if polls == 0 else {}
                results = [ahead.get(a.command) or host.run(a.command, check=False) for a in c.asks]
                evidence = [f"$ {r.command}\n{r.output}\n(exit {r.exited})" for r in results]
                passed, detail, hint, data = _four(c.judge(*(a.value(r) for a, r in zip(c.asks, results))))
            except CommandError as e:
                passed, detail, hint, data = False, f"could not run: {e.command}", str(e), {}
            except ValueError as e:  # a parser met output it cannot read: that is evidence too
                passed, detail, hint, data = False, f"unexpected output: {e}", "", {}
            waited = time.monotonic() - start
            if passed or waited + interval > timeout:
                break
            if polls == 0 or int(waited) // 30 != int(waited + interval) // 30:
                # the user sees the wait, and what it waits for, every 30 s
                ui.info(f"  waiting for {c.name} on {c.node} ({detail}): {waited:.0f}s of {timeout:.0f}s")
            time.sleep(interval)
            polls += 1
        if timeout and time.monotonic() - start >= interval:
            ui.info(f"  {c.name} on {c.node}: {'passed' if passed else 'gave up'} after "
                    f"{time.monotonic() - start:.0f}s")
        return CheckResult(c.group, c.name, c.node, passed, time.monotonic() - start, detail,
                           "\n".join(evidence) if not passed else "", hint if not passed else "", data)


def _four(judged: tuple) -> tuple:
    """A judge's (ok, detail, hint) or (ok, detail, hint, data) as (ok, detail, hint, data)."""
    passed, detail, hint, *data = judged
    return passed, detail, hint, (data[0] if data else {})


def each_check(checks, lab, judge: Callable) -> list:
    """Every result of one group's checks(lab) generator, each Check judged by judge(check, done)
    (done: the group's results so far) in the order yielded. Tests drive a group so."""
    done: list = []
    gen = checks(lab)
    try:
        batch = next(gen)
        while True:
            results = []
            for c in batch:
                results.append(judge(c, done + results))
            done += results
            batch = gen.send(results)
    except StopIteration:
        return done


def _read(hosts, pool, wanted: dict, read: dict) -> None:
    """Read each node's facts in wanted (node -> [Asked]) at once, one round trip each, into
    read (node -> command -> Result). A node's lines typed as a student share one login shell
    (typed.session)."""
    def one(node, asks):
        host = hosts[node]
        host.step = "verify/read ahead"
        lines = [a.args[0] for a in asks if a.fact is typed.TYPED]
        plain = [a.command for a in asks if a.fact is not typed.TYPED]
        batch = plain + ([typed.session(lines)] if len(lines) > 1 else [typed.as_student(x) for x in lines])
        results = host.run_many(batch)
        got = {c: r for c, r in zip(plain, results) if r.answered}
        if len(lines) > 1:
            got.update(typed.split_session(lines, results[-1]))
        elif lines and results[-1].answered:
            got[results[-1].command] = results[-1]
        return node, got
    for node, got in pool.map(lambda item: one(*item), wanted.items()):
        read.setdefault(node, {}).update(got)


def run_checks(lab, hosts, groups, report, seen=None) -> dict:
    """Run the groups' checks: each round reads, one round trip per node, every command the
    groups' pending checks ask that was not read yet (seen: read already in this run), then
    judges them group by group and asks each group for its next checks. The report gets the
    results in group order. Returns what was read (node -> command -> Result)."""
    read: dict = {node: dict(results) for node, results in (seen or {}).items()}
    checker = Checker(lab, hosts, report, read)
    live = []     # [name, generator, pending checks, results not yet in the report]
    for name, checks in groups:
        gen = checks(lab)
        live.append([name, gen, next(gen, None) or [], []])
    done: list = []
    with ThreadPoolExecutor(max_workers=max(1, len(hosts))) as pool:
        while any(pending for _, _, pending, _ in live):
            wanted: dict = {}
            for _, _, pending, _ in live:
                for c in pending:
                    node = c.on or c.node
                    have, ask = read.get(node, {}), wanted.setdefault(node, {})
                    ask.update({a.command: a for a in c.asks if a.command not in have})
            _read(hosts, pool, {n: list(asks.values()) for n, asks in wanted.items() if asks}, read)
            for entry in live:
                _, gen, pending, held = entry
                results = []
                for c in pending:
                    results.append(checker.judge_one(c, done=done + results))
                done += results
                held += results
                try:
                    entry[2] = gen.send(results) if pending else []
                except StopIteration:
                    entry[2] = []
            # the report in group order: a group's results once every group before it is done
            for entry in live:
                for r in entry[3]:
                    report.add(r)
                entry[3] = []
                if entry[2]:
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


def verify(lab, checks: CheckSet, stages=None, conns=None, vm_states=None, requested=False,
           seen=None) -> Verdict:
    """Run the checks (a tutorial's CheckSet) of the applied (or the given) stages, and with
    requested its checks run on request after them; the Verdict is the exit code. seen: run_checks'."""
    applied = state.applied_stages(lab)
    groups = groups_for(checks.groups, applied, stages)
    extra = checks.on_request
    if requested and extra and extra.needs not in applied:
        raise LabError(extra.refused.format(lab=lab.name))
    why = nothing_to_check(lab, lifecycle.vm_states(lab) if vm_states is None else vm_states, groups)
    if why:
        ui.info(f"verify: nothing checked on lab {lab.name}: {why}")
        return Verdict.NOTHING_CHECKED
    owned = conns is None   # connections handed in are the caller's to close
    conns = conns or open_connections(lab, Vagrant(lab))
    hosts = hosts_for(lab, conns)
    report = Report(lab.name)
    ui.info(f"verify: lab {lab.name}, checks for {', '.join(g for g, _ in groups)}"
            + (f", {extra.group}" if requested and extra else ""))
    try:
        read = run_checks(lab, hosts, groups, report, seen)
        if requested and extra:   # never read ahead: they change the lab and wait
            extra.checks(lab, Checker(lab, hosts, report, read))
    finally:
        for c in conns.values() if owned else ():
            c.close()
    json_path, xml_path = write_reports(lab, report)
    state.record_verify(lab, len(report.results) - len(report.failed), len(report.failed),
                        report.started)
    ui.info(report.summary())
    if extra and not requested and extra.needs in applied:
        ui.info(extra.reminder)
    ui.info(f"reports: {json_path}, {xml_path}")
    return Verdict.FAILED if report.failed else Verdict.PASSED
