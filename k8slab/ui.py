"""What the user sees: progress while Vagrant works, tables, messages."""
from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager

from rich.console import Console
from rich.live import Live
from rich.table import Table

# Off a terminal (CI logs, pipes) rich would wrap at 80 columns, breaking diffs and commands.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)

# The copies of a class run in threads side by side: each thread's lines carry its copy's name.
_local = threading.local()


@contextmanager
def prefix(tag: str):
    """Within the block, this thread's lines start with [tag] (several copies print at once)."""
    old = getattr(_local, "tag", "")
    _local.tag = tag
    try:
        yield
    finally:
        _local.tag = old


def current_prefix() -> str:
    return getattr(_local, "tag", "")


def say(text: str, markup: bool = True, **kw) -> None:
    """console.print with this thread's prefix on every line."""
    tag = current_prefix()
    if tag:
        mark = rf"\[{tag}] " if markup else f"[{tag}] "
        text = "\n".join(mark + line for line in str(text).split("\n"))
    console.print(text, markup=markup, **kw)


class BootProgress:
    """One line per node with Vagrant's latest action, instead of a wall of Vagrant output.

    On a terminal the lines update in place; elsewhere (CI logs) each new action is printed once.
    """

    def __init__(self, nodes, title="Booting"):
        self.nodes = list(nodes)
        self.title = title
        self.action = {n: "waiting" for n in self.nodes}
        self.start = time.monotonic()
        # in place on a terminal, unless copies boot side by side (one live table at a time)
        live = console.is_terminal and not current_prefix()
        self.live = Live(self._table(), console=console, refresh_per_second=4) if live else None

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
            say(f"  [{time.monotonic() - self.start:5.0f}s] {node}: {message}", markup=False)


def table(title: str, columns, rows) -> None:
    tag = current_prefix()
    if tag:   # a title as wide as the table would wrap the prefix: it gets its own line
        say(title)
    t = Table(title=None if tag else title, title_justify="left")
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*[str(x) for x in r])
    console.print(t)


def info(message: str) -> None:
    say(message)
