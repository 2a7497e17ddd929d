"""The lab's lifecycle, one function per task: render, boot, VM states, destroy, ssh.

tasks.py only parses arguments and calls these.
"""
from __future__ import annotations

import time

from . import checkpoints, libvirt, state, ui
from .config import default_config_path, load_lab
from .errors import LabError
from .gateway import vms as access
from .providers import resolve_provider
from .render import write_vagrantfile
from .ssh import forget_ssh_config, open_connections, ssh_targets
from .vagrant import Vagrant


def load(config_path):
    """Load and validate the lab file; a bad file raises ConfigError before anything runs."""
    return load_lab(config_path or default_config_path())


def provider(lab) -> str:
    """The provider the lab uses (resolves `provider: auto` for this host)."""
    return resolve_provider(lab)


def render(lab) -> tuple:
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


def _vagrant(lab) -> Vagrant:
    """The lab's Vagrant, with a Vagrantfile to read (status and destroy work before any up)."""
    vagrant = Vagrant(lab)
    if not (vagrant.root / "Vagrantfile").exists():
        render(lab)
    return vagrant


def vm_states(lab) -> dict:
    """Machine name -> Vagrant's state (running, poweroff, not_created, ...): one `vagrant status`;
    a libvirt VM Vagrant calls shut off (`poweroff`) that holds a managed save (`invoke suspend`)
    is "saved"."""
    states = _vagrant(lab).status()
    off = ("poweroff", "shutoff")
    if resolve_provider(lab) == "libvirt" and set(off) & set(states.values()):
        doms = {n: d for n, d in libvirt.domains(lab).items() if states.get(n) in off}
        states.update({n: "saved" for n in libvirt.saved_among(doms)})
    return states


def destroy(lab) -> bool:
    """Destroy this lab's VMs (and the networks Vagrant made for them). False if there was nothing."""
    vagrant = _vagrant(lab)
    if not vagrant.created():
        ui.info(f"lab {lab.name}: nothing to destroy")
        state.forget(lab)
        access.forget(lab)
        return False
    vagrant.destroy()   # vagrant-libvirt deletes the VMs' snapshots (checkpoints) first
    forget_ssh_config(lab)
    access.forget(lab)
    checkpoints.forget(lab)
    state.forget(lab)
    ui.info(f"lab {lab.name}: destroyed")
    return True


def ssh_command(lab, node_name: str, command: str) -> int:
    """Run one command on a node over the lab's SSH settings; returns its exit code."""
    node = lab.node(node_name)
    conn = open_connections(lab, Vagrant(lab), only=[node.name])[node.name]
    try:
        result = conn.run(command, hide=False, warn=True, pty=False)
        return result.exited
    finally:
        conn.close()


def ssh_argv(lab, node_name: str) -> list[str]:
    """The plain ssh command line for an interactive session on a node."""
    node = lab.node(node_name)
    t = ssh_targets(lab, Vagrant(lab))[node.name]
    return ["ssh", "-p", str(t.port), "-i", t.key_file, "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes",
            f"{t.user}@{t.host}"]
