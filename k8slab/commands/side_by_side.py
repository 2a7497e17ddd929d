"""What every task shares when it works on a class (k8slab.copies): each copy under its own
lock, the copies side by side, their outcomes made one (the copies that failed, the worst
verdict), and the class's gateway brought up to date after them."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable, Optional

from .. import ui
from ..checks.runner import Verdict
from ..errors import LabError
from ..gateway import service as gateway_service
from ..lock import lab_lock
from . import place


@contextmanager
def locked(copy, task: str):
    """The copy's lock for the block, as `invoke TASK` (a refusal names it); the lock's own notes
    (a stale lock taken over) are shown as the task's."""
    with lab_lock(copy, task, log=ui.info) as path:
        yield path


def each(copies: list, fn: Callable, reach: bool = True) -> list:
    """fn(copy) for every copy, in order of the copies. One copy runs as a lab always has; several
    run side by side (a VM boot is mostly waiting), every line they print prefixed with the
    copy's name, each to its end; then one error lists the copies that failed. With reach, a
    copy whose server does not answer fails at once, naming the server and why."""
    def checked(copy):
        if reach:
            place.check_reachable(copy)
        return fn(copy)
    if len(copies) == 1:
        return [checked(copies[0])]

    def run(copy):
        with ui.prefix(copy.name):
            try:
                return checked(copy), None
            except LabError as e:
                ui.say(f"error: {e}", markup=False)
                return None, e
    with ThreadPoolExecutor(max_workers=len(copies)) as pool:
        outcomes = list(pool.map(run, copies))
    failed = [(c, e) for c, (_, e) in zip(copies, outcomes) if e is not None]
    if failed:
        raise LabError(f"{len(failed)} of {len(copies)} copies failed ("
                       + ", ".join(c.name for c, _ in failed) + "); each one's error is above, "
                       "prefixed with its name. The other copies finished.")
    return [r for r, _ in outcomes]


def worst(verdicts) -> Optional[Verdict]:
    """The class's verdict: a failed check anywhere, else a copy with nothing checked, else passed."""
    seen = [v for v in verdicts if v is not None]
    for v in (Verdict.FAILED, Verdict.NOTHING_CHECKED):
        if v in seen:
            return v
    return Verdict.PASSED if seen else None


def with_gateway(lab, fn):
    """fn(), then the gateway brought up to date with what fn did to the copies' VMs, also when
    some copies failed (the others' students still get in)."""
    if lab.gateway is None:
        return fn()
    try:
        out = fn()
    except BaseException:
        try:
            gateway_service.refresh(lab)
        except LabError as e:   # the copies' own error is the one to see; this one too
            ui.say(f"error: gateway: {e}", markup=False)
        raise
    gateway_service.refresh(lab)
    return out
