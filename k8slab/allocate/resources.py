"""What one copy of a lab costs its host: memory, CPUs, disk; summed over copies. Also what a
host keeps for itself, so doctor's checks and the placement over servers count the same."""
from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 ** 2
GIB = 1024 ** 3
DISK_PER_VM = 3 * GIB   # a VM's disk image grows to about this during the tutorial
HEADROOM_MIB = 1024     # for the host itself, on top of the VMs' memory
# QEMU's own memory per VM beyond the guest's RAM, by libvirt.driver. kvm: the device model,
# design-several-servers.md's estimate (this machine runs no KVM guest to measure it). qemu
# (plain emulation): measured by bench/ksm.py (docs/benchmarks.md, "Copies per server"), a
# settled 640 MiB guest's QEMU held 1443 MiB: TCG's translation buffer (up to 1 GiB) is most of it.
VM_OVERHEAD_MIB = {"kvm": 150, "qemu": 810}
# What of a copy's memory KSM merged away, copies of one class on one server once settled:
# bench/ksm.py measured 1443 -> 1271 MiB a copy (12 %), counted a point low. Placement uses it
# only on a server whose KSM is on: k8s-lab never switches KSM on.
KSM_SAVED_PERCENT = 11


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


def with_ksm(memory_mib: int) -> int:
    """A copy's memory on a server where KSM merges the class's identical pages (measured)."""
    return memory_mib - memory_mib * KSM_SAVED_PERCENT // 100


def copy_cost(nodes, defaults, checkpoints=(), driver: str = "kvm") -> Resources:
    """What placing one copy on a server takes from it (design-several-servers.md section 3):
    the guests' memory plus QEMU's own per VM, and the disks plus the checkpoints, since an
    internal snapshot with memory stores the guest RAM inside the copy's qcow2 files."""
    base = of_nodes(nodes, defaults)
    return Resources(base.vms, base.memory_mib + VM_OVERHEAD_MIB[driver] * base.vms, base.cpus,
                     base.disk_bytes + len(checkpoints) * base.memory_mib * MIB,
                     base.max_vm_cpus)
