"""`invoke status`'s view: a ClassView of the copies from their lab folders (state.json,
verify.json, checkpoints.json, the cached SSH settings) and their VMs' states (one `vagrant
status` per copy, which commands/status.py asks side by side), printed as a table and written
as the class's HTML page (`.lab/<name>/class.html`)."""
from __future__ import annotations

import dataclasses
import json
import shlex
import time
from pathlib import Path

from .. import checkpoints, state, ui
from ..copies import class_folder
from ..gateway import service as gateway
from ..ssh import cached_targets
from .model import CheckpointView, CheckView, ClassView, CopyView, NodeView, VerifyView

PAGE = "class.html"


def _results(copy, recorded: dict) -> list:
    """The last verify's results (verify.json, as checks/report.py writes them); none after a
    reset (state.json recorded no verify)."""
    if not recorded:
        return []
    try:
        return json.loads((Path(copy.workdir) / "verify.json").read_text())["results"]
    except (OSError, ValueError, KeyError):
        return []


def _verify(recorded: dict, results: list):
    """The last verify's outcome (state.json) with its checks; None after a reset."""
    if not recorded:
        return None
    checks = tuple(CheckView(r["group"], r["check"], r["node"], r["passed"], r["detail"], r["hint"])
                   for r in results)
    return VerifyView(recorded["at"], recorded["passed"], recorded["failed"], checks)


def _column(results: list, column) -> dict:
    """node -> its value in the tutorial's column (a checks.check.NodeColumn, or None: none), as
    the last verify found it: the data[column.key] of the check column.check where it passed.
    A verify.json written before results carried data has none: the next verify shows them."""
    if column is None:
        return {}
    return {r["node"]: r["data"][column.key] for r in results
            if r["check"] == column.check and r["passed"] and column.key in (r.get("data") or {})}


def _access(lab, copy, index) -> tuple:
    which = f" --copy {index}" if lab.copies > 1 else ""
    out = [(f"shell on {n.name}", f"invoke ssh {n.name} --config {lab.path}{which}")
           for n in copy.nodes]
    # the plain ssh line, once Vagrant has told us the addresses
    for name, t in cached_targets(copy).items():
        # a VM on another lab server is reached through it (Vagrant's ProxyCommand)
        proxy = f"-o ProxyCommand={shlex.quote(t.proxy)} " if t.proxy else ""
        out.append((f"plain ssh to {name}", f"ssh {proxy}-p {t.port} -i {t.key_file} {t.user}@{t.host}"))
    return tuple(out)


def copy_view(lab, copy, index: int, vm_states: dict, column=None) -> CopyView:
    """One copy's view; column: the tutorial's NodeColumn (its CheckSet's node_column), or None."""
    st = state.load_state(copy)
    results = _results(copy, st.get("verify"))
    verify = _verify(st.get("verify"), results)
    found = _column(results, column)
    nodes = tuple(NodeView(n.name, tuple(n.roles), str(n.ip), vm_states.get(n.name, "unknown"),
                           found.get(n.name)) for n in copy.nodes)
    points = tuple(CheckpointView(s, v["at"], v["disk_bytes"])
                   for s, v in sorted(checkpoints.recorded(copy).items(), key=lambda kv: kv[1]["at"]))
    note = st.get("note") or {}
    student, installed, page = (gateway.seat_view(lab, copy) if lab.gateway is not None
                                else ("", None, None))
    return CopyView(copy.name, index, nodes, tuple(state.applied_stages(copy)), verify,
                    _access(lab, copy, index), points, str(copy.libvirt.management_network),
                    f"{note['text']} at {time.strftime('%Y-%m-%d %H:%M', time.localtime(note['at']))}"
                    if note else "", student, installed,
                    str(page.relative_to(class_folder(lab))) if page else "", copy.on_server.name)


def class_view(lab, copies, vm_states: list, column=None) -> ClassView:
    """The class as a ClassView: each copy's view, from its lab folder and vm_states (one
    Vagrant answer per copy, in the copies' order: commands/status.py asks them); column: the
    tutorial's NodeColumn, shown on each node (None: no such column)."""
    index = {c.name: c.copy_index for c in copies}   # the copy's own number, also under --copy
    return ClassView(lab.name, str(lab.path), time.time(),
                     tuple(copy_view(lab, c, index[c.name], s, column) for c, s in zip(copies, vm_states)),
                     str(lab.private_network),
                     gateway.describe(lab) if lab.gateway is not None else "", column,
                     tuple(s.name for s in lab.servers) if len(lab.servers) > 1 or lab.servers[0].remote else ())


def as_json(view: ClassView) -> str:
    """The class view as JSON: the same facts as the table and the page (times in epoch seconds).
    The tutorial's column is a key of each node, its title with "_" for spaces
    (NodeColumn.json_key); the declaration itself is not repeated there."""
    data = dataclasses.asdict(view)
    del data["node_column"]
    for copy in data["copies"]:
        for node in copy["nodes"]:
            value = node.pop("column")
            if view.node_column is not None:
                node[view.node_column.json_key] = value
    return json.dumps(data, indent=2, sort_keys=True)


def _verify_text(v) -> str:
    if v is None:
        return "not verified"
    when = time.strftime("%H:%M", time.localtime(v.at))
    return f"{v.passed} passed at {when}" if not v.failed else f"{v.failed} FAILED at {when}"


def show(lab, copies, view: ClassView) -> ClassView:
    """The view as tables; the class page written when the view is the whole class."""
    column = view.node_column
    for cv in view.copies:
        ui.table(f"lab {cv.lab}", ["node", "roles", "ip", "state"] + ([column.short or column.title] if column else []),
                 [(n.name, ",".join(n.roles), n.ip, n.state) + ((n.column or "-",) if column else ())
                  for n in cv.nodes])
        ui.info(f"stages applied: {', '.join(cv.stages) if cv.stages else 'none'}; "
                f"verify: {_verify_text(cv.verify)}"
                + (f"; checkpoints: {', '.join(p.stage for p in cv.checkpoints)}" if cv.checkpoints else "")
                + (f"; {cv.note}" if cv.note else ""))
    where = bool(view.servers)   # with several servers (or a remote one): where each copy runs
    if view.gateway:
        ui.table(f"class {lab.name}: {len(view.copies)} {'copy' if len(view.copies) == 1 else 'copies'}",
                 ["copy"] + (["server"] if where else []) + ["student", "VMs", "stage", "verify", "key installed"],
                 [(cv.lab, *((cv.server,) if where else ()), cv.student, _vms(cv), cv.stage,
                   _verify_text(cv.verify), "yes" if cv.key_installed else "no") for cv in view.copies])
        ui.info(view.gateway)
    elif len(view.copies) > 1 or where:
        ui.table(f"class {lab.name}: {len(view.copies)} {'copy' if len(view.copies) == 1 else 'copies'}",
                 ["copy"] + (["server"] if where else []) + ["VMs", "stage", "verify", "ssh"],
                 [(cv.lab, *((cv.server,) if where else ()), _vms(cv), cv.stage, _verify_text(cv.verify),
                   cv.access[0][1]) for cv in view.copies])
    page = class_folder(lab) / PAGE
    if len(copies) == lab.copies:   # the page is the whole class: --copy K leaves it as it was
        from .html import write_html
        write_html(view, page)
        ui.info(f"class page: {page}")
    return view


def _vms(cv) -> str:
    running = sum(n.state == "running" for n in cv.nodes)
    return f"{running}/{len(cv.nodes)} running"
