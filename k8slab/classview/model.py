"""What `invoke status` shows of a class (the copies of one lab file): plain data, built from
the copies' lab folders and one look at their VMs (build.py), printed as a table and written as
one static HTML page (html.py). Times are Unix epoch seconds."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..checks.check import NodeColumn


@dataclass(frozen=True)
class NodeView:
    name: str
    roles: tuple                     # ("etcd", "master") ...
    ip: str                          # the private IP (the tutorial's, the same in every copy)
    state: str                       # Vagrant's: running, shutoff, paused, not_created, unknown
    column: Optional[str] = None     # the tutorial's column (ClassView.node_column), once verify found it


@dataclass(frozen=True)
class CheckView:
    group: str                       # base, etcd, master, network, ping, nodes
    check: str                       # "etcd cluster-health"
    node: str                        # a node name, or "all"
    passed: bool
    detail: str
    hint: str = ""


@dataclass(frozen=True)
class VerifyView:
    at: float                        # when the last verify started
    passed: int
    failed: int
    checks: tuple = ()               # of CheckView, in the order they ran


@dataclass(frozen=True)
class CheckpointView:
    stage: str
    at: float
    disk_bytes: int                  # what the checkpoint added to the VMs' disk images


@dataclass(frozen=True)
class CopyView:
    lab: str                         # the copy's lab name, e.g. "k8s-lab-2" ("k8s-lab" for one copy)
    index: int                       # 1..copies
    nodes: tuple                     # of NodeView
    stages: tuple = ()               # applied, in order; the last is "where the copy is"
    verify: Optional[VerifyView] = None
    access: tuple = ()               # of (label, command): how a student reaches the copy
    checkpoints: tuple = ()          # of CheckpointView
    management_network: str = ""     # the copy's own NAT network, e.g. "192.168.122.0/24"
    note: str = ""                   # e.g. "reset to base at 10:42" (the last thing done to it)
    student: str = ""                # whose copy it is (the roster; with a gateway)
    key_installed: Optional[bool] = None   # the student's key on its VMs (None: no gateway)
    handout: str = ""                # the student's page, relative to the class page
    server: str = ""                 # the lab server it runs on (its name in the lab file)

    @property
    def stage(self) -> str:
        return self.stages[-1] if self.stages else "none"


@dataclass(frozen=True)
class ClassView:
    lab: str                         # the lab file's name: key
    lab_file: str                    # its path
    generated_at: float
    copies: tuple                    # of CopyView, by index
    private_network: str = ""        # the lab file's subnet, shared by every copy (isolated)
    gateway: str = ""                # the students' gateway in one line ("" without one)
    node_column: Optional[NodeColumn] = None   # the tutorial's node column (its CheckSet's); None: none
    servers: tuple = ()              # the lab servers' names when the class has several (or a remote one)
