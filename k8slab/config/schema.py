"""lab.yaml's model, the engine's part: its keys (the lab's name, box, provider, networks, nodes,
copies, checkpoints, students, gateway, servers), their types and defaults, what is derived from them
(/etc/hosts lines, the stages to run), and the hooks a tutorial's subclass fills in: its stages
and roles, its platforms' boxes (and their sizes) and stages, the networks it reserves, its rules
across keys, the node, chapter and words a student's handout has. The tutorial's own keys
(provision/lab.py's TutorialLab) are a subclass of Lab; the engine imports nothing of a tutorial."""
from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import ClassVar, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from ..allocate.names import MAX_COPIES, Names, copy_names
from ..allocate.resources import HEADROOM_MIB
from ..errors import LabError
from .fields import (Address, BoxUrl, Checksum, HostName, IPv4, LabName, Network, NotNegative,
                     ServerHost, ServerName, StudentName, UserName, Word)

STRICT = ConfigDict(extra="forbid", strict=True, validate_default=False)


class Node(BaseModel):
    model_config = STRICT
    name: HostName
    ip: IPv4
    roles: list[Word]   # a tutorial's node class says which roles there are (fields.role)
    aliases: list[HostName] = Field(default_factory=list)
    # None in the file: the lab's defaults, filled in by Lab._fill_in
    memory: Optional[int] = Field(default=None, ge=256)
    cpus: Optional[int] = Field(default=None, ge=1)

    def has(self, role: str) -> bool:
        return role in self.roles


class Libvirt(BaseModel):
    model_config = STRICT
    driver: Literal["kvm", "qemu"] = "kvm"
    management_network: Network = IPv4Network("192.168.121.0/24")


class Defaults(BaseModel):
    model_config = STRICT
    memory: int = Field(default=1024, ge=256)
    cpus: int = Field(default=1, ge=1)


class Student(BaseModel):
    """One line of the roster: student k of the list works on copy k."""
    model_config = STRICT
    name: StudentName
    # an OpenSSH public key line the student brought ("ssh-ed25519 AAAA... me@laptop"); checked
    # by config/rules.py, which can name the student. None: k8s-lab makes a key pair for them.
    key: Optional[str] = None


class Gateway(BaseModel):
    """The students' SSH entry point on the lab server (k8slab/gateway): its own sshd."""
    model_config = STRICT
    port: int = Field(default=2222, ge=1, le=65535)
    # what students type to reach the lab server; None: this host's fully qualified name
    address: Optional[Address] = None
    listen: IPv4 = IPv4Address("0.0.0.0")   # the lab server's address sshd listens on
    # the lab server's account the students' keys log in to (they only get port forwarding);
    # None: the account running k8s-lab. /etc/passwd is never changed.
    user: Optional[UserName] = None


@dataclass(frozen=True)
class HandoutWords:
    """What a student's handout page (k8slab/templates/handout.html.j2) says of the lab in the
    lab's own words (Lab.handout_words): plain text, which the page escapes; `backticks` mark
    what the student types or sees (set as code)."""
    title: str = "your lab"            # "<student>: <title>", the page's title and heading
    noun: str = "lab"                  # a copy: "Your lab is at stage ...", "your own lab's machines"
    machines: str = "The machines, all yours:"   # above the table of the machines and their names
    # after `ssh <home node>`: where that leads and what works from there
    home: str = "and you are root there."


class Server(BaseModel):
    """A lab server the class's copies run on (docs/design-several-servers.md, section 1): this
    host (host: local) or one reached over SSH, where a copy's VMs, networks and checkpoints
    all live. What it can hold is measured, not written here (k8slab/allocate/capacity.py)."""
    model_config = STRICT
    name: ServerName
    host: ServerHost            # local: this host, qemu:///system, no SSH
    # SSH's own defaults when None (~/.ssh/config, the agent), so what works for `ssh HOST`
    # works here; config/rules.py refuses them on host local, which is reached without SSH
    user: Optional[UserName] = None
    port: int = Field(default=22, ge=1, le=65535)
    key: Optional[Word] = None  # relative to the lab file's folder
    reserve_memory: NotNegative = HEADROOM_MIB   # MiB the server keeps for itself
    # None: no cap; 0: the server keeps the copies it holds and takes no new one
    max_copies: Optional[NotNegative] = None
    # what students type to reach this server's gateway; None: host
    gateway_address: Optional[Address] = None

    @property
    def remote(self) -> bool:
        return self.host != "local"

    @property
    def target(self) -> str:
        """How the server is reached, as messages and the placement table show it."""
        if not self.remote:
            return "this host"
        return f"{self.user + '@' if self.user else ''}{self.host}:{self.port}"


