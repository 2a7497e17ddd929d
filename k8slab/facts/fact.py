"""A fact: what a node is asked, declared once as the command that reads it and the parser of
that command's Result (pyinfra's facts). A fact called with its arguments is an Asked, keyed by
them: steps and checks hand the runners Askeds, the runners read each distinct one once per
node (one round trip for all of them) and parse it once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True, eq=False)
class Fact:
    name: str
    command: Callable[..., str]   # command(*args): the read-only shell command
    parse: Callable[..., object]  # parse(result, *args): its value; ValueError when unreadable

    def __call__(self, *args) -> "Asked":
        return Asked(self, args)

    def __repr__(self) -> str:
        return f"Fact({self.name})"


@dataclass(frozen=True)
class Asked:
    """A fact with its arguments: the key a run reads it by."""
    fact: Fact
    args: tuple

    @property
    def command(self) -> str:
        return self.fact.command(*self.args)

    def value(self, result):
        return self.fact.parse(result, *self.args)


# What a command prints, as its Result: a command whose reader is the check's judge (the
# tutorial's etcdctl, kubectl, ping lines: their parsers are the tutorial's).
OUTPUT = Fact("output", lambda command: command, lambda result, command: result)


def asked(item) -> Asked:
    """item as an Asked: a str is the OUTPUT of that command."""
    return item if isinstance(item, Asked) else OUTPUT(item)
