"""`invoke verify`: the checks of each copy (k8slab.checks.runner), the copies side by side,
the class's verdict the worst copy's. Verify changes no VM: it takes no copy's lock."""
from __future__ import annotations

from ..checks import runner
from .side_by_side import each, worst


def verify(copies: list, playbook, stages=None, with_pods: bool = False) -> runner.Verdict:
    """playbook: the tutorial's (its checks)."""
    return worst(each(copies, lambda copy: runner.verify(copy, playbook.checks, stages=stages,
                                                         requested=with_pods)))
