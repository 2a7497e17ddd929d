"""verify's verdict, its exit code, and why it checked nothing: for the engine's lab and a check
group of the test's own. `invoke verify` run as a user does, with the tutorial's checks:
tests/unit/tutorial/test_verify_exit_codes.py."""
from __future__ import annotations

from k8slab.checks import runner
from k8slab.checks.check import CheckSet, check
from k8slab.checks.runner import Verdict


def kernel(lab):
    yield [check("base", "kernel", n.name, "uname -s",
                 lambda r: (r.stdout.strip() == "Linux", r.stdout.strip(), "")) for n in lab.nodes]


CHECKS = CheckSet(groups=(("base", kernel, ("base",)),))


def test_the_exit_codes_are_distinct():
    assert (Verdict.PASSED, Verdict.FAILED, Verdict.NOTHING_CHECKED) == (0, 1, 3)


def test_nothing_to_check_reasons_in_order(lab):
    running = {n.name: "running" for n in lab.nodes}
    groups = runner.groups_for(CHECKS.groups, ["base"])
    assert runner.nothing_to_check(lab, {}, groups) == "no VMs exist (run `invoke up`)"
    assert runner.nothing_to_check(lab, {**running, "k8s-node1": "saved"}, []).startswith(
        "VMs not running: k8s-node1 saved")
    assert runner.nothing_to_check(lab, running, []).startswith("no stage applied yet")
    assert runner.nothing_to_check(lab, running, groups) == ""
