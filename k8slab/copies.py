"""The copies of a lab file (a class): copy k is a lab of its own, with the lab file's nodes and
private IPs, its own names and its own management network, so every task that works on one lab
works on a copy unchanged.

- `copies: 1` (the default) is the lab itself: its names, its folder, its management_network.
- `copies: N` makes labs `<name>-1` .. `<name>-N` (k8slab.allocate.names), each with a
  management /24 that k8slab.allocate picked free on this host. The picks are kept in the class
  folder (`.lab/<name>/class.json`, k8slab.classfile, beside each copy's server), so a copy
  never moves while its network exists; the class folder also holds the class's status page
  (class.html).
- Every copy's private network is libvirt "veryisolated" and looked up by name
  (Vagrantfile.j2), so copies hold the same subnet and IPs without seeing each other.
"""
from __future__ import annotations

from ipaddress import IPv4Network

from . import allocate, classfile
from .doctor import probes
from .doctor.networks import host_networks
from .errors import LabError
from .providers import resolve_provider
from .workdir import class_folder

# class_folder: where the class's files are, as the class page (classview) asks it of this module
__all__ = ["class_folder", "copy_lab", "expand", "select"]


def _kept(lab) -> dict:
    """index -> management subnet from an earlier run (class.json); {} when there is none."""
    try:
        data = classfile.read(lab)
        return {int(k): IPv4Network(v["management_network"]) for k, v in data["copies"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}   # none yet, or edited by hand: allocate afresh (kept subnets are only a wish)


def this_host() -> allocate.Host:
    """This host's networks; the copies' own bridges (an earlier run's) are no clash."""
    addr = probes.run(["ip", "-j", "-4", "addr", "show"])
    route = probes.run(["ip", "-j", "-4", "route", "show"])
    networks = tuple(host_networks(addr, route)) if addr is not None and route is not None else ()
    return allocate.Host(networks=networks)


def _own_bridges(lab) -> tuple:
    return tuple(b for k in range(1, lab.copies + 1)
                 for b in probes.lab_bridges(allocate.copy_names(lab.name, k, lab.copies)))


def expand(lab) -> list:
    """The copies of lab as labs, by index: [lab] itself for copies: 1. Each is on the server
    the class state places it on (commands/place.py places them at `up`)."""
    if lab.copies == 1:
        return _on_servers(lab, [lab])
    if resolve_provider(lab) != "libvirt":
        raise LabError(f"{lab.path}: copies: {lab.copies} needs the libvirt provider (VirtualBox "
                       "host-only networks are found by subnet: copies would share one); set "
                       "provider: libvirt, or copies: 1")
    host = this_host()
    host = allocate.Host(host.name, host.uri, host.networks, _own_bridges(lab))
    placed = allocate.allocate(lab, host=host, keep=_kept(lab))

    def change(data):   # what else the class state keeps (each copy's server) stays
        old = data.get("copies") if isinstance(data.get("copies"), dict) else {}
        data["lab"], data["copies"] = lab.name, {}
        for c in placed.copies:
            entry = old.get(str(c.index))
            entry = dict(entry) if isinstance(entry, dict) else {}
            entry.update(lab=c.names.lab, management_network=str(c.management_subnet))
            data["copies"][str(c.index)] = entry
    classfile.update(lab, change)
    return _on_servers(lab, [copy_lab(lab, c) for c in placed.copies])


def _on_servers(lab, copies: list) -> list:
    where = classfile.placement(lab) if len(lab.servers) > 1 or lab.servers[0].remote else {}
    for c in copies:
        c._server = where.get(c.copy_index)
    return copies


def copy_lab(lab, copy: allocate.Copy):
    """Copy `copy` of lab as a Lab: the same nodes and settings, its own name (hence folder,
    domains and networks) and management subnet."""
    libvirt = lab.libvirt.model_copy(update={"management_network": copy.management_subnet})
    out = lab.model_copy(update={"name": copy.names.lab, "copies": 1, "libvirt": libvirt})
    out._copy_index = copy.index
    out._names = copy.names
    return out


def select(lab, copies: list, which: str = "") -> list:
    """The copies a task's --copy names: "" or "all" for every copy, else "2" or "1,3"."""
    if not which or which == "all":
        return copies
    try:
        wanted = sorted({int(k) for k in which.split(",")})
    except ValueError:
        wanted = None
    if not wanted or any(not 1 <= k <= len(copies) for k in wanted):
        raise LabError(f"--copy {which}: lab {lab.name} has copies 1..{len(copies)} "
                       f"(copies: {lab.copies}); give one number, a list like 1,3, or all")
    return [copies[k - 1] for k in wanted]
