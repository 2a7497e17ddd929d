"""What has been done to a lab, kept in its folder (state.json), written atomically: the stages
applied, the last verify's outcome, and the last thing done to it (a reset) for `status`."""
from __future__ import annotations

import json
import time
from pathlib import Path

from .workdir import ensure_workdir, write_atomic


def _path(lab) -> Path:
    return ensure_workdir(lab) / "state.json"


def load_state(lab) -> dict:
    path = _path(lab)
    if not path.exists():
        return {"stages": []}
    try:
        return json.loads(path.read_text())
    except ValueError:
        # Written atomically, so this is a hand edit gone wrong: start over, provisioning is idempotent.
        return {"stages": []}


def save_state(lab, state: dict) -> None:
    write_atomic(_path(lab), json.dumps(state, indent=2, sort_keys=True) + "\n")


def applied_stages(lab) -> list[str]:
    return [s for s in lab.STAGES if s in load_state(lab).get("stages", [])]


def mark_applied(lab, stage: str) -> None:
    state = load_state(lab)
    state["stages"] = [s for s in lab.STAGES if s in set(state.get("stages", [])) | {stage}]
    save_state(lab, state)


def forget(lab) -> None:
    """After destroy: nothing is applied any more."""
    save_state(lab, {"stages": []})


def record_verify(lab, passed: int, failed: int, started: float) -> None:
    """The outcome of the verify that just ran (its checks are in verify.json)."""
    st = load_state(lab)
    st["verify"] = {"at": started, "passed": passed, "failed": failed}
    save_state(lab, st)


def reset_to(lab, stages, note: str) -> None:
    """After a reset: the stages the checkpoint had; the verify before it says nothing now."""
    save_state(lab, {"stages": [s for s in lab.STAGES if s in stages],
                     "note": {"text": note, "at": time.time()}})


def record_note(lab, text: str, at: float) -> None:
    """The last thing done to the copy, as status shows it ("suspended for the night ...")."""
    st = load_state(lab)
    st["note"] = {"text": text, "at": at}
    save_state(lab, st)
