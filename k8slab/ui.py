"""What the user sees: progress while Vagrant works, tables, messages."""
from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.live import Live
from rich.table import Table

# Off a terminal (CI logs, pipes) rich would wrap at 80 columns, breaking diffs and commands.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)


class BootProgress:
    """One line per node with Vagrant's latest action, instead of a wall of Vagrant output.

    On a terminal the lines update in place; elsewhere (CI logs) each new action is printed once.
    """

    def __init__(self, nodes, title="Booting"):
        self.nodes = list(nodes)
        self.title = title
        self.action = {n: "waiting" for n in self.nodes}
        self.start = time.monotonic()
        self.live = Live(self._table(), console=console, refresh_per_second=4) if console.is_terminal else None

    def _table(self) -> Table:
        t = Table(title=f"{self.title} ({time.monotonic() - self.start:.0f}s)", title_justify="left")
        t.add_column("node")
        t.add_column("vagrant")
        for n in self.nodes:
            t.add_row(n, self.action[n])
        return t

    def __enter__(self):
        if self.live:
            self.live.__enter__()
        return self

    def __exit__(self, *exc):
        if self.live:
            self.live.update(self._table())
            self.live.__exit__(*exc)

    def event(self, node: str, message: str) -> None:
        message = message.strip().rstrip(".")
        if node not in self.action or not message or message == self.action[node]:
            return
        self.action[node] = message
        if self.live:
            self.live.update(self._table())
        else:
            console.print(f"  [{time.monotonic() - self.start:5.0f}s] {node}: {message}")


def table(title: str, columns, rows) -> None:
    t = Table(title=title, title_justify="left")
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*[str(x) for x in r])
    console.print(t)


def info(message: str) -> None:
    console.print(message)
