"""Checkpoints of a copy after each stage, and `invoke reset --to STAGE` back to one.

A checkpoint is one internal libvirt snapshot per VM of the copy, all named k8slab-<stage>,
taken while every VM of the copy is paused: etcd's data on the master and the nodes' view of
it come from one moment. What the lab folder knew at that moment (the applied stages) is kept
beside them in checkpoints.json, so after a reset the VMs, `status` and `verify` agree.

`up` keeps a checkpoint after each stage listed in the lab file's `checkpoints:`; a stage that
changed nothing keeps its existing checkpoint (a second `up` takes no new snapshots).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from . import libvirt, night, state, ui
from .errors import LabError
from .remote import hosts_for
from .ssh import open_connections
from .vagrant import Vagrant
from .workdir import ensure_workdir, write_atomic

FILE = "checkpoints.json"


def snapshot_name(stage: str) -> str:
    return f"k8slab-{stage}"


def _path(lab) -> Path:
    return ensure_workdir(lab) / FILE


def recorded(lab) -> dict:
    """stage -> {"at", "stages", "disk_bytes", "seconds"} for the checkpoints this copy has."""
    try:
        return json.loads(_path(lab).read_text())
    except (OSError, ValueError):
        return {}


def _save(lab, data: dict) -> None:
    write_atomic(_path(lab), json.dumps(data, indent=2, sort_keys=True) + "\n")


def forget(lab) -> None:
    """After destroy (Vagrant deletes the VMs' snapshots with them)."""
    _path(lab).unlink(missing_ok=True)


def _domains(lab) -> dict:
    doms = libvirt.domains(lab)
    missing = [n.name for n in lab.nodes if n.name not in doms]
    if missing:
        raise LabError(f"lab {lab.name}: no VM for {', '.join(missing)} (run `invoke up` first)")
    return doms


def keep(lab, stage: str, changed: int) -> None:
    """After `up` applied stage: take its checkpoint if the lab file asks for one and the
    stage changed something or has none yet."""
    if stage not in lab.checkpoints:
        return
    doms = _domains(lab)
    have = recorded(lab)
    name = snapshot_name(stage)
    if not changed and stage in have and all(name in s for s in libvirt.each(
            doms, lambda _, d: libvirt.snapshots(d)).values()):
        ui.info(f"checkpoint {stage}: kept (the stage changed nothing)")
        return
    start = time.monotonic()
    before = sum(libvirt.each(doms, lambda _, d: libvirt.disk_bytes(d)).values())
    libvirt.each(doms, lambda _, d: libvirt.suspend(d))
    try:
        libvirt.each(doms, lambda node, d: libvirt.snapshot_create(
            d, name, f"k8s-lab {lab.name}: {node} after stage {stage}"))
    finally:
        libvirt.each(doms, lambda _, d: libvirt.resume(d))
    seconds = time.monotonic() - start
    grown = sum(libvirt.each(doms, lambda _, d: libvirt.disk_bytes(d)).values()) - before
    # replacing a checkpoint frees the old one's space inside the images for the new one, so
    # the images grow by the difference only: the new one's cost is the old one's plus that
    old = have.get(stage, {}).get("disk_bytes")
    cost = max(0, grown) + (old or 0)
    have[stage] = {"at": time.time(), "stages": state.applied_stages(lab),
                   "disk_bytes": cost, "seconds": round(seconds, 1)}
    _save(lab, have)
    ui.info(f"checkpoint {stage}: taken in {seconds:.1f}s, {cost / 2**20:.0f} MiB of disk ("
            + ("replacing the last one, whose space it reuses; " if old is not None else "")
            + f"{len(doms)} VMs paused together)")


def reset(lab, stage: str, after=None) -> float:
    """Put the copy back to the moment stage finished; returns the seconds it took.
    after(conns): run over the connections that stepped the clocks (the students' keys)."""
    have = recorded(lab)
    if stage not in have:
        kept = ", ".join(s for s in have) or "none"
        todo = "run `invoke up`" if stage in lab.checkpoints else \
            f"list it under `checkpoints:` in {lab.path.name}, then run `invoke up`"
        raise LabError(f"lab {lab.name}: no checkpoint for stage {stage!r} (checkpoints kept: "
                       f"{kept}); {todo} to take it (`up` keeps one when the stage is applied)")
    doms = _domains(lab)
    name = snapshot_name(stage)
    lacking = [n for n, snaps in libvirt.each(doms, lambda _, d: libvirt.snapshots(d)).items()
               if name not in snaps]
    if lacking:
        raise LabError(f"lab {lab.name}: the VMs of {', '.join(lacking)} have no snapshot {name} "
                       f"(recreated since?); run `invoke up` to take the checkpoints again")
    start = time.monotonic()
    libvirt.each(doms, lambda _, d: libvirt.snapshot_revert(d, name))
    libvirt.each(doms, lambda _, d: libvirt.resume(d))   # together, as they were paused
    reverted = time.monotonic() - start
    late = night.clocks_by_agent(lab)
    if late or after:   # SSH only where the agent could not, or for the students' keys
        _step_clocks(lab, late, after)
    state.reset_to(lab, have[stage]["stages"], f"reset to {stage}")
    seconds = time.monotonic() - start
    ui.info(f"lab {lab.name}: reset to {stage} in {seconds:.1f}s (VMs reverted in "
            f"{reverted:.1f}s, clocks stepped{' over SSH on ' + ', '.join(late) if late else ''}; checkpoint of "
            f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(have[stage]['at']))})")
    return seconds


def _step_clocks(lab, late, after=None) -> None:
    """Over SSH: the clocks of the nodes in late (night.step_clocks), then after(conns)."""
    conns = open_connections(lab, Vagrant(lab))
    try:
        hosts = hosts_for(lab, conns)
        night.step_clocks({n: hosts[n] for n in late}, "reset/clock")
        if after:
            after(conns)
    finally:
        for c in conns.values():
            c.close()
