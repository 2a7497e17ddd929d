"""The doctor's findings on the terminal: a table, then the fix of each that did not pass."""
from __future__ import annotations

from .finding import FAIL, PASS, WARN

STYLE = {PASS: "[green]pass[/]", WARN: "[yellow]warn[/]", FAIL: "[red]fail[/]"}


def print_findings(findings, console=None) -> None:
    """A table (check, status, detail), then the fix of each finding that did not pass."""
    from rich.markup import escape
    from rich.table import Table

    from ..ui import console as default_console
    console = console or default_console
    t = Table(title="doctor", title_justify="left")
    # the check and its status never wrap (a script or a test finds a row by its check); the
    # detail does, when the terminal is narrow
    t.add_column("check", no_wrap=True)
    t.add_column("status", no_wrap=True)
    t.add_column("detail")
    for f in findings:
        t.add_row(escape(f.check), STYLE.get(f.status, escape(f.status)), escape(f.detail))
    console.print(t)
    for f in findings:
        if f.status != PASS and f.fix:
            console.print(f"{STYLE[f.status]} {escape(f.check)}: fix: {escape(f.fix)}")
