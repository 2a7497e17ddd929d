"""Who works on which copy: copy k is the roster's k-th student (lab.yaml `students:`), or
"student-k" past its end. Revoking a student is state, not configuration: it is kept in the
class folder (students.json) until the student's key is issued again."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..errors import LabError
from ..workdir import write_atomic
from . import pubkey

FILE = "students.json"


@dataclass(frozen=True)
class Seat:
    index: int                       # the copy's number, 1..copies
    student: str                     # the student's name
    copy: object                     # the copy, a Lab of its own (k8slab.copies)
    own_key: Optional[pubkey.PublicKey] = None   # the key the student brought, if any


def seat(lab, copy) -> Seat:
    """The seat of one copy (copy.copy_index says which) of the lab file lab."""
    st = lab.student(copy.copy_index)
    return Seat(copy.copy_index, st.name, copy, pubkey.parse(st.key) if st.key else None)


def seats(lab, copies: list) -> list[Seat]:
    """One seat per copy, in the copies' order."""
    return [seat(lab, copy) for copy in copies]


def seat_of(lab, copies: list, name: str) -> Seat:
    every = seats(lab, copies)
    for s in every:
        if s.student == name:
            return s
    known = ", ".join(s.student for s in every)
    raise LabError(f"no student named {name!r} in {lab.path.name}; the class has: {known}")


def _path(folder: Path) -> Path:
    return Path(folder) / FILE


def load(folder: Path) -> dict:
    """{"revoked": {name: epoch}, "issued": {name: epoch}} (empty when nothing was done)."""
    try:
        data = json.loads(_path(folder).read_text())
        return {"revoked": dict(data.get("revoked", {})), "issued": dict(data.get("issued", {}))}
    except (OSError, ValueError, AttributeError):
        return {"revoked": {}, "issued": {}}


def revoked(folder: Path) -> set:
    return set(load(folder)["revoked"])


def mark(folder: Path, name: str, revoke: bool) -> None:
    """Revoke name's access, or (revoke False) record that their key was issued again."""
    data = load(folder)
    if revoke:
        data["revoked"][name] = time.time()
    else:
        data["revoked"].pop(name, None)
        data["issued"][name] = time.time()
    write_atomic(_path(folder), json.dumps(data, indent=2, sort_keys=True) + "\n")
