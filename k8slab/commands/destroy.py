"""`invoke destroy`: the copies' VMs deleted (with their checkpoints and networks) and what the
lab folder knew of them forgotten, each copy under its lock; the class's gateway stopped, or
the destroyed copies' students' way in closed. Asking the user first is tasks.py's."""
from __future__ import annotations

from .. import lifecycle
from ..gateway import service as gateway_service
from .side_by_side import each, locked, with_gateway


def destroy(lab, copies: list) -> list:
    """Delete the copies' VMs, never while another task runs on one; False where there was
    nothing. Destroying every copy stops the class's gateway; some, closes their students' way."""
    def one(copy):
        with locked(copy, "destroy"):
            return lifecycle.destroy(copy)
    if lab.gateway is None:
        return each(copies, one)
    if len(copies) == lab.copies:
        try:
            return each(copies, one)
        finally:
            gateway_service.stop(lab)
    return with_gateway(lab, lambda: each(copies, one))
