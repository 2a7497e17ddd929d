"""The engine's lab model with a tutorial of the tests' own (engine_lab.py): what the engine asks
of a Lab subclass (its stages, roles, platforms, reserved networks, rules, key order, handout) it
gets from the subclass; nothing here imports the tutorial (provision/)."""
from __future__ import annotations

import pytest

from k8slab import state
from k8slab.config import Lab, load_lab
from k8slab.errors import ConfigError, LabError
from tests.unit.engine.engine_lab import ENGINE_LAB, SmallLab


def problems(tmp_path, text, model=SmallLab) -> list:
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_lab(path, model)
    return [str(p) for p in e.value.problems]


def test_the_subclass_gives_the_stages_box_and_reserved_networks(engine_lab):
    assert isinstance(engine_lab, SmallLab)
    assert engine_lab.box == "small/box" and engine_lab.stages == ("base", "etcd")
    assert [(k, str(n)) for k, n in engine_lab.reserved_networks()] == [(("overlay", "network"),
                                                                         "10.99.0.0/16")]
    assert engine_lab.home_node().name == "k8s-master" and engine_lab.chapter("base") == "1"
    state.mark_applied(engine_lab, "etcd")
    state.mark_applied(engine_lab, "base")
    assert state.applied_stages(engine_lab) == ["base", "etcd"]   # in the model's order
    with pytest.raises(LabError, match="unknown stage 'start'; stages are base, etcd"):
        engine_lab.stages_until("start")


def test_the_engines_rules_ask_the_subclass(tmp_path):
    text = ENGINE_LAB.replace("[server]", "[worker]").replace("[worker]}\n", "[worker, worker]}\n", 1) \
        .replace("platform: small", "platform: tiny\nuntil: etcd\noverlay: {network: 192.168.0.0/24}")
    assert problems(tmp_path, text) == [
        "until (line 3): platform tiny cannot run stage 'etcd' (it provides: base)",
        "overlay.network (line 4): 192.168.0.0/24 overlaps private_network 192.168.0.0/24 "
        "(the default); the ranges must be disjoint",
        "nodes (line 5): no node has role server",          # the subclass's cross_field_rules
        "nodes[0].roles (line 6): role worker is listed twice"]


def test_the_subclass_words_its_messages_and_orders_its_keys(tmp_path):
    got = problems(tmp_path, "name: x\nnodes: []\nbogus: 1\n")
    assert got == ["nodes (line 2): is empty; the lab needs a server",
                   "bogus (line 3): unknown key 'bogus'; known keys are name, overlay, platform, "
                   "box, box_url, box_checksum, provider, libvirt, defaults, private_network, "
                   "until, nodes, copies, checkpoints, students, gateway, servers"]
    got = problems(tmp_path, ENGINE_LAB.replace("[server]", "[srever]"))
    assert got == ["nodes[0].roles[0] (line 4): unknown role 'srever'; roles are server, worker; "
                   "did you mean 'server'?"]


def test_the_engines_own_lab_needs_no_tutorial(tmp_path):
    path = tmp_path / "lab.yaml"
    path.write_text("box: some/box\nnodes:\n  - {name: a, ip: 192.168.0.15, roles: [anything]}\n")
    lab = load_lab(path, Lab)
    assert lab.box == "some/box" and lab.stages == () and lab.reserved_networks() == []
    assert problems(tmp_path, "nodes: []\ncluster: {}\n", Lab) == [
        "nodes (line 1): is empty; the lab needs at least one node",
        "cluster (line 2): unknown key 'cluster'; known keys are name, platform, box, box_url, "
        "box_checksum, provider, libvirt, defaults, private_network, until, nodes, copies, "
        "checkpoints, students, gateway, servers"]
