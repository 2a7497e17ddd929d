"""A lab model of the engine's own, for the engine's tests: the engine's Lab with two stages,
two roles, a reserved network and a rule of its own, and nothing of the tutorial (provision/).
Its file has the tutorial lab's node names, so the engine's tests read like the tutorial's."""
from __future__ import annotations

from ipaddress import IPv4Network
from typing import ClassVar

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


class Overlay(BaseModel):
    model_config = STRICT
    network: Network = IPv4Network("10.99.0.0/16")


ROLES = ("server", "worker")


class SmallNode(Node):
    roles: list[role(ROLES)]  # type: ignore[valid-type]


class SmallLab(Lab):
    STAGES: ClassVar[tuple] = ("base", "etcd")
    ROLES: ClassVar[tuple] = ROLES
    NODES_NEEDED: ClassVar[str] = "a server"
    RESERVED_NETWORKS: ClassVar[tuple] = (("overlay", "network"),)
    KEYS: ClassVar[tuple] = ("name", "overlay")   # listed right after name

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
