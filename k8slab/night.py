"""A class stopped for the night and brought back: `invoke suspend`, and `up` resuming.

libvirt: every running VM of the copy is saved to disk together (libvirt's managed save: its
memory and devices written to a file, its QEMU stopped, the host's memory freed); a start
restores it as it was, processes and all, without a boot. A VM that cannot be saved is shut down
cleanly instead (a boot in the morning, then `up` as usual). VirtualBox: `vagrant suspend`
(its own saved state). Checkpoints stay: they are the disk's internal snapshots.

A restored guest's clock is the evening's: `up` sets it to now before anything else runs
(through the QEMU guest agent, else over SSH).
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
    if "saved" in out.values() or "shut down" in out.values():
        state.record_note(lab, "suspended for the night (`invoke up` resumes)", time.time())
    ui.info(f"lab {lab.name}: {', '.join(f'{n} {s}' for n, s in out.items())} "
            f"({time.monotonic() - start:.1f}s); `invoke up` brings it back")
    return out


def resume(lab) -> list:
    """Start the copy's saved VMs (libvirt restores each from its managed save); the nodes
    started. Nothing for VirtualBox, whose `vagrant up` resumes."""
    if resolve_provider(lab) != "libvirt":
        return []
    saved = libvirt.saved_among(libvirt.domains(lab))
    if not saved:
        return []
    start = time.monotonic()
    libvirt.each(saved, lambda _, d: libvirt.start(d))
    state.record_note(lab, "resumed from its saved state", time.time())
    ui.info(f"lab {lab.name}: {', '.join(saved)} resumed from their saved state in "
            f"{time.monotonic() - start:.1f}s")
    return list(saved)


def clocks_by_agent(lab) -> list:
    """A restored or reverted guest's clock is the saved one: set every guest's to now through
    its QEMU guest agent (`virsh domtime --now`: no SSH connection to wait for), all at once.
    The nodes it could not set (no agent channel, no agent yet: step_clocks does those)."""
    doms = libvirt.domains(lab)
    done = libvirt.each(doms, lambda _, d: libvirt.set_clock(d))
    return [n.name for n in lab.nodes if not done.get(n.name)]


def step_clocks(hosts, step: str) -> None:
    """The same over SSH, for the nodes without an agent: one `date -s` per node, all at once."""
    for h in hosts.values():
        h.step = step
    libvirt.each(hosts, lambda _, h: h.run(f"date -u -s @{time.time():.3f} >/dev/null"))
