"""The tasks that chain others under the lab's lock: `up` (preflight, boot, provision, verify)
and `provision`. The playbook (what to provision) is the caller's: tasks.py hands in provision's.
"""
from __future__ import annotations

from typing import Optional

from . import doctor, lifecycle, provisioning, ui
from .checks import runner
from .errors import LabError
from .lock import lab_lock


def stages(lab, until: str = "") -> tuple:
    """The stages up to until, or the lab file's `until`."""
    if lab.copies > 1:
        # allocated (k8slab.allocate) but not built yet: one lab where N were asked for would
        # look like success
        raise LabError(f"{lab.path}: copies: {lab.copies}: the tasks build one copy so far; "
                       f"set copies: 1 (the copies of a class are a later step)")
    return lab.stages_until(until) if until else lab.stages


def up(lab, playbook, until: str = "", verify: bool = True) -> Optional[runner.Verdict]:
    """Boot and provision the lab, then verify it; the Verdict (None without verify)."""
    todo = stages(lab, until)  # a wrong --until is refused before anything runs
    with lab_lock(lab, "up", log=ui.info):
        doctor.preflight(lab, lifecycle.provider(lab))  # the host's problems, before any change
        lifecycle.boot(lab)
        provisioning.provision(lab, todo, playbook)
    if not verify:
        return None
    # `vagrant up` just brought every machine up and provisioning reached each one: asking
    # Vagrant for their states again would only cost another `vagrant status`
    return runner.verify(lab, vm_states={n.name: "running" for n in lab.nodes})


def provision(lab, playbook, until: str = "", dry_run: bool = False) -> list:
    """Apply (or show, with dry_run) the stages to running VMs; every step's result."""
    todo = stages(lab, until)
    with lab_lock(lab, "plan" if dry_run else "provision", log=ui.info):
        return provisioning.provision(lab, todo, playbook, dry_run=dry_run)


def destroy(lab) -> bool:
    """Delete the lab's VMs, never while another task runs on it; False if there was nothing."""
    with lab_lock(lab, "destroy", log=ui.info):
        return lifecycle.destroy(lab)
