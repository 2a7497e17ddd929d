"""`invoke status`: the class view of the copies (k8slab.classview): their VMs' states, one
`vagrant status` per copy side by side, and what their lab folders recorded; shown as tables
and the class page, or printed as JSON."""
from __future__ import annotations

from .. import lifecycle
from ..classview import build
from ..classview.model import ClassView
from .side_by_side import each


def gather(lab, copies) -> ClassView:
    """The copies' ClassView, their VMs asked side by side (no lock: status changes nothing)."""
    return build.class_view(lab, copies, each(copies, lifecycle.vm_states))


def status(lab, copies, as_json: bool = False) -> ClassView:
    view = gather(lab, copies)
    if as_json:
        print(build.as_json(view))
    else:
        build.show(lab, copies, view)
    return view
