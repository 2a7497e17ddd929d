"""A doctor check's outcome: pass, warn or fail, and the exact fix when not pass."""
from __future__ import annotations

from dataclasses import dataclass

PASS, WARN, FAIL = "pass", "warn", "fail"


@dataclass
class Finding:
    check: str
    status: str           # pass | warn | fail
    detail: str
    fix: str = ""         # what to do; empty when status is pass


def blocking(findings) -> list:
    """The failures: any of them makes `invoke up` stop before it touches anything."""
    return [f for f in findings if f.status == FAIL]
