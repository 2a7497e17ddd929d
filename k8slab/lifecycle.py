"""A copy's VMs through their life, as several tasks need them: the Vagrantfile rendered
(`render`, and before any Vagrant call), booted in one Vagrant call (`up`), whether they already
run as rendered (`up`, `gateway`), their states (`verify`, `status`), and the Vagrant to ask
(`destroy`). What each task does with them is in k8slab/commands/, one module per task.
"""
from __future__ import annotations

import time

from . import libvirt, ui
from .errors import LabError
from .providers import resolve_provider
from .render import write_vagrantfile
from .ssh import forget_ssh_config
from .vagrant import Vagrant


def render(lab) -> tuple:
    """Write the lab's Vagrantfile (only when it changes): (its path, whether it changed, the
    provider it is for)."""
    provider = resolve_provider(lab)
    path, changed = write_vagrantfile(lab, provider)
    return path, changed, provider


def running_as_rendered(lab) -> bool:
    """Whether `vagrant up` would do nothing: libvirt, the Vagrantfile as the lab file renders it
    now (rendering writes nothing), and every node's domain running. Asked of libvirt (tens of
    milliseconds) instead of Vagrant (seconds); a missing, stopped or paused VM, or a changed
    Vagrantfile, makes it False, and then Vagrant boots as always."""
    provider = resolve_provider(lab)
    _, changed = write_vagrantfile(lab, provider)
    if provider != "libvirt" or changed:
        return False
    doms = libvirt.domains(lab)
    if set(doms) != {n.name for n in lab.nodes}:
        return False
    try:
        states = libvirt.each(doms, lambda _, d: libvirt.state(d))
    except LabError:   # a domain Vagrant recorded but libvirt no longer has
        return False
    return all(s == "running" for s in states.values())


def boot(lab, on_event=None) -> float:
    """Render, then bring every VM up in one Vagrant call; returns the seconds it took.
    on_event(node, message): also called with each of Vagrant's progress lines."""
    _, _, provider = render(lab)
    vagrant = Vagrant(lab)
    start = time.monotonic()
    ui.info(f"Booting {len(lab.nodes)} VMs with {provider} (Vagrant's output: {vagrant.log_path})")
    with ui.BootProgress([n.name for n in lab.nodes]) as progress:
        def event(node, message):
            progress.event(node, message)
            if on_event:
                on_event(node, message)
        vagrant.up(provider, on_event=event)
    forget_ssh_config(lab)  # a recreated VM may have a new address or key
    elapsed = time.monotonic() - start
    ui.info(f"VMs up in {elapsed:.0f}s")
    return elapsed


def rendered_vagrant(lab) -> Vagrant:
    """The lab's Vagrant, with a Vagrantfile to read (status and destroy work before any up)."""
    vagrant = Vagrant(lab)
    if not (vagrant.root / "Vagrantfile").exists():
        render(lab)
    return vagrant


def vm_states(lab) -> dict:
    """Machine name -> Vagrant's state (running, poweroff, not_created, ...): one `vagrant status`;
    a libvirt VM Vagrant calls shut off (`poweroff`) that holds a managed save (`invoke suspend`)
    is "saved"."""
    states = rendered_vagrant(lab).status()
    off = ("poweroff", "shutoff")
    if resolve_provider(lab) == "libvirt" and set(off) & set(states.values()):
        doms = {n: d for n, d in libvirt.domains(lab).items() if states.get(n) in off}
        states.update({n: "saved" for n in libvirt.saved_among(doms)})
    return states
