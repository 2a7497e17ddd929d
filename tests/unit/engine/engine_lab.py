"""A lab model of the engine's own, for the engine's tests: the engine's Lab with two stages,
two roles, two reserved networks and a rule of its own, and nothing of the tutorial (provision/).
Its file has the tutorial lab's node names and addresses, so the engine's tests read like the
tutorial's.

ENGINE_LAB is the short file (the keys it needs); ENGINE_LAB_FILE the same lab with every key
written out and commented, as the shipped lab.yaml writes the tutorial's, so that a test can
edit one value of it (tests/unit/engine/conftest.py's lab_with)."""
from __future__ import annotations

from ipaddress import IPv4Network
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from k8slab.config import load_lab
from k8slab.config.fields import Network, role
from k8slab.config.schema import STRICT, Lab, Node

ENGINE_LAB = """\
name: engine-lab
platform: small
nodes:
  - {name: k8s-master, ip: 192.168.0.15, roles: [server]}
  - {name: k8s-node1, ip: 192.168.0.16, roles: [worker]}
  - {name: k8s-node2, ip: 192.168.0.17, roles: [worker]}
"""


# The same lab, every key written out; its values are the defaults, so it loads as ENGINE_LAB
# does (tests/unit/engine/test_config_engine.py holds them equal).
ENGINE_LAB_FILE = """\
# The engine tests' lab (tests/unit/engine/engine_lab.py): every key written out, its default.
name: engine-lab              # prefix of VM, libvirt network and lab folder names
overlay:
  network: 10.99.0.0/16       # a network of the lab's own, reserved: no copy or host may use it
  services: 10.98.0.0/16      # another one
platform: small               # small (stages base, etcd) | tiny (stage base)
box: null                     # null: the platform's box (small/box)
box_url: null                 # where the first up adds the box from
box_checksum: null            # the box file's checksum, TYPE:HEX
provider: auto                # auto | libvirt | virtualbox
libvirt:
  driver: kvm                 # kvm | qemu
  management_network: 192.168.121.0/24   # vagrant-libvirt's management network
defaults:
  memory: 1024                # MiB per VM unless the node sets its own
  cpus: 1                     # virtual CPUs per VM unless the node sets its own
private_network: 192.168.0.0/24   # the subnet of the nodes' private IPs
until: null                   # null: every stage
nodes:                        # one server at least
  - name: k8s-master
    ip: 192.168.0.15
    roles: [server]
  - name: k8s-node1
    ip: 192.168.0.16
    roles: [worker]
  - name: k8s-node2
    ip: 192.168.0.17
    roles: [worker]
copies: 1                     # copies of this lab on one host
checkpoints: []               # stages after which up keeps a checkpoint
students: []                  # the class roster
gateway: null                 # null: no student gateway
servers:                      # where the copies run; left out: this host only
  - name: local
    host: local
"""


class Overlay(BaseModel):
    model_config = STRICT
    network: Network = IPv4Network("10.99.0.0/16")
    services: Network = IPv4Network("10.98.0.0/16")


ROLES = ("server", "worker")


class SmallNode(Node):
    roles: list[role(ROLES)]  # type: ignore[valid-type]


class SmallLab(Lab):
    STAGES: ClassVar[tuple] = ("base", "etcd")
    ROLES: ClassVar[tuple] = ROLES
    NODES_NEEDED: ClassVar[str] = "a server"
    RESERVED_NETWORKS: ClassVar[tuple] = (("overlay", "network"), ("overlay", "services"))
    KEYS: ClassVar[tuple] = ("name", "overlay")   # listed right after name

    platform: Literal["small", "tiny"] = "small"   # the engine's key, narrowed (keeps its place)
    nodes: list[SmallNode]
    overlay: Overlay = Field(default_factory=Overlay)

    @classmethod
    def platform_box(cls, platform):
        return {"small": "small/box", "tiny": "tiny/box"}[platform]

    @classmethod
    def platform_stages(cls, platform):
        return {"small": ("base", "etcd"), "tiny": ("base",)}[platform]

    @classmethod
    def box_size_mib(cls, box):
        return {"small/box": 321}.get(box)   # tiny/box's size is not known

    @classmethod
    def chapter(cls, stage):
        return {"base": "1"}.get(stage, "")

    @classmethod
    def cross_field_rules(cls, lab, loaded, add):
        nodes, raw = lab.get("nodes", []), loaded.data.get("nodes")
        known = isinstance(raw, list) and raw and len(nodes) == len(raw) and all("roles" in n for n in nodes)
        if known and not any("server" in n["roles"] for n in nodes):
            add(("nodes",), "no node has role server")


def load_engine_lab(path):
    return load_lab(path, SmallLab)
