"""What one copy of a lab costs its host: memory, CPUs, disk; summed over copies."""
from __future__ import annotations

from dataclasses import dataclass

GIB = 1024 ** 3
DISK_PER_VM = 3 * GIB   # a VM's disk image grows to about this during the tutorial


@dataclass(frozen=True)
class Resources:
    vms: int = 0
    memory_mib: int = 0
    cpus: int = 0
    disk_bytes: int = 0
    max_vm_cpus: int = 0     # the largest single VM: a host with fewer CPUs cannot run it

    def __add__(self, other: "Resources") -> "Resources":
        return Resources(self.vms + other.vms, self.memory_mib + other.memory_mib,
                         self.cpus + other.cpus, self.disk_bytes + other.disk_bytes,
                         max(self.max_vm_cpus, other.max_vm_cpus))


def of_nodes(nodes, defaults=None) -> Resources:
    """nodes: lab.nodes (memory and cpus filled in by load_lab, else taken from defaults)."""
    mem = [n.memory if n.memory is not None else defaults.memory for n in nodes]
    cpus = [n.cpus if n.cpus is not None else defaults.cpus for n in nodes]
    return Resources(len(nodes), sum(mem), sum(cpus), DISK_PER_VM * len(nodes),
                     max(cpus, default=0))
