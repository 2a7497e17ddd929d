"""lab.yaml: the model, the loader and every check made before anything runs.

Pydantic checks the structure (keys, types, allowed values); the checks in `_semantic_problems`
look across fields (duplicates, subnets, overlaps, roles, stages). Both report Problems with the
key's path and line, and all of them are raised together in one ConfigError.
"""
from __future__ import annotations

import difflib
import ipaddress
import os
import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import yaml
from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, PrivateAttr,
                      TypeAdapter, ValidationError)

from . import tutorial, yamlpos
from .errors import ConfigError, LabError
from .platforms import PLATFORMS, ROLES, STAGES, Platform

CONFIG_ENV = "K8S_LAB_CONFIG"
PRIVATE_RANGES = tuple(IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
HOSTNAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
LAB_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
URL_RE = re.compile(r"^https?://[^\s/?#]+(/[^\s]*)?$")
ETCD_PREFIX_RE = re.compile(r"^(/[A-Za-z0-9._-]+)+$")


@dataclass
class Problem:
    path: str            # "nodes[2].ip"; "" for the file as a whole
    line: Optional[int]
    message: str

    def __str__(self) -> str:
        where = self.path + (f" (line {self.line})" if self.line else "")
        if not self.path and self.line:
            where = f"line {self.line}"
        return f"{where}: {self.message}" if where else self.message


def default_config_path() -> Path:
    """$K8S_LAB_CONFIG if set, else lab.yaml in the current folder."""
    return Path(os.environ.get(CONFIG_ENV) or "lab.yaml")


# ---- field types: each validator raises ValueError with the message the instructor reads ----

def _lab_name(v: str) -> str:
    if not LAB_NAME_RE.match(v):
        raise ValueError(f"{v!r} is not a valid lab name: use lowercase letters, digits and '-', "
                         "start with a letter, at most 40 characters")
    return v


def _hostname(v: str) -> str:
    if not HOSTNAME_RE.match(v):
        raise ValueError(f"{v!r} is not a valid host name (RFC 1123 label): lowercase letters, "
                         "digits and '-', starting and ending with a letter or digit, "
                         "at most 63 characters")
    return v


def _ipv4(v: Any) -> IPv4Address:
    if isinstance(v, IPv4Address):
        return v
    if not isinstance(v, str):
        raise ValueError(f"expected an IPv4 address like 192.168.0.15, got {_describe(v)}")
    if not v.strip():
        raise ValueError("is empty; expected an IPv4 address like 192.168.0.15")
    try:
        return IPv4Address(v)
    except ValueError:
        raise ValueError(f"{v} is not an IPv4 address") from None


def _network(v: Any) -> IPv4Network:
    if isinstance(v, IPv4Network):
        return v
    if not isinstance(v, str):
        raise ValueError(f"expected an IPv4 network like 10.254.0.0/16, got {_describe(v)}")
    if not v.strip():
        raise ValueError("is empty; expected an IPv4 network like 10.254.0.0/16")
    if "/" not in v:
        try:
            ipaddress.IPv4Address(v)
        except ValueError:
            raise ValueError(f"{v} is not an IPv4 network like 10.254.0.0/16") from None
        raise ValueError(f"{v} has no prefix length; write it as a network like 10.254.0.0/16")
    try:
        return IPv4Network(v)
    except ValueError:
        pass
    try:
        net = IPv4Network(v, strict=False)
    except ValueError:
        raise ValueError(f"{v} is not an IPv4 network like 10.254.0.0/16") from None
    raise ValueError(f"{v} has host bits set; the network is {net}")


def _url(v: str) -> str:
    if not URL_RE.match(v):
        raise ValueError(f"{v!r} is not an http:// or https:// URL")
    return v


def _etcd_prefix(v: str) -> str:
    if not ETCD_PREFIX_RE.match(v):
        raise ValueError(f"{v!r} must be an absolute etcd key path like /k8s/network "
                         "(starts with '/', no trailing '/', no spaces)")
    return v


def _role(v: str) -> str:
    if v not in ROLES:
        raise ValueError(f"unknown role {v!r}; roles are {', '.join(ROLES)}{_suggest(v, ROLES)}")
    return v


def _no_space(v: str) -> str:
    if not v:
        raise ValueError("must not be empty")
    if any(c.isspace() for c in v):
        raise ValueError(f"{v!r} must be one word, without spaces")
    return v


LabName = Annotated[str, AfterValidator(_lab_name)]
HostName = Annotated[str, AfterValidator(_hostname)]
IPv4 = Annotated[IPv4Address, PlainValidator(_ipv4)]
Network = Annotated[IPv4Network, PlainValidator(_network)]
Url = Annotated[str, AfterValidator(_url)]
Role = Annotated[str, AfterValidator(_role)]
Word = Annotated[str, AfterValidator(_no_space)]

STRICT = ConfigDict(extra="forbid", strict=True, validate_default=False)


class Node(BaseModel):
    model_config = STRICT
    name: HostName
    ip: IPv4
    roles: list[Role]
    aliases: list[HostName] = Field(default_factory=list)
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


class Cluster(BaseModel):
    model_config = STRICT
    service_range: Network = IPv4Network(tutorial.SERVICE_RANGE)
    flannel_network: Network = IPv4Network(tutorial.FLANNEL_NETWORK)
    flannel_prefix: Annotated[str, AfterValidator(_etcd_prefix)] = tutorial.FLANNEL_PREFIX
    admission_control: Word = "AlwaysAdmit"
    scheduler_args: str = "0.0.0.0"
    pod_infra_image: Word = "registry.access.redhat.com/rhel7/pod-infrastructure:latest"


class Lab(BaseModel):
    model_config = STRICT
    name: LabName = "k8s-lab"
    platform: Literal[tuple(PLATFORMS)] = "centos7"  # type: ignore[valid-type]
    box: Optional[Annotated[str, AfterValidator(_no_space)]] = None
    mirror: Url = "http://vault.centos.org/7.9.2009"
    provider: Literal["auto", "libvirt", "virtualbox"] = "auto"
    libvirt: Libvirt = Field(default_factory=Libvirt)
    defaults: Defaults = Field(default_factory=Defaults)
    private_network: Network = IPv4Network("192.168.0.0/24")
    until: Literal[STAGES] = "start"  # type: ignore[valid-type]
    nodes: list[Node]
    cluster: Cluster = Field(default_factory=Cluster)

    _path: Optional[Path] = PrivateAttr(default=None)  # set by load_lab; not a YAML key

    @property
    def path(self) -> Path:
        return self._path

    @property
    def workdir(self) -> Path:
        return self.path.parent / ".lab" / self.name

    @property
    def platform_info(self) -> Platform:
        return PLATFORMS[self.platform]

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise LabError(f"no node named {name}; nodes are {', '.join(n.name for n in self.nodes)}")

    def with_role(self, role: str) -> list[Node]:
        return [n for n in self.nodes if n.has(role)]

    @property
    def master(self) -> Node:
        return self.with_role("master")[0]

    @property
    def etcd(self) -> Node:
        return self.with_role("etcd")[0]

    @property
    def apiserver_url(self) -> str:
        return f"http://{self.master.ip}:{tutorial.APISERVER_PORT}"

    @property
    def etcd_url(self) -> str:
        return f"http://{self.etcd.ip}:{tutorial.ETCD_PORT}"

    @property
    def hosts_entries(self) -> list[tuple[str, str]]:
        return [(str(n.ip), name) for n in self.nodes for name in (n.name, *n.aliases)]

    @property
    def stages(self) -> tuple:
        return self.stages_until(self.until)

    def stages_until(self, stage: str) -> tuple:
        if stage not in STAGES:
            raise LabError(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")
        if not self.platform_info.supports(stage):
            raise LabError(f"platform {self.platform} cannot run stage {stage!r} "
                           f"(it provides: {', '.join(self.platform_info.stages)})")
        return STAGES[:STAGES.index(stage) + 1]


# ---- loading ----

def load_lab(path) -> Lab:
    """Read and check lab.yaml; raises ConfigError listing every problem found."""
    path = Path(path).expanduser().resolve()
    problems = []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, [Problem("", None, "file not found (create it from the shipped "
                                         "lab.yaml, or pass --config / set $K8S_LAB_CONFIG)")])
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(path, [Problem("", None, f"cannot read the file: {e}")])
    try:
        loaded = yamlpos.load(text)
    except yaml.YAMLError as e:
        raise ConfigError(path, [_yaml_problem(e)])

    data = loaded.data
    if data is None:
        raise ConfigError(path, [Problem("", None, "the file is empty; a lab needs at least a "
                                         "'nodes:' list")])
    if not isinstance(data, dict):
        raise ConfigError(path, [Problem("", 1, "the top level must be a mapping of settings "
                                         f"(name, platform, nodes, ...), got {_describe(data)}")])

    for d in loaded.duplicates:
        problems.append(Problem(_fmt(d.path), d.line, f"written twice in the same mapping "
                                f"(first at line {d.first_line}); write each key once"))
    lab = None
    try:
        lab = Lab.model_validate(data)
    except ValidationError as e:
        problems += [_translate(err, loaded) for err in e.errors()]
    problems += _semantic_problems(_partial(Lab, data), loaded)

    if problems:
        problems = _dedupe(problems)
        problems.sort(key=lambda p: (p.line or 0))
        raise ConfigError(path, problems)

    lab._path = path
    lab.box = lab.box or lab.platform_info.box  # the YAML key is an override; code reads the box
    for node in lab.nodes:
        if node.memory is None:
            node.memory = lab.defaults.memory
        if node.cpus is None:
            node.cpus = lab.defaults.cpus
    return lab


def _dedupe(problems):
    seen, out = set(), []
    for p in problems:
        if str(p) not in seen:
            seen.add(str(p))
            out.append(p)
    return out


def _yaml_problem(e: yaml.YAMLError) -> Problem:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    what = getattr(e, "problem", None) or str(e)
    context = getattr(e, "context", None)
    if context:
        what = f"{what} ({context})"
    if mark is None:
        return Problem("", None, f"not valid YAML: {what}")
    return Problem("", mark.line + 1, f"not valid YAML (column {mark.column + 1}): {what}")


def _fmt(loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _describe(v) -> str:
    if v is None:
        return "nothing (null)"
    if isinstance(v, bool):
        return f"{str(v).lower()} (a boolean)"
    if isinstance(v, int):
        return f"{v} (an integer)"
    if isinstance(v, float):
        return f"{v} (a decimal number)"
    if isinstance(v, str):
        return f"{v!r} (a string)"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, bytes):
        return "binary data"
    return f"{v} (a {type(v).__name__})"


def _bool_hint(v, quoting_helps=True) -> str:
    if not isinstance(v, bool):
        return ""
    return (" (YAML reads unquoted yes, no, on, off, true, false as booleans"
            + (": put it in quotes)" if quoting_helps else ")"))


def _suggest(word, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _model_at(loc):
    """The model whose keys are allowed at loc (a mapping's path), or None."""
    model = Lab
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        ann = field.annotation
        inner = getattr(ann, "__args__", (ann,))[0] if part == "nodes" else ann
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return None
        model = inner
    return model


def _keys(model) -> list:
    return list(model.model_fields)


EXPECTED = {"int_type": "expected a whole number", "string_type": "expected a string",
            "list_type": "expected a list", "model_type": "expected a mapping of settings",
            "dict_type": "expected a mapping of settings", "model_attributes_type":
            "expected a mapping of settings", "bool_type": "expected true or false"}


def _translate(err: dict, loaded: yamlpos.Loaded) -> Problem:
    loc, kind, given = tuple(err["loc"]), err["type"], err.get("input")
    path, line = _fmt(loc), loaded.line(loc)
    if kind == "missing":
        if loc == ("nodes",):
            return Problem(path, line, "is required: the list of the lab's nodes (name, ip, roles)")
        return Problem(path, line, "is required")
    if kind == "invalid_key":  # a key YAML read as a number, boolean, date...
        path = _fmt(loc[:-1]) + ("." if loc[:-1] else "") + str(loc[-1])
    if kind in ("extra_forbidden", "invalid_key"):
        model = _model_at(loc[:-1])
        keys = _keys(model) if model else []
        hint = _suggest(loc[-1], keys) or (f"; known keys are {', '.join(keys)}" if keys else "")
        return Problem(path, line, f"unknown key {loc[-1]!r}{hint}")
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", err["ctx"]["expected"])
        return Problem(path, line, f"{_describe(given)} is not allowed; must be one of "
                       f"{', '.join(choices)}{_suggest(given, choices)}{_bool_hint(given, False)}")
    if kind in ("greater_than_equal", "greater_than"):
        return Problem(path, line, f"must be at least {err['ctx'].get('ge', err['ctx'].get('gt'))}"
                       f" (got {given})")
    if kind == "value_error":
        return Problem(path, line, str(err["ctx"]["error"]))
    if kind in EXPECTED:
        if loc == ("nodes",) and kind == "list_type":
            return Problem(path, line, f"expected a list of nodes, got {_describe(given)}")
        hint = _bool_hint(given) if kind == "string_type" else ""
        return Problem(path, line, f"{EXPECTED[kind]}, got {_describe(given)}{hint}")
    return Problem(path, line, f"{err['msg']} (got {_describe(given)})")


def _partial(model, data) -> dict:
    """The fields of data that validate on their own, so cross-field checks can still run
    on the parts of a file that are fine while other parts have errors."""
    if not isinstance(data, dict):
        return {}
    out = {}
    for name, field in model.model_fields.items():
        if name not in data:
            if not field.is_required():
                out[name] = field.get_default(call_default_factory=True)
                if isinstance(out[name], BaseModel):
                    out[name] = dict(out[name])
            continue
        value, ann = data[name], field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out[name] = _partial(ann, value)
        elif model is Lab and name == "nodes":
            out[name] = [_partial(Node, n) for n in value] if isinstance(value, list) else []
        else:
            try:
                typ = Annotated[(ann, *field.metadata)] if field.metadata else ann
                out[name] = TypeAdapter(typ).validate_python(value, strict=True)
            except ValidationError:
                pass
    return out


def _semantic_problems(lab: dict, loaded: yamlpos.Loaded) -> list:
    problems = []

    def add(loc, message):
        problems.append(Problem(_fmt(loc), loaded.line(loc), message))

    nodes = lab.get("nodes", [])
    raw_nodes = loaded.data.get("nodes")
    if isinstance(raw_nodes, list) and not raw_nodes:
        add(("nodes",), "is empty; the lab needs an etcd node, a master node and at least one node "
            "with role node")

    # names: node names and aliases share /etc/hosts, so every name is unique across both
    owners = {}  # name -> (loc, description)
    for i, n in enumerate(nodes):
        if "name" in n:
            loc = ("nodes", i, "name")
            if n["name"] in owners:
                add(loc, f"{n['name']} is already {owners[n['name']][1]}; node names "
                    "must be unique")
            else:
                owners[n["name"]] = (loc, f"the name of nodes[{i}] (line {loaded.line(loc)})")
    for i, n in enumerate(nodes):
        for j, alias in enumerate(n.get("aliases", [])):
            loc = ("nodes", i, "aliases", j)
            if alias in owners:
                add(loc, f"alias {alias} is already {owners[alias][1]}; names and "
                    "aliases share /etc/hosts, so each may appear once")
            else:
                owners[alias] = (loc, f"given as nodes[{i}].aliases[{j}] (line {loaded.line(loc)})")

    # addresses
    net = lab.get("private_network")
    if net is not None and not any(net.subnet_of(r) for r in PRIVATE_RANGES):
        add(("private_network",), f"{net} is not a private (RFC 1918) range; use one inside "
            "10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
        net = None
    ips = {}
    for i, n in enumerate(nodes):
        if "ip" not in n:
            continue
        loc, ip = ("nodes", i, "ip"), n["ip"]
        if ip in ips:
            add(loc, f"{ip} is already the address of {ips[ip]}")
            continue
        ips[ip] = f"nodes[{i}] (line {loaded.line(loc)})"
        if net is None:
            continue
        if ip not in net:
            add(loc, f"{ip} is not inside private_network {net}")
        elif net.num_addresses > 2 and ip in (net.network_address, net.broadcast_address):
            which = "network" if ip == net.network_address else "broadcast"
            add(loc, f"{ip} is the {which} address of private_network {net}")
        elif ip == net.network_address + 1:
            add(loc, f"{ip} is taken by the provider's host side of private_network {net}; "
                "use another address")

    # ranges must not overlap: the provider's and the cluster's routes would collide
    ranges = [(("private_network",), lab.get("private_network")),
              (("libvirt", "management_network"), lab.get("libvirt", {}).get("management_network")),
              (("cluster", "service_range"), lab.get("cluster", {}).get("service_range")),
              (("cluster", "flannel_network"), lab.get("cluster", {}).get("flannel_network"))]
    ranges = [(loc, r) for loc, r in ranges if r is not None]
    for a in range(len(ranges)):
        for b in range(a + 1, len(ranges)):
            (loc_a, net_a), (loc_b, net_b) = ranges[a], ranges[b]
            if net_a.overlaps(net_b):
                if loc_b not in loaded.lines and loc_a in loaded.lines:  # report the one written
                    (loc_a, net_a), (loc_b, net_b) = (loc_b, net_b), (loc_a, net_a)
                where = f"line {loaded.lines[loc_a]}" if loc_a in loaded.lines else "the default"
                add(loc_b, f"{net_b} overlaps {_fmt(loc_a)} {net_a} ({where}); "
                    "the ranges must be disjoint")

    # roles: the tutorial's layout, one etcd, one master, at least one node
    for i, n in enumerate(nodes):
        roles = n.get("roles")
        if roles is None:
            continue
        if not roles:
            add(("nodes", i, "roles"), f"is empty; give the node at least one of {', '.join(ROLES)}")
        for role in sorted({r for r in roles if roles.count(r) > 1}):
            add(("nodes", i, "roles"), f"role {role} is listed twice")
    roles_known = isinstance(raw_nodes, list) and raw_nodes and all("roles" in n for n in nodes) \
        and len(nodes) == len(raw_nodes)
    if roles_known:
        for role in ("etcd", "master"):
            holders = [i for i, n in enumerate(nodes) if role in n["roles"]]
            if not holders:
                add(("nodes",), f"no node has role {role}; the lab needs exactly one {role} node "
                    f"(the tutorial's single-etcd, single-master layout)")
            for i in holders[1:]:
                first = holders[0]
                add(("nodes", i, "roles"), f"a second {role} node: nodes[{first}] "
                    f"({nodes[first].get('name', '?')}) already has role {role}; the lab has "
                    f"exactly one {role} node")
        if not any("node" in n["roles"] for n in nodes):
            add(("nodes",), "no node has role node; the lab needs at least one node to run pods")

    # stages
    platform, until = lab.get("platform"), lab.get("until")
    if platform and until and until not in PLATFORMS[platform].stages:
        info = PLATFORMS[platform]
        add(("until",), f"platform {platform} cannot run stage {until!r} "
            f"(it provides: {', '.join(info.stages)})")
    return problems
