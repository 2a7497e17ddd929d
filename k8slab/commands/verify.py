"""`invoke verify`: the checks of each copy (k8slab.checks.runner), the copies side by side,
the class's verdict the worst copy's. Verify changes no VM: it takes no copy's lock."""
from __future__ import annotations

from ..checks import runner
from .side_by_side import each, worst


def verify(copies: list, stages=None, with_pods: bool = False) -> runner.Verdict:
    return worst(each(copies, lambda copy: runner.verify(copy, stages=stages, with_pods=with_pods)))
