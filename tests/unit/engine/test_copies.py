"""A class: the copies of a lab file as labs of their own (k8slab.copies), their Vagrantfiles,
and the tasks' way of running them side by side (k8slab/commands/side_by_side.py: each, worst;
up's boots). The host's networks are a real busy host's `ip -j` output (captured; see
tests/captured/README.md): these tests must not depend on this machine's bridges. The copies'
VMs themselves are tested in tests/vm/test_class.py."""
from __future__ import annotations

import json
import threading
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from k8slab import allocate, copies, render, ui
from k8slab.checks.runner import Verdict
from k8slab.commands import side_by_side, up
from k8slab.doctor import probes
from k8slab.doctor.networks import host_networks
from k8slab.errors import LabError

CAPTURED = Path(__file__).resolve().parents[2] / "captured"
BUSY = tuple(host_networks((CAPTURED / "ip-j-addr-busy.json").read_text(),
                           (CAPTURED / "ip-j-route-busy.json").read_text()))


@pytest.fixture
def busy_host(monkeypatch):
    """The busy host's networks, and a libvirt with no network of the class yet."""
    monkeypatch.setattr(copies, "this_host", lambda: allocate.Host(networks=BUSY))
    bridges = {}
    monkeypatch.setattr(probes, "lab_bridges", lambda names, dirs=None: bridges.get(names.lab, []))
    return bridges


@pytest.fixture
def klass(lab_with, busy_host):
    return lab_with(("copies: 1", "copies: 3"), ("provider: auto", "provider: libvirt"))


def test_one_copy_is_the_lab_itself(lab):
    assert copies.expand(lab) == [lab]
    assert copies.expand(lab)[0].workdir == lab.path.parent / ".lab" / "engine-lab"


def test_copies_are_labs_of_their_own_with_the_lab_files_ips(klass):
    made = copies.expand(klass)
    assert [c.name for c in made] == ["engine-lab-1", "engine-lab-2", "engine-lab-3"]
    assert [c.workdir.name for c in made] == ["engine-lab-1", "engine-lab-2", "engine-lab-3"]
    assert all(c.copies == 1 for c in made)
    # each copy answers with the names its class allocated it
    assert [c.names for c in made] == [allocate.copy_names("engine-lab", k, 3) for k in (1, 2, 3)]
    # the lab file's addresses in every copy, its subclass's own keys (overlay) too
    for c in made:
        assert [str(n.ip) for n in c.nodes] == ["192.168.0.15", "192.168.0.16", "192.168.0.17"]
        assert c.private_network == klass.private_network and c.overlay == klass.overlay
        assert type(c) is type(klass)
    # management networks: distinct, and none the busy host uses (192.168.121.0/24 is its virbr1)
    nets = [c.libvirt.management_network for c in made]
    assert len(set(nets)) == 3
    assert not any(n.overlaps(h) for n in nets for _, h in BUSY)
    assert nets == [IPv4Network("192.168.123.0/24"), IPv4Network("192.168.124.0/24"),
                    IPv4Network("192.168.125.0/24")]


def test_a_copy_keeps_its_management_network_while_it_exists(klass, busy_host, monkeypatch):
    first = [c.libvirt.management_network for c in copies.expand(klass)]
    saved = json.loads((klass.path.parent / ".lab" / "engine-lab" / "class.json").read_text())
    assert saved["copies"]["2"] == {"lab": "engine-lab-2", "management_network": str(first[1])}
    # the next run: copy 2's network is up on its bridge (libvirt's virbr7); the host's own
    # 192.168.123.0/24 appeared meanwhile, so copy 1 must move, copy 2 must not
    busy_host["engine-lab-2"] = ["virbr7"]
    monkeypatch.setattr(copies, "this_host", lambda: allocate.Host(networks=BUSY + (
        ("virbr7", first[1]), ("eth9", IPv4Network("192.168.123.0/24")))))
    again = [c.libvirt.management_network for c in copies.expand(klass)]
    assert again[1] == first[1] and again[2] == first[2]
    assert again[0] != first[0] and again[0] not in first


def test_a_copys_vagrantfile_names_its_own_networks(klass):
    text = render.render_vagrantfile(copies.expand(klass)[1], "libvirt")
    assert 'lv.default_prefix = "engine-lab-2-"' in text
    assert 'lv.management_network_name = "engine-lab-2-mgmt"' in text
    assert 'lv.management_network_address = "192.168.124.0/24"' in text
    assert text.count('libvirt__network_name: "engine-lab-2-private"') == 3
    # looked up by name: the same subnet in another copy is another network
    assert text.count('libvirt__forward_mode: "veryisolated"') == 3
    assert 'ip: "192.168.0.15"' in text


@pytest.mark.parametrize("which,names", [("", ["engine-lab-1", "engine-lab-2", "engine-lab-3"]),
                                          ("all", ["engine-lab-1", "engine-lab-2", "engine-lab-3"]),
                                          ("2", ["engine-lab-2"]), ("3,1", ["engine-lab-1", "engine-lab-3"])])
def test_select(klass, which, names):
    assert [c.name for c in copies.select(klass, copies.expand(klass), which)] == names


