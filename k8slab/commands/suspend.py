"""`invoke suspend`: every copy's running VMs saved to disk for the night (k8slab.night),
each copy under its lock; `up` resumes them."""
from __future__ import annotations

from .. import night
from .side_by_side import each, locked


def suspend(copies: list) -> list:
    """node -> how it was stopped, per copy (night.suspend)."""
    def one(copy):
        with locked(copy, "suspend"):
            return night.suspend(copy)
    return each(copies, one)
