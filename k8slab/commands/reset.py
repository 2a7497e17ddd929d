"""`invoke reset --to STAGE`: each copy back to its checkpoint of the stage (k8slab.checkpoints),
under its lock, the copies side by side; the students' keys installed again."""
from __future__ import annotations

from .. import checkpoints
from ..gateway import service as gateway_service
from .side_by_side import each, locked, with_gateway


def reset(lab, copies: list, stage: str) -> list:
    """Put each copy back to its checkpoint of stage; the seconds each took. The checkpoint
    may predate the students' keys (or a revocation): the gateway installs them again."""
    lab.stages_until(stage)   # an unknown stage is refused before anything runs

    def one(copy):
        keys = (lambda conns: gateway_service.install(lab, copy, conns)) if lab.gateway is not None else None
        with locked(copy, "reset"):
            return checkpoints.reset(copy, stage, after=keys)
    return with_gateway(lab, lambda: each(copies, one))
