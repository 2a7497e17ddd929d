"""Small helpers the parsers share: a command's output as lines, and an excerpt of it for errors."""
from __future__ import annotations

from typing import List


def lines(text: str) -> List[str]:
    return [l.strip() for l in (text or "").splitlines() if l.strip()]


def excerpt(text: str, limit: int = 300) -> str:
    text = (text or "").strip()
    return repr(text if len(text) <= limit else text[:limit] + "...")