@pytest.mark.parametrize("which", ["4", "0", "two", "1,", "1,9"])
def test_select_names_the_copies_there_are(klass, which):
    with pytest.raises(LabError, match=rf"--copy {which}: lab engine-lab has copies 1..3 \(copies: 3\)"):
        copies.select(klass, copies.expand(klass), which)


def test_copies_side_by_side_each_to_its_end(klass, capsys):
    made = copies.expand(klass)
    started, gate = [], threading.Barrier(3, timeout=10)

    def job(copy):
        started.append(copy.name)
        gate.wait()              # all three at once, or this times out
        ui.info(f"working on {copy.nodes[0].name}")
        if copy.name == "engine-lab-2":
            raise LabError("etcd did not start")
        return copy.name.upper()

    with pytest.raises(LabError) as e:
        side_by_side.each(made, job)
    assert str(e.value).startswith("1 of 3 copies failed (engine-lab-2)")
    out = capsys.readouterr().out
    for c in made:               # every copy ran to its end, its lines marked with its name
        assert f"[{c.name}] working on k8s-master" in out
    assert "[engine-lab-2] error: etcd did not start" in out
    assert side_by_side.each(made[:1], lambda c: c.name) == ["engine-lab-1"]


def test_the_class_verdict_is_the_worst_copys():
    P, F, N = Verdict.PASSED, Verdict.FAILED, Verdict.NOTHING_CHECKED
    assert side_by_side.worst([P, P]) == P
    assert side_by_side.worst([P, N]) == N
    assert side_by_side.worst([N, F, P]) == F
    assert side_by_side.worst([None, None]) is None


def test_other_copies_boot_once_the_first_has_the_box_in_the_pool(klass, monkeypatch):
    # vagrant-libvirt guards its box upload inside one Vagrant process only: a copy booting
    # meanwhile builds its disks on a half-uploaded volume (a real run's guest halted in the
    # BIOS). Vagrant stands in here (no VMs in unit tests; tests/vm/test_class.py boots them):
    # each "boot" records when it starts, the first emits Vagrant's real line after the upload.
    import time as _time
    from k8slab import doctor, lifecycle
    seen, lock = [], threading.Lock()

    def boot(copy, on_event=None):
        with lock:
            seen.append((copy.name, "boot starts"))
        if copy.name == "engine-lab-1":
            _time.sleep(0.3)        # the upload
            with lock:
                seen.append((copy.name, "box uploaded"))
            on_event("k8s-master", "Creating image (snapshot of base box volume).")
            _time.sleep(0.3)
        raise LabError("stop after the boot")
    monkeypatch.setattr(lifecycle, "running_as_rendered", lambda copy: False)
    checked = []    # the host checks, once for the class, with the playbook's own (its preflight)
    monkeypatch.setattr(doctor, "preflight", lambda *a, **k: checked.append(a[3]) or [])
    monkeypatch.setattr(lifecycle, "boot", boot)
    playbook = object()
    with pytest.raises(LabError, match="3 of 3 copies failed"):
        up.up(klass, copies.expand(klass), playbook=playbook)
    assert checked == [playbook]
    assert seen[:2] == [("engine-lab-1", "boot starts"), ("engine-lab-1", "box uploaded")], seen
    assert {name for name, _ in seen[2:]} == {"engine-lab-2", "engine-lab-3"}


def test_copies_boot_as_many_at_once_as_the_host_has_cpus_for(klass):
    three_vms = copies.expand(klass)
    assert up.boot_slots(three_vms, cpus=2) == 1      # this machine: one copy at a time
    assert up.boot_slots(three_vms, cpus=16) == 5     # a lab server
    assert up.boot_slots(three_vms[:1], cpus=1) == 1


def test_status_shows_each_copy_its_own_vms_asked_side_by_side(klass, monkeypatch, capsys):
    # `invoke status --copy 1,3`: one Vagrant answer per copy (asked side by side), each copy's
    # nodes with that copy's answer, the copies' own numbers kept
    import json
    from k8slab import lifecycle
    from k8slab.commands import status
    from k8slab.checks.check import CheckSet, NodeColumn
    from k8slab.provisioning import Playbook
    # a playbook of the test's own whose checks add a column (as the tutorial's, its flannel subnets)
    own = Playbook(steps=lambda *a: [], scripts=None,
                   checks=CheckSet(groups=(), node_column=NodeColumn("flannel subnet", "flannel lease", "lease")))
    answers = {"engine-lab-1": "running", "engine-lab-3": "saved"}
    monkeypatch.setattr(lifecycle, "vm_states",
                        lambda copy: {n.name: answers[copy.name] for n in copy.nodes})
    chosen = copies.select(klass, copies.expand(klass), "1,3")
    status.status(klass, chosen, own, as_json=True)
    data = json.loads(capsys.readouterr().out)
    assert [(c["lab"], c["index"], {n["state"] for n in c["nodes"]}) for c in data["copies"]] == \
        [("engine-lab-1", 1, {"running"}), ("engine-lab-3", 3, {"saved"})]
    # the playbook's checks add the flannel subnets (not verified yet: none)
    assert {n["flannel_subnet"] for c in data["copies"] for n in c["nodes"]} == {None}
