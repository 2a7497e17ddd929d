"""`invoke status`: the class view of the copies (k8slab.classview): their VMs' states, one
`vagrant status` per copy side by side, and what their lab folders recorded; shown as tables
and the class page, or printed as JSON. The playbook's checks may add a column to the nodes'
tables (CheckSet.node_column: what verify found on each node)."""
from __future__ import annotations

from .. import lifecycle
from . import place
from ..classview import build
from ..classview.model import ClassView
from .side_by_side import each


def gather(lab, copies, column=None) -> ClassView:
    """The copies' ClassView, their VMs asked side by side (no lock: status changes nothing);
    column: the tutorial's checks.check.NodeColumn, or None."""
    return build.class_view(lab, copies, each(copies, _states, reach=False), column)


def _states(copy) -> dict:
    """The copy's VMs' states; on a server that does not answer, each is "unreachable: why"."""
    why = place.unreachable(copy)
    if why:
        return {n.name: why.split(" is ", 1)[-1] for n in copy.nodes}
    return lifecycle.vm_states(copy)


def status(lab, copies, playbook=None, as_json: bool = False) -> ClassView:
    """playbook: the one verify ran (tasks.py hands in provision's); its CheckSet's node_column
    is a column of the nodes' tables, from the last verify's results."""
    checks = playbook.checks if playbook is not None else None
    view = gather(lab, copies, checks.node_column if checks is not None else None)
    if as_json:
        print(build.as_json(view))
    else:
        build.show(lab, copies, view)
    return view
