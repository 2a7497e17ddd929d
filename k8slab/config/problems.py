"""How a problem in lab.yaml is worded: where (key path and line), what was found, what was meant."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Optional


@dataclass
class Problem:
    path: str            # "nodes[2].ip"; "" for the file as a whole
    line: Optional[int]
    message: str

    def __str__(self) -> str:
        where = self.path + (f" (line {self.line})" if self.line else "")
        if not self.path and self.line:
            where = f"line {self.line}"
        return f"{where}: {self.message}" if where else self.message


def fmt(loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out

def describe(v) -> str:
    if v is None:
        return "nothing (null)"
    if isinstance(v, bool):
        return f"{str(v).lower()} (a boolean)"
    if isinstance(v, int):
        return f"{v} (an integer)"
    if isinstance(v, float):
        return f"{v} (a decimal number)"
    if isinstance(v, str):
        return f"{v!r} (a string)"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, bytes):
        return "binary data"
    return f"{v} (a {type(v).__name__})"

def bool_hint(v, quoting_helps=True) -> str:
    if not isinstance(v, bool):
        return ""
    return (" (YAML reads unquoted yes, no, on, off, true, false as booleans"
            + (": put it in quotes)" if quoting_helps else ")"))

def suggest(word, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
