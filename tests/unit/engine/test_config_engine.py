"""The engine's lab model with a tutorial of the tests' own (engine_lab.py): what the engine asks
of a Lab subclass (its stages, roles, platforms, reserved networks, rules, key order, handout) it
gets from the subclass; nothing here imports the tutorial (provision/). And the engine's loader:
its messages' key paths and lines, the file's path, YAML's anchors, where the lab file is.
The tutorial's lab file (the shipped lab.yaml, every bad file's message in a golden file):
tests/unit/tutorial/test_config.py."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from k8slab import state
from k8slab.config import Lab, Problem, default_config_path, load_lab
from k8slab.errors import ConfigError, LabError
from tests.unit.engine.engine_lab import ENGINE_LAB, ENGINE_LAB_FILE, SmallLab, load_engine_lab


def problems(tmp_path, text, model=SmallLab) -> list:
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_lab(path, model)
    return [str(p) for p in e.value.problems]


def test_the_subclass_gives_the_stages_box_and_reserved_networks(engine_lab, lab):
    assert isinstance(engine_lab, SmallLab)
    assert engine_lab.box == "small/box" and engine_lab.stages == ("base", "etcd")
    assert [(k, str(n)) for k, n in engine_lab.reserved_networks()] == [
        (("overlay", "network"), "10.99.0.0/16"), (("overlay", "services"), "10.98.0.0/16")]
    # the file with every key written out (the engine tests' `lab`) is the same lab
    assert lab.model_dump() == engine_lab.model_dump()
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


def test_problem_text():
    assert str(Problem("nodes[2].ip", 14, "192.168.0.300 is not an IPv4 address")) == \
        "nodes[2].ip (line 14): 192.168.0.300 is not an IPv4 address"
    assert str(Problem("nodes", None, "is required")) == "nodes: is required"


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_engine_lab(tmp_path / "nope.yaml")
    assert "file not found" in str(info.value) and str(tmp_path / "nope.yaml") in str(info.value)


# The second node's ip, as written in the file, and the problem load_lab must report for it.
TWO_NODES = """\
nodes:
  - {name: k8s-master, ip: 192.168.0.15, roles: [server]}
  - {name: k8s-node1, ip: %s, roles: [worker]}
"""


@pytest.mark.parametrize("ip, message", [
    ("192.168.0.300", "192.168.0.300 is not an IPv4 address"),
    ("'192.168.0.16/24'", "192.168.0.16/24 is not an IPv4 address"),
    ("''", "is empty; expected an IPv4 address like 192.168.0.15"),
    ("3232235536", "expected an IPv4 address like 192.168.0.15, got 3232235536 (an integer)"),
    ("192.168.1.16", "192.168.1.16 is not inside private_network 192.168.0.0/24"),
], ids=["octet-300", "with-prefix", "empty", "integer", "outside-subnet"])
def test_a_bad_node_ip_is_reported_with_its_key_path_line_and_value(lab_from_text, tmp_path, ip,
                                                                     message):
    with pytest.raises(ConfigError) as info:
        lab_from_text(TWO_NODES % ip)
    assert [(p.path, p.line, p.message) for p in info.value.problems] == [("nodes[1].ip", 3, message)]
    assert str(info.value) == (f"{tmp_path.resolve() / 'lab.yaml'}: 1 problem(s):\n"
                               f"  nodes[1].ip (line 3): {message}")


def test_the_model_itself_fills_in_what_depends_on_other_keys():
    """SmallLab validated without load_lab has the platform's box and the nodes' sizes from
    defaults: the model holds these defaults, not its loader."""
    data = yaml.safe_load("platform: small\n"
                          "defaults: {memory: 768, cpus: 1}\n"
                          "nodes:\n"
                          "  - {name: k8s-master, ip: 192.168.0.15, roles: [server]}\n"
                          "  - {name: k8s-node1, ip: 192.168.0.16, roles: [worker], memory: 512}\n"
                          "  - {name: k8s-node2, ip: 192.168.0.17, roles: [worker], cpus: 2}\n")
    lab = SmallLab.model_validate(data)
    assert lab.box == "small/box"
    assert [(n.memory, n.cpus) for n in lab.nodes] == [(768, 1), (512, 1), (768, 2)]


def test_default_config_path(monkeypatch, tmp_path):
    monkeypatch.delenv("K8S_LAB_CONFIG", raising=False)
    assert default_config_path() == Path("lab.yaml")
    monkeypatch.setenv("K8S_LAB_CONFIG", str(tmp_path / "x.yaml"))
    assert default_config_path() == tmp_path / "x.yaml"


def test_relative_path_is_resolved(monkeypatch, tmp_path):
    (tmp_path / "lab.yaml").write_text(ENGINE_LAB_FILE)
    monkeypatch.chdir(tmp_path)
    lab = load_engine_lab("lab.yaml")
    assert lab.path == (tmp_path / "lab.yaml").resolve()


def test_yaml_merge_keys_and_anchors(tmp_path):
    path = tmp_path / "lab.yaml"
    path.write_text("defaults: {memory: 512, cpus: 1}\n"
                    "nodes:\n"
                    "  - &n {name: k8s-master, ip: 192.168.0.15, roles: [server], memory: 2048}\n"
                    "  - {<<: *n, name: k8s-node1, ip: 192.168.0.16, roles: [worker]}\n")
    lab = load_engine_lab(path)
    assert [(n.name, n.memory) for n in lab.nodes] == [("k8s-master", 2048), ("k8s-node1", 2048)]


def test_model_stays_editable(lab):
    lab.libvirt.driver = "qemu"  # the render tests flip the driver on a loaded lab
    assert lab.libvirt.driver == "qemu"


def test_yamlpos_records_the_line_of_every_key_and_item():
    from k8slab.config import yamlpos
    loaded = yamlpos.load("name: x\nnodes:\n  - name: a\n    ip: 1.2.3.4\n  - {name: b}\nname: y\n")
    assert loaded.data == {"name": "y", "nodes": [{"name": "a", "ip": "1.2.3.4"}, {"name": "b"}]}
    assert loaded.lines[("nodes", 0, "ip")] == 4 and loaded.lines[("nodes", 1)] == 5
    assert loaded.line(("nodes", 1, "ip")) == 5  # a missing key: its mapping's line
    assert [(d.path, d.line, d.first_line) for d in loaded.duplicates] == [(("name",), 6, 1)]
