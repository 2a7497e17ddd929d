"""What `systemctl is-active` prints, for the tests whose stand-in nodes answer commands."""
from __future__ import annotations

import re


def is_active(command: str, states: dict | None = None, default: str = "active") -> str:
    """The output of the `systemctl is-active U1 U2 ...` in command (also inside a `sudo bash -c
    '...'`): one line per unit asked, in order, its state from states, else default."""
    units = re.search(r"systemctl is-active ([^'\n;]*)", command).group(1).split()
    return "".join(f"{(states or {}).get(u, default)}\n" for u in units)
