"""The class state, `.lab/<name>/class.json`: per copy its lab name and management subnet
(written by copies.expand) and the server it runs on (docs/design-several-servers.md, section 3),
so a re-run never moves a copy: its VMs, disks and checkpoints are on that server.

    {"lab": "k8s-lab",
     "servers": {"lab2": {"target": "root@lab2.school.example:22"}},
     "copies": {"7": {"lab": "k8s-lab-7", "management_network": "192.168.128.0/24",
                      "server": "lab2", "placed_at": 1765000000}}}

A file without "servers" was written before there were servers: every copy it lists is on
this host (the lab's server with host local). Once a placement is written, a copy without a
"server" is not placed yet. Each writer keeps what the other wrote (update()).
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Mapping, Optional

from .allocate.names import copy_names
from .workdir import class_folder, write_if_changed

CLASS_FILE = "class.json"
LOCAL = "local"   # the name of this host when the lab file names no server with host local


def path(lab) -> Path:
    return class_folder(lab) / CLASS_FILE


def read(lab) -> dict:
    """The class state; {} when there is none, or it is no JSON object (a hand edit gone
    wrong: what it kept is only a wish, the copies are found again by name)."""
    try:
        data = json.loads(path(lab).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def update(lab, change: Callable[[dict], None]) -> bool:
    """Read the class state, let change(data) edit it in place, write it back (atomically, and
    only when it changed). True when the file changed."""
    data = read(lab)
    change(data)
    return write_if_changed(path(lab), json.dumps(data, indent=2, sort_keys=True) + "\n")


def placement(lab) -> dict:
    """copy index -> server name, for the copies the class state places."""
    data = read(lab)
    copies = data.get("copies")
    if not isinstance(copies, dict):
        return {}
    legacy = "servers" not in data
    here = next((s.name for s in getattr(lab, "servers", ()) if not s.remote), LOCAL)
    out = {}
    for k, entry in copies.items():
        if not (isinstance(k, str) and k.isdigit() and isinstance(entry, dict)):
            continue
        server = entry.get("server", here if legacy else None)
        if isinstance(server, str) and server:
            out[int(k)] = server
    return out


def record_placement(lab, server_of: Mapping[int, str], at: Optional[float] = None) -> bool:
    """Keep copy index -> server name (Placement.server_of) in the class state, with when each
    copy was placed there and how each server is reached (Server.target, for a later warning
    when the lab file reaches it otherwise). Other copies' entries and keys stay as they are."""
    at = int(time.time() if at is None else at)
    targets = {s.name: s.target for s in getattr(lab, "servers", ())}

    def change(data):
        data.setdefault("lab", lab.name)
        servers, copies = _mapping(data, "servers"), _mapping(data, "copies")
        for k, name in sorted(server_of.items()):
            entry = _mapping(copies, str(k))
            entry.setdefault("lab", copy_names(lab.name, k, lab.copies).lab)
            if entry.get("server") != name:
                entry.update(server=name, placed_at=at)
            _mapping(servers, name)
            if name in targets:
                servers[name]["target"] = targets[name]
    return update(lab, change)


def _mapping(data: dict, key: str) -> dict:
    """data[key] as a dict, made one when missing or not one (a hand edit)."""
    if not isinstance(data.get(key), dict):
        data[key] = {}
    return data[key]
