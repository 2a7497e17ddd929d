"""The placement in the class state (k8slab/classfile.py): which server each copy runs on, kept
in .lab/<name>/class.json beside what copies.expand keeps there (the copies' subnets), so a
re-run never moves a copy; a class state from before servers is this host's."""
from __future__ import annotations

import json

import pytest

from k8slab import allocate, classfile, copies
from k8slab.allocate.capacity import Capacity
from k8slab.allocate.placement import place_lab
from k8slab.allocate.resources import GIB
from k8slab.doctor import probes

CLASS = """\
name: k8s-lab
provider: libvirt
copies: 3
nodes:
  - {name: k8s-master, ip: 192.168.0.15, roles: [server]}
  - {name: k8s-node1, ip: 192.168.0.16, roles: [worker]}
"""
SERVERS = """\
servers:
  - {name: lab1, host: local}
  - {name: lab2, host: lab2.school.example, user: root}
"""


@pytest.fixture(autouse=True)
def quiet_host(monkeypatch):
    """A host with no network in the way and no bridge of the class yet (expand asks both)."""
    monkeypatch.setattr(copies, "this_host", lambda: allocate.Host(networks=()))
    monkeypatch.setattr(probes, "lab_bridges", lambda names, dirs=None: [])


def saved(lab) -> dict:
    return json.loads((lab.path.parent / ".lab" / "k8s-lab" / "class.json").read_text())


def test_a_class_state_from_before_servers_is_this_hosts(lab_from_text):
    lab = lab_from_text(CLASS)
    copies.expand(lab)                       # today's class.json: subnets, no servers
    assert "servers" not in saved(lab)
    assert classfile.placement(lab) == {1: "local", 2: "local", 3: "local"}
    # this host under the name the lab file gives it
    lab = lab_from_text(CLASS + SERVERS)
    assert classfile.placement(lab) == {1: "lab1", 2: "lab1", 3: "lab1"}


def test_no_class_state_places_nothing(lab_from_text):
    assert classfile.placement(lab_from_text(CLASS + SERVERS)) == {}


def test_the_placement_is_written_and_read_back_beside_the_subnets(lab_from_text):
    lab = lab_from_text(CLASS + SERVERS)
    copies.expand(lab)
    subnets = {k: v["management_network"] for k, v in saved(lab)["copies"].items()}
    assert classfile.record_placement(lab, {1: "lab1", 2: "lab2"}, at=1765000000.7)
    data = saved(lab)
    assert data["servers"] == {"lab1": {"target": "this host"},
                               "lab2": {"target": "root@lab2.school.example:22"}}
    assert data["copies"]["2"] == {"lab": "k8s-lab-2", "management_network": subnets["2"],
                                   "server": "lab2", "placed_at": 1765000000}
    # placed once, copy 3 is not placed yet (the file is no longer one from before servers)
    assert classfile.placement(lab) == {1: "lab1", 2: "lab2"}
    # every task's expand keeps the placement; the same placement again changes nothing
    copies.expand(lab)
    assert saved(lab) == data
    assert not classfile.record_placement(lab, {1: "lab1", 2: "lab2"}, at=1765009999)
    # copy 3 placed later: its own time, the others' kept
    classfile.record_placement(lab, {3: "lab2"}, at=1765005000)
    assert classfile.placement(lab) == {1: "lab1", 2: "lab2", 3: "lab2"}
    assert [saved(lab)["copies"][k]["placed_at"] for k in "123"] == [1765000000] * 2 + [1765005000]


def test_a_placement_from_place_lab_round_trips(lab_from_text):
    lab = lab_from_text(CLASS + SERVERS)
    roomy = Capacity(64 * 1024, 8, 500 * GIB)
    first = place_lab(lab, {"lab1": Capacity(1024 + 2 * 2348, 8, 500 * GIB), "lab2": roomy})
    assert first.server_of == {1: "lab1", 2: "lab1", 3: "lab2"}
    classfile.record_placement(lab, first.server_of)
    # the next run: lab1 has room for everything now, and nothing moves
    again = place_lab(lab, {"lab1": roomy, "lab2": roomy}, kept=classfile.placement(lab))
    assert again.server_of == first.server_of
    assert [s.kept for s in again.servers] == [(1, 2), (3,)]


def test_a_class_of_one_keeps_its_server_too(lab_from_text):
    lab = lab_from_text(CLASS.replace("copies: 3", "copies: 1") + SERVERS)
    classfile.record_placement(lab, {1: "lab2"}, at=1)
    assert classfile.placement(lab) == {1: "lab2"}
    assert saved(lab)["copies"]["1"]["lab"] == "k8s-lab"


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", '{"copies": [1]}',
                                  '{"servers": {}, "copies": {"1": {"server": 7}, "x": {}, "2": 5}}'])
def test_a_class_state_edited_by_hand_places_nothing_it_cannot_read(lab_from_text, text):
    lab = lab_from_text(CLASS + SERVERS)
    path = classfile.path(lab)
    path.write_text(text)
    assert classfile.placement(lab) == {}
    # and a placement written over it is whole again
    classfile.record_placement(lab, {1: "lab1"}, at=5)
    assert classfile.placement(lab)[1] == "lab1"
