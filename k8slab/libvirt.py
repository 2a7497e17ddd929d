"""The few libvirt operations Vagrant has no good verb for, through `virsh`: pausing a copy's VMs
together, internal snapshots (checkpoints) and their disk cost, saving a class to disk for the
night (managed save) and starting it again.

Why virsh and not `vagrant snapshot`: one Vagrant call costs seconds per VM and cannot pause
several machines together; a virsh call costs tens of milliseconds. The VMs are found by the
UUID Vagrant recorded (`.vagrant/machines/<node>/libvirt/id`), never by a guessed name.
Internal snapshots are the kind Debian 12's libvirt (9.0) can revert (external ones from 9.7).
"""
from __future__ import annotations

import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from .errors import CommandError, LabError
from .vagrant import machine_ids

# vagrant-libvirt's default connection, which the rendered Vagrantfile keeps for this host's copies.
URI = "qemu:///system"
TIMEOUT = 600   # a snapshot of a 1.5 GiB guest under plain emulation takes tens of seconds


class Domain(str):
    """A domain's UUID that knows its libvirt connection: a copy on another lab server is
    reached as qemu+ssh://... (Lab.libvirt_uri), the same URI its Vagrantfile gives Vagrant."""
    uri: str

    def __new__(cls, uuid: str, uri: str = URI):
        dom = super().__new__(cls, uuid)
        dom.uri = uri
        return dom


def virsh(*args, check: bool = True, timeout: int = TIMEOUT) -> subprocess.CompletedProcess:
    """virsh on the connection of the Domain among args (a bare UUID or none: this host's)."""
    uri = next((a.uri for a in args if isinstance(a, Domain)), URI)
    argv = ["virsh", "-c", uri, *args]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise LabError("virsh is not installed (Debian/Ubuntu: apt-get install libvirt-clients)") from None
    except subprocess.TimeoutExpired:
        raise CommandError("virsh", " ".join(argv), "timeout", [f"no answer in {timeout} s"]) from None
    if check and r.returncode != 0:
        raise CommandError("virsh", " ".join(argv), r.returncode,
                           (r.stdout + r.stderr).strip().splitlines()[-8:])
    return r


def domains(lab) -> dict:
    """node -> the libvirt domain's UUID, for the nodes whose VM Vagrant created."""
    ids, uri = machine_ids(lab, "libvirt"), lab.libvirt_uri
    return {n.name: Domain(ids[n.name], uri) for n in lab.nodes if n.name in ids}


def each(doms: dict, fn) -> dict:
    """fn(node, domain) for every domain at once (a copy's VMs are paused and resumed together)."""
    with ThreadPoolExecutor(max_workers=max(1, len(doms))) as pool:
        futures = {node: pool.submit(fn, node, dom) for node, dom in doms.items()}
        return {node: f.result() for node, f in futures.items()}


def suspend(dom: str) -> None:
    virsh("suspend", dom)


def resume(dom: str) -> None:
    virsh("resume", dom)


def managed_save(dom: str) -> None:
    """Save the running guest's memory and devices to disk and stop its QEMU (libvirt's managed
    save): the host's memory is freed; the next start restores the guest as it was."""
    virsh("managedsave", dom)


def saved(dom: str) -> bool:
    """Whether the domain holds a managed save (its next start resumes it)."""
    for line in virsh("dominfo", dom).stdout.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Managed save":
            return value.strip() == "yes"
    return False


def saved_among(doms: dict) -> dict:
    """node -> domain for those of doms holding a managed save, asked all at once."""
    flags = each(doms, lambda _, d: saved(d))
    return {n: d for n, d in doms.items() if flags[n]}


def start(dom: str) -> None:
    virsh("start", dom)


def shutdown(dom: str, wait: float = 120) -> None:
    """The guest shut down cleanly (ACPI), waited for; pulled off after `wait` seconds."""
    virsh("shutdown", dom, check=False)
    deadline = time.monotonic() + wait
    while state(dom) != "shut off":
        if time.monotonic() > deadline:
            virsh("destroy", dom, check=False)
            return
        time.sleep(2)


def set_clock(dom: str) -> bool:
    """Set the guest's clock to the host's through the QEMU guest agent (no SSH): False when the
    guest has no agent channel or the agent does not answer (the caller steps it over SSH)."""
    try:
        return virsh("domtime", dom, "--now", check=False, timeout=20).returncode == 0
    except CommandError:   # timed out
        return False


def state(dom: str) -> str:
    """running, paused, shut off, ..."""
    return virsh("domstate", dom).stdout.strip()


def snapshots(dom: str) -> list:
    return virsh("snapshot-list", dom, "--name").stdout.split()


def snapshot_create(dom: str, name: str, description: str) -> None:
    """An internal snapshot (disk and memory) named name, replacing one of that name."""
    if name in snapshots(dom):
        virsh("snapshot-delete", dom, name)
    virsh("snapshot-create-as", dom, name, description, "--atomic")


def snapshot_revert(dom: str, name: str) -> None:
    """Back to the snapshot, left paused (the caller resumes the copy's VMs together). --force
    as vagrant-libvirt's restore does: the guest's state is thrown away on purpose."""
    virsh("snapshot-revert", dom, name, "--paused", "--force")


def snapshot_delete(dom: str, name: str) -> None:
    virsh("snapshot-delete", dom, name)


def disk_bytes(dom: str) -> int:
    """Bytes the domain's disk images take on the host (internal snapshots live inside them)."""
    total = 0
    for line in virsh("domblklist", dom, "--details").stdout.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[1] == "disk":
            info = virsh("domblkinfo", dom, parts[2]).stdout
            for row in info.splitlines():
                if row.startswith("Allocation:"):
                    total += int(row.split()[1])
    return total
