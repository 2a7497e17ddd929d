"""systemd units' states, read one way (`systemctl show`) by provisioning (to decide start,
enable, stop, restart) and by verify (the services' checks), and the restart marks.
"""
from __future__ import annotations

import re
from typing import Dict, NamedTuple

from .fact import Fact
from .text import excerpt


class UnitState(NamedTuple):
    load: str       # loaded | not-found | masked ...
    active: str     # active | inactive | failed | activating ...
    enabled: str    # enabled | disabled | static ... ("" when not installed)


def _show(*units) -> str:
    # One systemctl for every unit asked: a start costs ~1 s on a busy emulated node.
    return f"systemctl show -p Id -p LoadState -p ActiveState -p UnitFileState {' '.join(units)}"


def _parse_show(result, *units) -> Dict[str, UnitState]:
    """`systemctl show` prints one block of properties per unit, in the order asked."""
    blocks = [dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
              for block in re.split(r"\n\s*\n", result.stdout) if block.strip()]
    if len(blocks) != len(units) or not all("LoadState" in b for b in blocks):
        raise ValueError(f"systemctl show {' '.join(units)}: expected the states of {len(units)} "
                         f"unit(s), got {excerpt(result.output)}")
    return {u: UnitState(b.get("LoadState", ""), b.get("ActiveState", ""), b.get("UnitFileState", ""))
            for u, b in zip(units, blocks)}


# UNITS(u1, u2, ...): {unit: UnitState}
UNITS = Fact("units", _show, _parse_show)


def _marks(folder: str) -> str:
    # a glob, not `ls`: nothing to start
    return f'for f in {folder}/*; do [ -e "$f" ] && echo "${{f##*/}}"; done; true'


# MARKS(folder): the names of the files in folder (the services whose restart is pending)
MARKS = Fact("marks", _marks, lambda result, folder: set(result.stdout.split()))
