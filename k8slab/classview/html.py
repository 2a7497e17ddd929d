"""The class view as one static HTML page: no JavaScript, no external resources, so it opens from
file:// on any machine and prints one card (one student's handout) per A4 page."""
from __future__ import annotations

import time
from pathlib import Path

import jinja2

from ..workdir import write_if_changed
from .model import ClassView, CopyView

TEMPLATE = "class.html.j2"  # in k8slab/templates/, read through the installed package


def health(copy: CopyView) -> tuple[str, str]:
    """(kind, label) for a copy's badge; kind is a CSS class and a class-summary bucket.

    Stopped VMs come first: their last verify describes machines that are no longer running."""
    if not copy.nodes or any(n.state != "running" for n in copy.nodes):
        return "down", "VMs not running"
    if copy.verify is None:
        return "unknown", "not verified"
    if copy.verify.failed:
        return "failing", f"{copy.verify.failed} failed"
    return "healthy", "verify passed"


def summary(view: ClassView) -> str:
    """One line for the header, e.g. "2 copies: 1 healthy, 1 failing"."""
    count = len(view.copies)
    kinds = [health(c)[0] for c in view.copies]
    words = {"healthy": "healthy", "failing": "failing", "unknown": "not verified",
             "down": "not running"}
    parts = [f"{kinds.count(k)} {word}" for k, word in words.items() if k in kinds]
    return f"{count} {'copy' if count == 1 else 'copies'}" + (": " + ", ".join(parts) if parts else "")


def when(at: float) -> str:
    """Local time, the way a person reads it on a handout: "Tue 04 Jun 2024 10:42"."""
    return time.strftime("%a %d %b %Y %H:%M", time.localtime(at))


def mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def render_html(view: ClassView) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("k8slab", "templates"),
        # Details and hints come from command output on the VMs: they must show as text.
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a missing variable is a bug, never an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(when=when, mib=mib)
    env.globals.update(health=health)
    return env.get_template(TEMPLATE).render(view=view, summary=summary(view))


def write_html(view: ClassView, path: Path) -> bool:
    """Write the page atomically, only when its text changed; returns whether it did."""
    return write_if_changed(Path(path), render_html(view))
