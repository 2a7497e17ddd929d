"""The names of copy k of a lab, and the rule that keeps them inside the host's limits.

- One copy (copies: 1) keeps the lab's own names: lab `k8s-lab`, domains `k8s-lab-<node>`,
  libvirt networks `k8s-lab-mgmt` / `k8s-lab-private`, folder `.lab/k8s-lab/`, as before.
- With copies: N > 1, copy k (1..N) is the lab `<name>-<k>`: domains `<name>-<k>-<node>`,
  networks `<name>-<k>-mgmt` / `<name>-<k>-private`, folder `.lab/<name>-<k>/`. libvirt puts no
  short limit on domain, volume or network names (it shortens domain names itself where they
  become socket paths), and a lab name has at most 40 characters, so these always fit.
- vagrant-libvirt names the bridges of those networks itself (virbrN, always inside Linux's 15
  characters); k8s-lab names no interface.

A caveat of `<name>-<k>`: a lab named `k8s-lab-2` next to copy 2 of a lab `k8s-lab` would
share names; lab names that end in -<digits> are best avoided beside a class.

These names are made here only: a lab reads its own as Lab.names (its folder, the Vagrantfile's
domain prefix and networks, the doctor's look at libvirt's network files).
"""
from __future__ import annotations

from dataclasses import dataclass

# At most one /24 per copy; a class beyond 99 copies needs more than one server anyway.
MAX_COPIES = 99


@dataclass(frozen=True)
class Names:
    lab: str                 # the copy's lab name (what Lab.name is for a single lab)
    domain_prefix: str       # vagrant-libvirt's default_prefix: domains are <prefix><node>
    # vagrant-libvirt's NAT network, one per lab (copy) so several live on one host
    management_network: str
    private_network: str     # the isolated libvirt network of the nodes' private IPs
    folder: str              # the lab folder, relative to the lab file's folder

    def domain(self, node: str) -> str:
        """The node's VM: its libvirt domain, and its VirtualBox VM's name the same way."""
        return f"{self.domain_prefix}{node}"


def class_networks(lab_name: str, copies: int) -> set:
    """The libvirt networks of every copy of a class (private and management): on any server,
    a bridge of one of these is the class's own, never a clash."""
    return {n for k in range(1, copies + 1) for x in [copy_names(lab_name, k, copies)]
            for n in (x.private_network, x.management_network)}


def copy_names(lab_name: str, index: int, copies: int) -> Names:
    """The names of copy index (1-based) of copies copies of the lab lab_name."""
    name = lab_name if copies == 1 else f"{lab_name}-{index}"
    return Names(lab=name, domain_prefix=f"{name}-",
                 management_network=f"{name}-mgmt", private_network=f"{name}-private",
                 folder=f".lab/{name}")
