"""lab.yaml: the shipped lab's derived values, and every bad file's message pinned in a golden file.
The engine's loader and lab model with a lab of the tests' own: tests/unit/engine/test_config_engine.py."""
from __future__ import annotations

import importlib.util
import os
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest
from invoke import Context, Exit

from provision.lab import TutorialLab as Lab
from provision.lab import TutorialNode as Node
from provision.lab import load_lab
from k8slab.config.schema import Server
from k8slab.errors import ConfigError, LabError

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "tests" / "golden" / "config"
CASES = sorted(GOLDEN.glob("*.yaml"))

DEBIAN_LAB = """\
name: deb-lab
platform: debian12
box: k8s-lab-test/debian12
provider: libvirt
libvirt: {driver: qemu, management_network: 192.168.121.0/24}
defaults: {memory: 768, cpus: 1}
private_network: 192.168.0.0/24
until: etcd
nodes:
  - {name: k8s-master, ip: 192.168.0.15, roles: [etcd, master], aliases: [k8s-etcd]}
  - {name: k8s-node1, ip: 192.168.0.16, roles: [node], memory: 512}
  - {name: k8s-node2, ip: 192.168.0.17, roles: [node], cpus: 2}
"""


def error_text(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_lab(path)
    # The folder differs between checkouts; the golden files hold the file name only.
    return str(info.value).replace(str(path.resolve()), path.name) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_bad_file_message_matches_golden(case):
    text = error_text(case)
    golden = case.with_suffix(".txt")
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text)
    assert golden.exists(), f"no {golden.name}: run with UPDATE_GOLDEN=1 and review it"
    assert text == golden.read_text()


def test_enough_golden_cases():
    assert len(CASES) >= 15


def test_every_problem_has_a_path_and_a_line_and_no_traceback_text():
    for case in CASES:
        with pytest.raises(ConfigError) as info:
            load_lab(case)
        assert info.value.problems, case
        assert "Traceback" not in str(info.value) and "pydantic" not in str(info.value), case
        assert "Input should" not in str(info.value), case  # pydantic's wording never leaks
        lines = [p.line or 0 for p in info.value.problems]
        assert lines == sorted(lines), case


def test_several_problems_are_reported_at_once():
    problems = pytest.raises(ConfigError, load_lab, GOLDEN / "several-problems.yaml").value.problems
    paths = {p.path for p in problems}
    assert {"defaults.cpu", "nodes[1].ip", "nodes[2].name", "nodes[2].ip", "nodes[2].memory",
            "cluster.service_range", "until"} <= paths


# A second node's ip as written in a file (tasks.py must end on its problem).
TWO_NODES = """\
nodes:
  - {name: k8s-master, ip: 192.168.0.15, roles: [etcd, master]}
  - {name: k8s-node1, ip: %s, roles: [node]}
"""


def test_a_bad_lab_file_ends_a_task_with_its_message_and_exit_1(tmp_path):
    # tasks.py turns a LabError into "error: ..." and exit code 1 (no traceback); a bad lab file
    # must end that way too, before the task does anything.
    spec = importlib.util.spec_from_file_location("k8slab_tasks", REPO / "tasks.py")
    tasks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tasks)
    path = tmp_path / "lab.yaml"
    path.write_text(TWO_NODES % "192.168.0.300")
    with pytest.raises(Exit) as info:
        tasks.render(Context(), config=str(path))
    assert info.value.code == 1
    assert info.value.message == (f"error: {path.resolve()}: 1 problem(s):\n"
                                  "  nodes[1].ip (line 3): 192.168.0.300 is not an IPv4 address")
    assert not (tmp_path / ".lab").exists()


def test_minimal_file_gets_every_default(tmp_path):
    path = tmp_path / "lab.yaml"
    path.write_text("nodes:\n"
                    "  - {name: k8s-master, ip: 192.168.0.15, roles: [etcd, master]}\n"
                    "  - {name: k8s-node1, ip: 192.168.0.16, roles: [node]}\n")
    lab = load_lab(path)
    shipped = load_lab(REPO / "lab.yaml")
    for key in ("name", "platform", "box", "mirror", "provider", "private_network", "until"):
        assert getattr(lab, key) == getattr(shipped, key), key
    assert lab.libvirt == shipped.libvirt and lab.defaults == shipped.defaults
    assert lab.cluster == shipped.cluster
    assert lab.nodes[0].aliases == [] and lab.nodes[0].memory == 1024


