"""Every promise a stage makes has a check: each thing a stage writes or starts (built from the
real steps of provision/stages.py for the shipped lab.yaml) is covered by a verify check named in
provision/checks/coverage.py, or listed there as deliberately not checked, with the reason.

A new step without a check fails here. So does a claim about a check that does not exist, or
about a thing no stage provides.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from k8slab.checks.report import CheckResult
from tests.unit.tutorial.answers import drive
from provision.checks import coverage
from provision.checks import CHECKS
from provision.lab import load_lab
from k8slab.facts import Facts
from provision.platforms import PLATFORMS
from k8slab.remote import Result
from k8slab.steps import FileStep, PackageStep, ServiceStep, ShellStep
from provision.etcd_key import EtcdKeyStep
from provision.infra_image import InfraImageStep
from provision.stages import steps_for

ROOT = Path(__file__).resolve().parents[3]
CAPTURED = ROOT / "tests" / "captured"


def lab_for(tmp_path, platform):
    """The shipped lab on `platform`, up to the last stage that platform runs."""
    last = PLATFORMS[platform].stages[-1]
    text = (ROOT / "lab.yaml").read_text().replace("platform: centos7", f"platform: {platform}") \
        .replace("until: start", f"until: {last}")
    (tmp_path / platform).mkdir()
    (tmp_path / platform / "lab.yaml").write_text(text)
    return load_lab(tmp_path / platform / "lab.yaml")


@pytest.fixture(params=["centos7", "debian12"])
def lab(request, tmp_path):
    return lab_for(tmp_path, request.param)


def things_of(step):
    """What one step writes or starts, as (kind, name); an unknown kind of step fails the test."""
    if isinstance(step, FileStep):
        return [("file", step.path)]
    if isinstance(step, ServiceStep):
        return [("service", s) for s in step.services]
    if isinstance(step, EtcdKeyStep):
        return [("etcd key", step.key)]
    if isinstance(step, ShellStep):
        return [("shell", step.name)]
    if isinstance(step, PackageStep):
        return [("package", p) for p in step.packages]
    if isinstance(step, InfraImageStep):
        return [("image", step.image)]
    raise AssertionError(f"a new kind of step, {type(step).__name__}: say in this test what it "
                         f"provides and in provision/checks/coverage.py what checks it")


def provided(lab):
    """(stage, kind, name) of everything the lab's stages write or start, on any node."""
    # the facts are only needed inside file transforms, never while building the steps
    return {(stage, *thing) for stage in lab.stages for node in lab.nodes
            for step in steps_for(stage, lab, node, Facts()) for thing in things_of(step)}


class NameRecorder:
    """runner.Checker's interface: records each check's name; answers every command with
    captured healthy output where a later check depends on it (the flannel leases)."""

    def __init__(self):
        self.names = set()

    def run(self, group, check, node, commands, judge, timeout=0, interval=3):
        self.names.add(check)
        cmds = [commands] if isinstance(commands, str) else list(commands)
        answers = [Result(c, 0, (CAPTURED / "tutorial-flannel-subnet.env").read_text()
                          if "subnet.env" in c else "", "") for c in cmds]
        try:
            passed, _, _, *data = judge(*answers)
        except ValueError:
            passed, data = False, []
        return CheckResult(group, check, node, passed, 0.0, "", data=data[0] if data else {})


def check_names(lab):
    recorder = NameRecorder()
    for _, checks, _ in CHECKS.groups:
        drive(checks, lab, recorder)
    return recorder.names


def test_every_thing_a_stage_provides_is_checked_or_excused(lab):
    covered, excused = coverage.covers(lab), coverage.not_checked(lab)
    uncovered = sorted(t for t in provided(lab) if not covered.get(t) and t not in excused)
    assert uncovered == [], f"no check behind: {uncovered}"


def test_coverage_names_only_checks_that_exist(lab):
    names = check_names(lab)
    claimed = {c for checks in coverage.covers(lab).values() for c in checks}
    assert claimed - names == set()


def test_the_recorder_sees_the_conditional_checks(lab):
    # flannel0 / docker0 / ping run only for nodes with a lease: the recorder must reach them
    assert {"flannel0 address", "docker0 on the lease", "lab names resolve"} <= check_names(lab)


def test_no_claim_or_excuse_is_about_a_thing_no_stage_provides(tmp_path):
    labs = [lab_for(tmp_path, p) for p in ("centos7", "debian12")]
    everything = set().union(*(provided(lab) for lab in labs))
    stale = {t for lab in labs for t in (*coverage.covers(lab), *coverage.not_checked(lab))} - everything
    assert stale == set()


def test_a_thing_is_either_covered_or_excused_not_both(lab):
    assert set(coverage.covers(lab)) & set(coverage.not_checked(lab)) == set()
    assert all(reason.strip() for reason in coverage.not_checked(lab).values())


def test_the_yum_repo_file_is_the_documented_example_of_an_excuse(tmp_path):
    lab = lab_for(tmp_path, "centos7")
    assert ("base", "file", "/etc/yum.repos.d/CentOS-Base.repo") in provided(lab)
    assert "only yum reads it" in coverage.not_checked(lab)[("base", "file", "/etc/yum.repos.d/CentOS-Base.repo")]
