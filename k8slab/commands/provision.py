"""`invoke provision` and `invoke plan` (provision --dry-run): the stages applied to (or shown
for) the copies' running VMs, each copy under its lock; a plan for a copy with no VMs yet is
the lab file's alone. The stage runner itself is k8slab.provisioning."""
from __future__ import annotations

from .. import provisioning
from ..vagrant import Vagrant
from .side_by_side import each, locked


def stages(lab, until: str = "") -> tuple:
    """The stages up to until, or the lab file's `until` (`up` provisions them too)."""
    return lab.stages_until(until) if until else lab.stages


def provision(lab, copies: list, playbook, until: str = "", dry_run: bool = False) -> list:
    """Apply (or show, with dry_run) the stages to the copies' running VMs; every step's result."""
    todo = stages(lab, until)

    def one(copy):
        if dry_run and not Vagrant(copy).created():   # nothing to read: show the lab file's plan
            provisioning.preview(copy, todo, playbook)
            return []
        with locked(copy, "plan" if dry_run else "provision"):
            return provisioning.provision(copy, todo, playbook, dry_run=dry_run)
    return [r for results in each(copies, one) for r in results]
