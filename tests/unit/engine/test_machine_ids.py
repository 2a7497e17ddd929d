"""The ids Vagrant records for a lab's machines, read from the lab folder by one reader
(k8slab.vagrant.machine_ids) for libvirt's domains, the doctor's created nodes and `destroy`."""
from __future__ import annotations

from k8slab import libvirt
from k8slab.doctor import probes
from k8slab.vagrant import Vagrant, machine_ids

UUID = "2b0cf1d4-5c4e-4a53-9d0e-6f4b1c2a7e11"


def record(lab, machine: str, provider: str, text: str) -> None:
    f = lab.workdir / ".vagrant" / "machines" / machine / provider / "id"
    f.parent.mkdir(parents=True)
    f.write_text(text)


def test_a_lab_folder_without_machines_has_none(lab):
    assert machine_ids(lab) == {} and libvirt.domains(lab) == {}
    assert probes.created_nodes(lab, "libvirt") == set()
    assert not Vagrant(lab).created()


def test_each_reader_sees_the_recorded_ids(lab):
    record(lab, "k8s-master", "libvirt", UUID + "\n")
    record(lab, "k8s-node1", "libvirt", "")           # read by Vagrant as no id
    record(lab, "k8s-node2", "virtualbox", "0d5a")    # another provider's machine
    record(lab, "k8s-old", "libvirt", "9e7f")         # a node the lab file no longer has
    assert machine_ids(lab) == {"k8s-master": UUID, "k8s-node2": "0d5a", "k8s-old": "9e7f"}
    assert machine_ids(lab, "libvirt") == {"k8s-master": UUID, "k8s-old": "9e7f"}
    assert libvirt.domains(lab) == {"k8s-master": UUID}
    assert probes.created_nodes(lab, "libvirt") == {"k8s-master"}
    assert probes.created_nodes(lab, "virtualbox") == {"k8s-node2"}
    assert Vagrant(lab).created()


def test_a_machine_the_lab_file_no_longer_has_still_counts_as_created(lab):
    record(lab, "k8s-old", "libvirt", "9e7f")
    assert Vagrant(lab).created() and libvirt.domains(lab) == {}
