"""Which of some packages are installed: one query of the platform's package database."""
from __future__ import annotations

from .fact import Fact


def _query(manager: str, *packages) -> str:
    if manager == "yum":
        return "rpm -q --qf '%{NAME}\\n' " + " ".join(packages)
    return "dpkg-query -W -f '${Package} ${Status}\\n' " + " ".join(packages)


def _installed(result, manager: str, *packages) -> set:
    """The names installed. rpm and dpkg-query exit non-zero when one is missing: not an error."""
    out = result.stdout
    if manager == "yum":
        return {line.strip() for line in out.splitlines() if line.strip() and "not installed" not in line}
    return {line.split()[0] for line in out.splitlines() if line.endswith("install ok installed")}


# PACKAGES(manager, p1, p2, ...): the set of those installed (manager: yum | apt)
PACKAGES = Fact("packages", _query, _installed)