# a lab file without servers: one server, this host: exactly what a lab was before servers
LOCAL_SERVERS = ({"name": "local", "host": "local"},)


class Lab(BaseModel):
    """The engine's lab. A tutorial subclasses it: its own keys, narrower types for platform,
    until, checkpoints and the nodes' roles (a field overridden keeps its place), and the hooks
    below."""
    model_config = STRICT

    # ---- what a tutorial declares ----
    # the stages in the order they run (state.py keeps a lab's applied stages in this order)
    STAGES: ClassVar[tuple] = ()
    # the roles a node may have (an empty roles list is refused when there are any)
    ROLES: ClassVar[tuple] = ()
    # what an empty nodes list lacks: "is empty; the lab needs <NODES_NEEDED>"
    NODES_NEEDED: ClassVar[str] = "at least one node"
    # the key paths of the networks, besides private_network and libvirt's, that the copies'
    # management subnets and the host's networks must stay out of (("cluster", "service_range"),)
    RESERVED_NETWORKS: ClassVar[tuple] = ()
    # the order of the lab file's top-level keys, as its documentation lists them (an unknown
    # key's hint) and problems on one line are reported; a subclass's own fields come after the
    # engine's in model_fields, KEYS puts them in their place. Empty: model_fields' order.
    KEYS: ClassVar[tuple] = ()

    @classmethod
    def platform_box(cls, platform: Optional[str]) -> Optional[str]:
        """The box of a platform (box: in the file overrides it)."""
        return None

    @classmethod
    def platform_stages(cls, platform: Optional[str]) -> tuple:
        """The stages a platform can run."""
        return cls.STAGES

    @classmethod
    def box_size_mib(cls, box: str) -> Optional[int]:
        """The download size of a box, roughly, in MiB, for doctor's "will be downloaded" warning
        (None: not known, and not shown)."""
        return None

    @classmethod
    def chapter(cls, stage: str) -> str:
        """The tutorial's chapters a stage completes, for a student's handout ("": none named)."""
        return ""

    @classmethod
    def cross_field_rules(cls, lab: dict, loaded, add) -> None:
        """A tutorial's rules across keys, run by config/rules.py after the nodes' roles are
        checked: lab, the parts of the file that are valid (rules.partial); loaded, the file as
        read (loaded.data, loaded.line(path)); add(path, message) reports a problem."""

    def home_node(self) -> Node:
        """The node a student's handout sends them to (`ssh NODE`), and the gateway's refusal."""
        return self.nodes[0]

    def handout_words(self) -> HandoutWords:
        """What a student's handout says of this lab (the engine's: the machines counted, an ssh
        and an scp to the others from the home node)."""
        home = self.home_node()
        others = [n for n in self.nodes if n.name != home.name]
        there = (f" From there, `ssh {others[0].name}` and `scp ... {others[-1].ip}:...` work, as they "
                 "do from your own computer." if others else "")
        n = len(self.nodes)
        return HandoutWords(machines=f"{n} machine{'' if n == 1 else 's'}, all yours:",
                            home=f"and you are root on {home.name}.{there}")

    # ---- the engine's keys ----
    name: LabName = "k8s-lab"
    platform: Optional[Word] = None
    box: Optional[Word] = None   # None in the file: the platform's box (Lab._fill_in)
    # where Vagrant adds the box from when it is not installed (a .box file, relative to the lab
    # file, or a URL), and the checksum it must have: a class keeps the box that works
    box_url: Optional[BoxUrl] = None
    box_checksum: Optional[Checksum] = None
    provider: Literal["auto", "libvirt", "virtualbox"] = "auto"
    libvirt: Libvirt = Field(default_factory=Libvirt)
    defaults: Defaults = Field(default_factory=Defaults)
    private_network: Network = IPv4Network("192.168.0.0/24")
    until: Optional[Word] = None   # None: every stage
    nodes: list[Node]
    # How many copies of the lab one command prepares (k8slab.copies, k8slab.allocate).
    copies: int = Field(default=1, ge=1, le=MAX_COPIES)
    # The stages after which `up` keeps a checkpoint of every VM (k8slab.checkpoints).
    checkpoints: list[Word] = Field(default_factory=list)
    # The class roster (copy k is students[k-1]'s; a copy past the list is "student-k") and the
    # gateway that lets each of them reach their own copy from their own computer.
    students: list[Student] = Field(default_factory=list)
    gateway: Optional[Gateway] = None
    # Where the class's copies run (k8slab/allocate/placement.py places each copy whole on one).
    servers: list[Server] = Field(default_factory=lambda: [Server(**s) for s in LOCAL_SERVERS])

    _path: Optional[Path] = PrivateAttr(default=None)  # set by load_lab; not a YAML key
    _copy_index: int = PrivateAttr(default=1)          # set by copies.copy_lab
    _names: Optional[Names] = PrivateAttr(default=None)  # a copy's, set by copies.copy_lab
    _server: Optional[str] = PrivateAttr(default=None)   # where the class placed it (copies.expand)

    @classmethod
    def lab_keys(cls) -> list:
        """The lab file's top-level keys in KEYS' order."""
        first = [k for k in cls.KEYS if k in cls.model_fields]
        return first + [k for k in cls.model_fields if k not in first]

    @model_validator(mode="after")
    def _fill_in(self) -> "Lab":
        """The defaults that depend on other keys: the platform's box (the YAML key is an
        override; code reads the box), a node's memory and CPUs from defaults."""
        self.box = self.box or self.platform_box(self.platform)
        for node in self.nodes:
            if node.memory is None:
                node.memory = self.defaults.memory
            if node.cpus is None:
                node.cpus = self.defaults.cpus
        return self

    @property
    def copy_index(self) -> int:
        """Which copy of its lab file this lab is (1 for the lab itself)."""
        return self._copy_index

    @property
    def path(self) -> Path:
        return self._path

    @property
    def names(self) -> Names:
        """What this lab's folder, VMs and networks are called: a copy's are those its class
        allocated it; a lab's own, those of a class of one."""
        return self._names or copy_names(self.name, 1, 1)

    @property
    def workdir(self) -> Path:
        return self.path.parent / self.names.folder

    @property
    def box_source(self) -> Optional[str]:
        """box_url as Vagrant takes it: a relative path made absolute from the lab file's folder."""
        if not self.box_url or "://" in self.box_url or self.path is None:
            return self.box_url
        return str((self.path.parent / Path(self.box_url).expanduser()).resolve())

    def reserved_networks(self) -> list:
        """[(key path, network)] of RESERVED_NETWORKS, as this lab has them."""
        out = []
        for path in self.RESERVED_NETWORKS:
            value = self
            for key in path:
                value = getattr(value, key)
            out.append((path, value))
        return out

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise LabError(f"no node named {name}; nodes are {', '.join(n.name for n in self.nodes)}")

    def student(self, index: int) -> Student:
        """Copy index's student (1-based): the roster's entry, or a default one."""
        if index <= len(self.students):
            return self.students[index - 1]
        return Student(name=f"student-{index}")

    def server(self, name: str) -> Server:
        for s in self.servers:
            if s.name == name:
                return s
        raise LabError(f"no server named {name}; servers are {', '.join(s.name for s in self.servers)}")

    @property
    def on_server(self) -> Server:
        """The server this lab (a copy) runs on: where the class placed it, else this host (the
        server with host local), else the first listed."""
        if self._server:
            return self.server(self._server)
        return next((s for s in self.servers if not s.remote), self.servers[0])

    @property
    def libvirt_uri(self) -> str:
        """libvirt's connection to the VMs of this lab, as Vagrant and virsh are given it. A remote
        server is reached over SSH: no_tty makes ssh never prompt (BatchMode), so its host key
        must be known (~/.ssh/known_hosts), and vagrant-libvirt derives its `ssh -W` proxy to the
        VMs from this URI (user, host, port, keyfile)."""
        s = self.on_server
        if not s.remote:
            return "qemu:///system"
        key = ""
        if s.key:
            folder = self.path.parent if self.path else Path.cwd()
            key = f"&keyfile={(folder / Path(s.key).expanduser()).resolve()}"
        return (f"qemu+ssh://{s.user + '@' if s.user else ''}{s.host}{':%d' % s.port if s.port != 22 else ''}"
                f"/system?no_tty=1{key}")

    def with_role(self, role: str) -> list[Node]:
        return [n for n in self.nodes if n.has(role)]

    @property
    def hosts_entries(self) -> list[tuple[str, str]]:
        return [(str(n.ip), name) for n in self.nodes for name in (n.name, *n.aliases)]

    @property
    def stages(self) -> tuple:
        return self.STAGES if self.until is None else self.stages_until(self.until)

    def stages_until(self, stage: str) -> tuple:
        if stage not in self.STAGES:
            raise LabError(f"unknown stage {stage!r}; stages are {', '.join(self.STAGES)}")
        provided = self.platform_stages(self.platform)
        if stage not in provided:
            raise LabError(f"platform {self.platform} cannot run stage {stage!r} "
                           f"(it provides: {', '.join(provided)})")
        return self.STAGES[:self.STAGES.index(stage) + 1]
