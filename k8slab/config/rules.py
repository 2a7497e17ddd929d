"""The checks across fields (unique names, addresses in the subnet, disjoint ranges, the
nodes' roles, the platform's stages, the servers, and the tutorial's own: its model's
cross_field_rules), run on whatever parts of the file are valid."""
from __future__ import annotations

from ipaddress import IPv4Network
from typing import Annotated, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from ..gateway import pubkey
from . import yamlpos
from .problems import Problem, fmt

PRIVATE_RANGES = tuple(IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def partial(model, data) -> dict:
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
        item = get_args(ann)[0] if get_origin(ann) is list else None
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out[name] = partial(ann, value)
        elif isinstance(item, type) and issubclass(item, BaseModel):   # the nodes, the students
            out[name] = [partial(item, n) for n in value] if isinstance(value, list) else []
        else:
            try:
                typ = Annotated[(ann, *field.metadata)] if field.metadata else ann
                out[name] = TypeAdapter(typ).validate_python(value, strict=True)
            except ValidationError:
                pass
    return out


def _at(lab: dict, path: tuple):
    """The value at a key path of partial()'s dict, or None."""
    for key in path:
        lab = lab.get(key) if isinstance(lab, dict) else None
    return lab


def cross_field_problems(lab: dict, loaded: yamlpos.Loaded, model) -> list:
    """lab: partial(model, the file's data); model: the Lab class the file is read as."""
    problems = []

    def add(loc, message):
        problems.append(Problem(fmt(loc), loaded.line(loc), message))

    nodes = lab.get("nodes", [])
    raw_nodes = loaded.data.get("nodes")
    if isinstance(raw_nodes, list) and not raw_nodes:
        add(("nodes",), f"is empty; the lab needs {model.NODES_NEEDED}")

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
              *((tuple(path), _at(lab, path)) for path in model.RESERVED_NETWORKS)]
    ranges = [(loc, r) for loc, r in ranges if r is not None]
    for a in range(len(ranges)):
        for b in range(a + 1, len(ranges)):
            (loc_a, net_a), (loc_b, net_b) = ranges[a], ranges[b]
            if net_a.overlaps(net_b):
                if loc_b not in loaded.lines and loc_a in loaded.lines:  # report the one written
                    (loc_a, net_a), (loc_b, net_b) = (loc_b, net_b), (loc_a, net_a)
                where = f"line {loaded.lines[loc_a]}" if loc_a in loaded.lines else "the default"
                add(loc_b, f"{net_b} overlaps {fmt(loc_a)} {net_a} ({where}); "
                    "the ranges must be disjoint")

    # roles: each node has some, each once; then the tutorial's layout (its cross_field_rules)
    for i, n in enumerate(nodes):
        roles = n.get("roles")
        if roles is None:
            continue
        if not roles and model.ROLES:
            add(("nodes", i, "roles"), f"is empty; give the node at least one of {', '.join(model.ROLES)}")
        for role in sorted({r for r in roles if roles.count(r) > 1}):
            add(("nodes", i, "roles"), f"role {role} is listed twice")
    model.cross_field_rules(lab, loaded, add)

    # copies share private_network on isolated libvirt networks found by name; VirtualBox finds
    # a host-only network by its subnet, so copies there would share one wire
    if lab.get("checkpoints") and lab.get("provider") == "virtualbox":
        add(("checkpoints",), "need the libvirt provider (they are libvirt snapshots); set "
            "provider: libvirt, or checkpoints: []")
    if lab.get("copies", 1) > 1 and lab.get("provider") == "virtualbox":
        add(("copies",), f"{lab['copies']} copies need the libvirt provider (VirtualBox would "
            "put every copy's nodes on one host-only network); set provider: libvirt, or copies: 1")

    # the roster: student k works on copy k; names and keys identify them at the gateway
    students = lab.get("students", [])
    raw_students = loaded.data.get("students")
    copies = lab.get("copies", 1)
    if isinstance(raw_students, list) and len(raw_students) > copies:
        add(("students",), f"lists {len(raw_students)} students for {copies} "
            f"{'copy' if copies == 1 else 'copies'}; each student gets a copy of their own: "
            f"set copies: {len(raw_students)}, or shorten the list")
    names, keys = {}, {}
    for i, st in enumerate(students):
        who = st.get("name") or f"students[{i}]"
        if "name" in st:
            if st["name"] in names:
                add(("students", i, "name"), f"{st['name']} is already students[{names[st['name']]}] "
                    f"(line {loaded.line(('students', names[st['name']], 'name'))}); names are unique")
            else:
                names[st["name"]] = i
        text = st.get("key")   # a key that is no string at all is pydantic's to report
        if text is None:
            continue
        try:
            key = pubkey.parse(text)
        except ValueError as e:
            add(("students", i, "key"), f"{who}'s key: {e}")
            continue
        if key.blob in keys:
            add(("students", i, "key"), f"{who}'s key is also {keys[key.blob]}'s; each student "
                "needs a key of their own (the gateway tells them apart by it)")
        else:
            keys[key.blob] = who
    if lab.get("gateway") is not None and lab.get("provider") == "virtualbox":
        add(("gateway",), "needs the libvirt provider (VirtualBox reaches the VMs through ports "
            "forwarded on the server's own loopback); set provider: libvirt, or remove gateway")

    _server_problems(lab, loaded, add)

    if lab.get("box_checksum") and not lab.get("box_url"):
        add(("box_checksum",), "checks the file box_url names, and there is no box_url: add "
            "box_url (the .box file or URL), or remove box_checksum")

    # stages
    platform, until = lab.get("platform"), lab.get("until")
    if platform and until and until not in model.platform_stages(platform):
        add(("until",), f"platform {platform} cannot run stage {until!r} "
            f"(it provides: {', '.join(model.platform_stages(platform))})")
    return problems


