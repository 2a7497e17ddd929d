"""A class stopped for the night and brought back: `invoke suspend`, and `up` resuming.

libvirt: every running VM of the copy is saved to disk together (libvirt's managed save: its
memory and devices written to a file, its QEMU stopped, the host's memory freed); a start
restores it as it was, processes and all, without a boot. A VM that cannot be saved is shut down
cleanly instead (a boot in the morning, then `up` as usual). VirtualBox: `vagrant suspend`
(its own saved state). Checkpoints stay: they are the disk's internal snapshots.

A restored guest's clock is the evening's: `up` steps it to now before anything else runs.
"""
from __future__ import annotations

import time

from . import libvirt, state, ui
from .errors import CommandError
from .providers import resolve_provider
from .vagrant import Vagrant


def suspend(lab) -> dict:
    """node -> how it was stopped: "saved", "shut down" (the fallback), or its state when it was
    not running. Returns at once for a copy with no VM running."""
    start = time.monotonic()
    if resolve_provider(lab) != "libvirt":
        Vagrant(lab).suspend()
        out = {n.name: "saved" for n in lab.nodes}
    else:
        doms = libvirt.domains(lab)
        states = libvirt.each(doms, lambda _, d: libvirt.state(d))
        running = {n: d for n, d in doms.items() if states[n] in ("running", "paused")}

        def one(node, dom):
            try:
                libvirt.managed_save(dom)
                return "saved"
            except CommandError as e:
                tail = e.output_tail[-1] if e.output_tail else e.command
                ui.info(f"{lab.name}/{node}: could not save its state ({tail}); shutting it down instead")
                libvirt.shutdown(dom)
                return "shut down"
        out = {n: states.get(n, "not created") for n in (x.name for x in lab.nodes)}
        out.update(libvirt.each(running, one))
    state.record_suspended(lab, time.time())
    ui.info(f"lab {lab.name}: {', '.join(f'{n} {s}' for n, s in out.items())} "
            f"({time.monotonic() - start:.1f}s); `invoke up` brings it back")
    return out


def resume(lab) -> list:
    """Start the copy's saved VMs (libvirt restores each from its managed save); the nodes
    started. Nothing for VirtualBox, whose `vagrant up` resumes."""
    if resolve_provider(lab) != "libvirt":
        return []
    doms = libvirt.domains(lab)
    saved = {n: d for n, d in doms.items() if libvirt.saved(d)}
    if not saved:
        return []
    start = time.monotonic()
    libvirt.each(saved, lambda _, d: libvirt.start(d))
    state.record_resumed(lab, time.time())
    ui.info(f"lab {lab.name}: {', '.join(saved)} resumed from their saved state in "
            f"{time.monotonic() - start:.1f}s")
    return list(saved)


def step_clocks(hosts, step: str) -> None:
    """A restored or reverted guest's clock is the saved one: set it to now before anything
    time-bound (etcd's TTLs, kubelet's heartbeats) notices. One command per node, all at once."""
    for h in hosts.values():
        h.step = step
    libvirt.each(hosts, lambda _, h: h.run(f"date -u -s @{time.time():.3f} >/dev/null"))
