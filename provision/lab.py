"""The tutorial's lab file: the engine's Lab (k8slab/config/schema.py) with the tutorial's keys
(cluster, mirror, pods_check), its platforms, stages and roles, what is derived from them (the
master and etcd nodes, the apiserver's and etcd's URLs, the platform's names and packages) and
its rules across keys (one etcd node, one master, at least one node with role node).

load_lab(path) reads a lab file as the tutorial's: what tasks.py, the bench and the tests use.
"""
from __future__ import annotations

import re
from ipaddress import IPv4Network
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, Field

from k8slab import config
from k8slab.config.fields import Network, Url, Word, role
from k8slab.config.schema import STRICT, HandoutWords, Lab, Node

from . import tutorial
from .platforms import PLATFORMS, ROLES, STAGES, Platform


# the handout's count of the machines ("Three machines, ...")
NUMBERS = ("No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten")
ETCD_PREFIX_RE = re.compile(r"^(/[A-Za-z0-9._-]+)+$")


def _etcd_prefix(v: str) -> str:
    if not ETCD_PREFIX_RE.match(v):
        raise ValueError(f"{v!r} must be an absolute etcd key path like /k8s/network "
                         "(starts with '/', no trailing '/', no spaces)")
    return v


EtcdPrefix = Annotated[str, AfterValidator(_etcd_prefix)]


class Cluster(BaseModel):
    model_config = STRICT
    service_range: Network = IPv4Network(tutorial.SERVICE_RANGE)
    flannel_network: Network = IPv4Network(tutorial.FLANNEL_NETWORK)
    flannel_prefix: EtcdPrefix = tutorial.FLANNEL_PREFIX
    admission_control: Word = "AlwaysAdmit"
    scheduler_args: str = "0.0.0.0"
    pod_infra_image: Word = "registry.access.redhat.com/rhel7/pod-infrastructure:latest"


class PodsCheck(BaseModel):
    """`invoke verify --pods` (provision/checks/pods.py): a pod on each node, pinging the other."""
    model_config = STRICT
    # the pods' image; it needs `sleep` and `ping`. centos7: docker pulls it; debian12 (no
    # registry): Debian's static busybox is imported under this name
    image: Word = "docker.io/library/busybox:1.28"
    timeout: int = Field(default=180, ge=10, le=3600)   # seconds for both pods to be Running


class TutorialNode(Node):
    roles: list[role(ROLES)]  # type: ignore[valid-type]


class TutorialLab(Lab):
    STAGES: ClassVar[tuple] = STAGES
    ROLES: ClassVar[tuple] = ROLES
    NODES_NEEDED: ClassVar[str] = "an etcd node, a master node and at least one node with role node"
    RESERVED_NETWORKS: ClassVar[tuple] = (("cluster", "service_range"), ("cluster", "flannel_network"))
    KEYS: ClassVar[tuple] = ("name", "platform", "box", "box_url", "box_checksum", "mirror",
                             "provider", "libvirt", "defaults", "private_network", "until", "nodes",
                             "cluster", "copies", "checkpoints", "pods_check", "students", "gateway")

    # the engine's keys, narrowed to the tutorial's platforms, stages and roles (each keeps its
    # place among the engine's keys)
    platform: Literal[tuple(PLATFORMS)] = "centos7"  # type: ignore[valid-type]
    until: Literal[STAGES] = "start"  # type: ignore[valid-type]
    nodes: list[TutorialNode]
    checkpoints: list[Literal[STAGES]] = Field(default_factory=list)  # type: ignore[valid-type]
    # the tutorial's own (KEYS says where they are listed)
    mirror: Url = "http://vault.centos.org/7.9.2009"
    cluster: Cluster = Field(default_factory=Cluster)
    pods_check: PodsCheck = Field(default_factory=PodsCheck)

    @classmethod
    def platform_box(cls, platform):
        return PLATFORMS[platform].box

    @classmethod
    def platform_stages(cls, platform):
        return PLATFORMS[platform].stages

    @classmethod
    def box_size_mib(cls, box):
        return next((p.box_size_mib for p in PLATFORMS.values() if p.box == box), None)

    @classmethod
    def chapter(cls, stage: str) -> str:
        return tutorial.CHAPTERS.get(stage, "")

    @classmethod
    def cross_field_rules(cls, lab: dict, loaded, add) -> None:
        """The tutorial's layout: one etcd node, one master, at least one node with role node."""
        nodes = lab.get("nodes", [])
        raw_nodes = loaded.data.get("nodes")
        roles_known = isinstance(raw_nodes, list) and raw_nodes and all("roles" in n for n in nodes) \
            and len(nodes) == len(raw_nodes)
        if not roles_known:
            return
        for needed in ("etcd", "master"):
            holders = [i for i, n in enumerate(nodes) if needed in n["roles"]]
            if not holders:
                add(("nodes",), f"no node has role {needed}; the lab needs exactly one {needed} node "
                    f"(the tutorial's single-etcd, single-master layout)")
            for i in holders[1:]:
                first = holders[0]
                add(("nodes", i, "roles"), f"a second {needed} node: nodes[{first}] "
                    f"({nodes[first].get('name', '?')}) already has role {needed}; the lab has "
                    f"exactly one {needed} node")
        if not any("node" in n["roles"] for n in nodes):
            add(("nodes",), "no node has role node; the lab needs at least one node to run pods")

    def home_node(self) -> Node:
        return self.master

    def handout_words(self) -> HandoutWords:
        """The handout in the tutorial's words: the student's Kubernetes cluster, the master's
        prompt, the tutorial's `ssh` to a node (one with role node) and `scp` to the last node's IP."""
        n = len(self.nodes)
        count = NUMBERS[n] if n < len(NUMBERS) else str(n)
        node = self.with_role("node")[0].name
        return HandoutWords(
            title="your Kubernetes cluster", noun="cluster",
            machines=f"{count} machine{'' if n == 1 else 's'}, the tutorial's own names and "
                     "addresses, all yours:",
            home=f"and you are root on your master: `[root@{self.master.name} ~]#`. From there, the "
                 f"tutorial works as written,\n`ssh {node}` and `scp ... {self.nodes[-1].ip}:...` "
                 f"included. `ssh {node}` from your own computer works too.")

    @property
    def platform_info(self) -> Platform:
        return PLATFORMS[self.platform]

    @property
    def master(self) -> TutorialNode:
        return self.with_role("master")[0]

    @property
    def etcd(self) -> TutorialNode:
        return self.with_role("etcd")[0]

    @property
    def apiserver_url(self) -> str:
        return f"http://{self.master.ip}:{tutorial.APISERVER_PORT}"

    @property
    def etcd_url(self) -> str:
        return f"http://{self.etcd.ip}:{tutorial.ETCD_PORT}"


def load_lab(path) -> TutorialLab:
    """Read and check a lab file as the tutorial's; raises ConfigError listing every problem."""
    return config.load_lab(path, TutorialLab)
