"""Run the stages: nodes in parallel within a stage, a stage only after the previous one
finished everywhere; a failing node stops, the others finish the stage, one report at the end.

What to run is handed in as a Playbook (k8s-lab's is provision.TUTORIAL), as pyinfra's
operations are handed to its connectors: this runner knows no stage, file or script by name.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Callable, Optional

from . import facts as node_facts
from . import state, ui
from .errors import CommandError, ProvisionError
from .remote import hosts_for
from .ssh import open_connections
from .steps import Context
from .vagrant import Vagrant
from .workdir import ensure_workdir, write_atomic


@dataclass(frozen=True)
class Playbook:
    """What a tutorial hands the engine's tasks: the steps `up` and `provision` run, the checks
    `verify` runs (and `status` shows), and the host checks `doctor` and `up` run before any VM
    boots for what its own steps need of this host."""
    steps: Callable   # (stage, lab, node, facts.Facts) -> [steps.Step], in order
    scripts: object   # the folder (a Path or importlib.resources Traversable) of the ShellSteps' scripts
    checks: object = None   # verify's checks.check.CheckSet
    # (lab) -> [doctor.Finding]: what the steps of the lab's stages (lab.stages) need of this
    # host, e.g. a program a step builds here; run_doctor adds them after memory, disk and CPUs
    preflight: Optional[Callable] = None
    # what `invoke plan` adds to its first line, in its parentheses, on a lab with no VMs: how to
    # read what the steps show when the facts are a fresh box's (private_iface eth1)
    plan_note: str = ""


@dataclass
class StepResult:
    stage: str
    node: str
    step: str
    result: str          # ok | changed | would change | failed
    detail: str
    seconds: float
    commands: list
    diff: str = ""


class _Run:
    """What one provisioning run knows: per node its facts, its steps of every stage (built
    before anything runs) and what their facts read in the node's one batch. The batch holds
    while nothing changed anywhere (a no-op run reads every node once, and that is all); after
    the first change, steps read the host themselves, as the change may concern them."""

    def __init__(self, lab, stages, playbook, dry_run):
        self.lab, self.stages, self.playbook, self.dry_run = lab, stages, playbook, dry_run
        self.facts = {n.name: node_facts.NodeFacts() for n in lab.nodes}
        self.steps = {n.name: {s: playbook.steps(s, lab, n, self.facts[n.name]) for s in stages}
                      for n in lab.nodes}
        self.read = {n.name: {} for n in lab.nodes}   # node -> command -> Result, the one batch
        # every systemd unit a node's steps ask about: their facts ask for all at once
        self.units = {n.name: tuple(dict.fromkeys(u for s in stages for step in self.steps[n.name][s]
                                                  for u in step.units)) for n in lab.nodes}
        self.fresh = True

    def context(self, node) -> Context:
        return Context(dry_run=self.dry_run, scripts=self.playbook.scripts, units=self.units[node.name])

    def gather(self, node, host) -> None:
        """One round trip: the node's facts and every fact every step of the run asks, each
        distinct one once (the service steps share theirs)."""
        ctx = self.context(node)
        asked = [*node_facts.ASKS, *(a for stage in self.stages for step in self.steps[node.name][stage]
                                     for a in step.asks(ctx))]
        commands = list(dict.fromkeys(a.command for a in asked))
        host.step = "facts"
        results = dict(zip(commands, host.run_many(commands)))
        self.facts[node.name].current = node_facts.from_results(host, [results[a.command] for a in node_facts.ASKS])
        self.read[node.name] = {c: r for c, r in results.items() if r.answered}

    def results(self, node, step, ctx):
        """The Results of step's facts from the node's batch; None (read them now) once anything
        changed, or when one was not answered."""
        got = [self.read[node.name].get(a.command) for a in step.asks(ctx)] if self.fresh else [None]
        return None if None in got else got


def _run_node(stage, node, host, run: _Run):
    """The stage's steps on one node, in order; stops at the node's first failure.

    The node's facts are gathered again before each stage while incomplete (the base stage may
    only now have raised the private IP)."""
    ctx = run.context(node)
    results = []
    try:
        if not run.facts[node.name].complete:
            host.step = f"{stage}/facts"
            run.facts[node.name].current = node_facts.gather(host)
    except CommandError as e:
        return results, e
    for step in run.steps[node.name][stage]:
        host.step = f"{stage}/{step.name}"
        start = time.monotonic()
        try:
            plan = step.plan(host, ctx, run.results(node, step, ctx))
            if plan.changes and not run.dry_run:
                run.fresh = False     # from here on every step reads what it needs itself
                plan.apply()
        except CommandError as e:
            results.append(StepResult(stage, node.name, step.name, "failed", str(e.command),
                                      time.monotonic() - start, []))
            return results, e
        outcome = "ok" if not plan.changes else ("would change" if run.dry_run else "changed")
        results.append(StepResult(stage, node.name, step.name, outcome, plan.note,
                                  time.monotonic() - start, plan.commands, plan.diff))
    return results, None


def _print_dry_run(results):
    for r in results:
        if not (r.diff or r.commands):
            continue
        ui.info(f"[bold]{r.node}[/bold] {r.stage}/{r.step}: {r.detail}")
        if r.diff:
            ui.say(r.diff, markup=False, highlight=False, end="")
        for c in r.commands:
            ui.say(f"  would run: {c}", markup=False, highlight=False)


def provision(lab, stages, playbook: Playbook, dry_run: bool = False, conns=None,
              after_stage: Callable = None, seen: dict = None) -> list[StepResult]:
    """Apply (or with dry_run, show) the playbook's stages; returns every step's result.
    after_stage(stage, changed): called once a stage is applied everywhere (up's checkpoints).
    seen: filled with node -> command -> Result of the one batch per node when the run changed
    nothing, so still true (up's verify reads none of those again)."""
    run = _Run(lab, stages, playbook, dry_run)   # the steps are built before anything runs
    owned = conns is None   # connections handed in are the caller's to close
    conns = conns or open_connections(lab, Vagrant(lab))
    hosts = hosts_for(lab, conns)
    everything = []
    try:
        with ThreadPoolExecutor(max_workers=len(lab.nodes)) as pool:
            start = time.monotonic()
            list(pool.map(lambda n: run.gather(n, hosts[n.name]), lab.nodes))
            ui.info(f"read every node's state in one round trip each ({time.monotonic() - start:.1f}s)")
            for stage in stages:
                start = time.monotonic()
                futures = {n.name: pool.submit(_run_node, stage, n, hosts[n.name], run)
                           for n in lab.nodes}
                failures, results = [], []
                for name, fut in futures.items():
                    res, err = fut.result()
                    results += res
                    if err:
                        failures.append(err)
                everything += results
                _report_stage(stage, results, time.monotonic() - start, dry_run)
                if failures:
                    _save_report(lab, everything, dry_run)
                    raise ProvisionError(failures)
                if not dry_run:
                    state.mark_applied(lab, stage)
                    if after_stage:
                        after_stage(stage, sum(r.result == "changed" for r in results))
    finally:
        for c in conns.values() if owned else ():
            c.close()
    _save_report(lab, everything, dry_run)
    if seen is not None and run.fresh and not dry_run:
        seen.update(run.read)
    changed = sum(r.result in ("changed", "would change") for r in everything)
    verb = "would change" if dry_run else "changed"
    ui.info(f"provision: {len(everything)} steps, {changed} {verb}, "
            f"{len(everything) - changed} ok (stages: {', '.join(stages)})")
    if dry_run:
        _print_dry_run(everything)
    return everything


def preview(lab, stages, playbook: Playbook) -> None:
    """`invoke plan` on a lab with no VMs: what `up` would make so on each node, stage by stage,
    from the lab file alone. What a step would read on the node is a fresh box's: the private
    network on eth1, where Vagrant boxes put it (the playbook's plan_note says what that means
    for its steps)."""
    note = f"; {playbook.plan_note}" if playbook.plan_note else ""
    ui.info(f"plan: lab {lab.name} has no VMs yet; `invoke up` would boot them, then make this so "
            f"(from the lab file alone{note}):")
    for stage in stages:
        ui.info(f"[bold]stage {stage}[/bold]")
        alike: dict = {}   # the same lines on several nodes are shown once, for all of them
        for node in lab.nodes:
            facts = node_facts.Facts(private_iface="eth1")
            lines = tuple(line for step in playbook.steps(stage, lab, node, facts) for line in step.preview())
            if lines:
                alike.setdefault(lines, []).append(node.name)
        for lines, names in alike.items():
            ui.say(f"  {', '.join(names)}:", markup=False)
            for line in lines:
                ui.say(f"    {line}", markup=False, highlight=False)


def _report_stage(stage, results, seconds, dry_run):
    rows = [(r.node, r.step, r.result, f"{r.seconds:.1f}s", r.detail) for r in results]
    ui.table(f"stage {stage} ({seconds:.1f}s){' — dry run' if dry_run else ''}",
             ["node", "step", "result", "time", "detail"], rows)


def _save_report(lab, results, dry_run):
    name = "plan.json" if dry_run else "provision.json"
    write_atomic(ensure_workdir(lab) / name,
                 json.dumps([asdict(r) for r in results], indent=2) + "\n")