def test_shipped_lab(lab, tmp_path):
    assert isinstance(lab, Lab)
    assert lab.path == (tmp_path / "lab.yaml").resolve() and lab.path.is_absolute()
    assert lab.workdir == tmp_path.resolve() / ".lab" / "k8s-lab"
    assert not lab.workdir.exists()
    assert lab.name == "k8s-lab" and lab.platform == "centos7"
    assert lab.platform_info.name == "centos7" and lab.box == "centos/7"
    assert lab.mirror == "http://vault.centos.org/7.9.2009" and lab.provider == "auto"
    assert lab.libvirt.driver == "kvm"
    assert lab.libvirt.management_network == IPv4Network("192.168.121.0/24")
    assert str(lab.libvirt.management_network) == "192.168.121.0/24"
    assert (lab.defaults.memory, lab.defaults.cpus) == (1024, 1)
    assert lab.private_network == IPv4Network("192.168.0.0/24")
    assert str(lab.private_network.netmask) == "255.255.255.0"
    assert lab.until == "start"
    assert [(n.name, str(n.ip), n.roles, n.aliases, n.memory, n.cpus) for n in lab.nodes] == [
        ("k8s-master", "192.168.0.15", ["etcd", "master"], ["k8s-etcd"], 1024, 1),
        ("k8s-node1", "192.168.0.16", ["node"], [], 1024, 1),
        ("k8s-node2", "192.168.0.17", ["node"], [], 1024, 1)]
    assert all(isinstance(n, Node) and isinstance(n.ip, IPv4Address) for n in lab.nodes)
    assert all(n.ip in lab.private_network for n in lab.nodes)
    assert lab.master.name == "k8s-master" and lab.etcd.name == "k8s-master"
    assert lab.node("k8s-node2").ip == IPv4Address("192.168.0.17")
    assert lab.node("k8s-master").has("etcd") and not lab.node("k8s-node1").has("master")
    assert [n.name for n in lab.with_role("node")] == ["k8s-node1", "k8s-node2"]
    assert lab.apiserver_url == "http://192.168.0.15:8080"
    assert lab.etcd_url == "http://192.168.0.15:2379"
    assert lab.hosts_entries == [("192.168.0.15", "k8s-master"), ("192.168.0.15", "k8s-etcd"),
                                 ("192.168.0.16", "k8s-node1"), ("192.168.0.17", "k8s-node2")]
    assert lab.stages == ("base", "etcd", "master", "network", "nodes", "start")
    assert lab.stages_until("etcd") == ("base", "etcd")
    c = lab.cluster
    assert c.service_range == IPv4Network("10.254.0.0/16")
    assert c.flannel_network == IPv4Network("10.255.0.0/16") and str(c.flannel_network) == "10.255.0.0/16"
    assert c.flannel_prefix == "/k8s/network" and c.admission_control == "AlwaysAdmit"
    assert c.scheduler_args == "0.0.0.0"
    assert c.pod_infra_image == "registry.access.redhat.com/rhel7/pod-infrastructure:latest"


def test_the_shipped_lab_names_this_host_only(lab):
    assert [s.model_dump() for s in lab.servers] == [Server(name="local", host="local").model_dump()]


def test_shipped_lab_writes_and_comments_every_key():
    import re
    commented, written = set(), set()
    for line in (REPO / "lab.yaml").read_text().splitlines():
        m = re.match(r"^\s*(?:- )?([a-z_]+):", line)
        if m:
            written.add(m.group(1))
            if "#" in line:
                commented.add(m.group(1))
    keys = set(Lab.model_fields) | set(Node.model_fields) - {"memory", "cpus"} | {
        "driver", "management_network", "service_range", "flannel_network", "flannel_prefix",
        "admission_control", "scheduler_args", "pod_infra_image"}
    assert keys <= written, keys - written
    assert keys - {"libvirt", "defaults", "cluster"} <= commented, keys - commented


def test_unknown_node_and_stage(lab):
    with pytest.raises(LabError, match="no node named k8s-node9; nodes are k8s-master, "
                                       "k8s-node1, k8s-node2"):
        lab.node("k8s-node9")
    with pytest.raises(LabError, match="unknown stage 'nodez'; stages are base, etcd, master, "
                                       "network, nodes, start"):
        lab.stages_until("nodez")


def test_debian12_lab(tmp_path):
    path = tmp_path / "lab.yaml"
    path.write_text(DEBIAN_LAB)
    lab = load_lab(path)
    assert lab.platform == "debian12" and lab.platform_info.etcd_conf == "/etc/default/etcd"
    assert lab.box == "k8s-lab-test/debian12"
    assert lab.libvirt.driver == "qemu" and lab.provider == "libvirt"
    assert lab.stages == ("base", "etcd")
    assert [(n.memory, n.cpus) for n in lab.nodes] == [(768, 1), (512, 1), (768, 2)]
    assert lab.workdir == tmp_path.resolve() / ".lab" / "deb-lab"
    # the test platform runs the whole tutorial
    assert lab.stages_until("start") == ("base", "etcd", "master", "network", "nodes", "start")


def test_a_platform_that_cannot_run_a_stage_is_refused_with_the_reason(tmp_path, monkeypatch):
    from dataclasses import replace
    from provision import platforms
    # every platform runs every stage today; a platform with fewer (as debian12 once was)
    short = replace(platforms.PLATFORMS["debian12"], stages=("base", "etcd"))
    monkeypatch.setitem(platforms.PLATFORMS, "debian12", short)
    path = tmp_path / "lab.yaml"
    path.write_text(DEBIAN_LAB)
    with pytest.raises(LabError, match=r"platform debian12 cannot run stage 'master' "
                                       r"\(it provides: base, etcd\)"):
        load_lab(path).stages_until("master")
    path.write_text(DEBIAN_LAB.replace("until: etcd", "until: start"))
    assert "until (line 8): platform debian12 cannot run stage 'start'" in error_text(path)


def test_debian12_default_box(tmp_path):
    path = tmp_path / "lab.yaml"
    path.write_text(DEBIAN_LAB.replace("box: k8s-lab-test/debian12\n", ""))
    assert load_lab(path).box == "debian/bookworm64"
