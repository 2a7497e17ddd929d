"""systemd units' states: the commands that read them and their parsers.

Provisioning reads `systemctl show` (load state, active state, unit file state: what it needs
to decide start, enable, stop), verify `systemctl is-active` (the state its checks print as
evidence). Both are parsed here only.
"""
from __future__ import annotations

import re
from typing import Dict, List, NamedTuple

from .text import excerpt, lines


class UnitState(NamedTuple):
    load: str       # loaded | not-found | masked ...
    active: str     # active | inactive | failed | activating ...
    enabled: str    # enabled | disabled | static ... ("" when not installed)


def show(units, marks_dir: str) -> str:
    """One systemctl for every unit asked (a start costs ~1 s on a busy emulated node), then
    the names in marks_dir (pending restarts) by a glob, without starting `ls`."""
    return (f"systemctl show -p Id -p LoadState -p ActiveState -p UnitFileState {' '.join(units)}; "
            f"echo --; for f in {marks_dir}/*; do [ -e \"$f\" ] && echo \"${{f##*/}}\"; done; true")


def parse_show(out: str, units) -> tuple[Dict[str, UnitState], set]:
    """Each unit's state and the marks, from show(units, ...): `systemctl show` prints one block
    of properties per unit, in the order asked."""
    shown, marks = (re.split(r"^--$", out, maxsplit=1, flags=re.M) + [""])[:2]
    blocks = [dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
              for block in shown.split("\n\n") if block.strip()]
    if len(blocks) != len(units) or not all("LoadState" in b for b in blocks):
        raise ValueError(f"systemctl show printed {len(blocks)} units' states for {len(units)}")
    return ({u: UnitState(b.get("LoadState", ""), b.get("ActiveState", ""), b.get("UnitFileState", ""))
             for u, b in zip(units, blocks)}, set(marks.split()))


STATES = {"active", "inactive", "failed", "activating", "deactivating", "reloading",
          "unknown", "maintenance", "refreshing"}


def is_active(units) -> str:
    return f"systemctl is-active {' '.join(units)}"


def parse_is_active(text: str, units: List[str]) -> Dict[str, str]:
    """`systemctl is-active u1 u2 ...`: one state per line, in the units' order."""
    units = list(units)
    states = lines(text)
    if len(states) != len(units) or any(s not in STATES for s in states):
        raise ValueError(f"systemctl is-active {' '.join(units)}: expected {len(units)} "
                         f"state line(s), got {excerpt(text)}")
    return dict(zip(units, states))