SSH_KEYS = ("user", "port", "key")   # what only a server reached over SSH has


def _server_problems(lab: dict, loaded: yamlpos.Loaded, add) -> None:
    """servers: (docs/design-several-servers.md, section 1). Left out, it is this host alone,
    valid by construction, so only a list written in the file is looked at."""
    raw = loaded.data.get("servers")
    if not isinstance(raw, list):
        return   # left out; or not a list, which pydantic reports
    if not raw:
        add(("servers",), "is empty; list at least one server, or leave servers out (this host only)")
        return

    def line(j, *key):
        return loaded.line(("servers", j, *key))

    names, targets = {}, {}   # a name / a server's address -> the first server index having it
    for i, s in enumerate(lab.get("servers", [])):
        if "name" in s:
            if s["name"] in names:
                j = names[s["name"]]
                add(("servers", i, "name"), f"{s['name']} is also servers[{j}]'s name (line "
                    f"{line(j, 'name')}); give each server its own (it names the server in "
                    "status and in .lab/<name>/class.json)")
            else:
                names[s["name"]] = i
        if "host" not in s:
            continue
        if s["host"] == "local":
            written = raw[i] if isinstance(raw[i], dict) else {}
            for k in (k for k in SSH_KEYS if k in written):
                others = ", ".join(o for o in SSH_KEYS if o != k)
                add(("servers", i, k), f"host local is reached without SSH; remove {k} (and {others})")
            target, shown = "local", "local"
        else:
            # DNS names ignore case; a user left out (ssh's default) may be another than one written
            target = (s["host"].lower(), s.get("port", 22), s.get("user"))
            shown = f"{s['user'] + '@' if s.get('user') else ''}{s['host']}:{s.get('port', 22)}"
        if target in targets:
            j = targets[target]
            add(("servers", i), f"{shown} is also servers[{j}] (line {line(j)}); list each server once")
        else:
            targets[target] = i

    remote = any(s.get("host", "local") != "local" for s in lab.get("servers", []))
    if remote and lab.get("provider") == "virtualbox":
        add(("servers",), "needs the libvirt provider (a copy on another server is a libvirt "
            "connection over SSH); set provider: libvirt")
    gateway = loaded.data.get("gateway")
    if len(raw) > 1 and isinstance(gateway, dict) and gateway.get("address") is not None:
        # one gateway per server (design section 5): a single address would send every student
        # to one server's gateway, which cannot reach the other servers' VMs
        add(("gateway", "address"), "with several servers each has its own address for "
            "students; set servers[k].gateway_address instead")
