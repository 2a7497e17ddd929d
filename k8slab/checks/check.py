"""A check as data (what verify runs), apart from the runner that batches and judges checks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Union

from ..facts.fact import Asked, asked


@dataclass(frozen=True)
class Check:
    """One check as data: read facts on a node, judge their values.

    A group's checks are a generator (checks(lab)) that yields lists of Checks and is sent back
    their CheckResults, in order: a check that needs another's finding (the pings need the
    leases) is yielded after it, built from the results' data. Every check is judged once."""
    group: str
    name: str
    node: str               # whose result it is
    asks: tuple = ()        # the facts it reads (facts.fact.Asked); none: decided from earlier results alone
    judge: Callable = None  # judge(*values, one per fact) -> (ok, detail, hint) or (ok, detail, hint, data)
    # seconds to keep asking until it passes; a callable is given the results so far
    timeout: Union[float, Callable] = 0
    on: str = ""            # read the facts on this node (a pod's state: kubectl on the master)


def check(group, name, node, asks, judge, timeout=0, on="") -> Check:
    """A Check. asks: a fact asked (Asked), a command (a str: its judge is given the command's
    Result, facts.fact.OUTPUT), or a list of them."""
    items = [asks] if isinstance(asks, (str, Asked)) else list(asks)
    return Check(group, name, node, tuple(asked(i) for i in items), judge, timeout, on)


@dataclass(frozen=True)
class OnRequest:
    """Checks a tutorial runs only when asked (`verify --pods`): they change the lab or wait long,
    so they are never read ahead; checks(lab, checker) asks through Checker.run."""
    checks: Callable
    group: str          # its name in the report and in verify's first line
    needs: str          # the stage that must be applied before they can run
    refused: str        # why not before that stage; {lab} is the lab's name
    reminder: str       # said after a verify that did not ask for them, once `needs` is applied


@dataclass(frozen=True)
class NodeColumn:
    """A column a tutorial adds to `invoke status`'s node tables (the terminal's and the class
    page's): on each node, what the last verify found there, the data[key] of the check named
    check when it passed (none before: the next verify shows it). In `status --json`, each
    node's value is under the title, "_" for its spaces."""
    title: str          # the class page's heading
    check: str          # the check whose result's data holds the value
    key: str            # the value's key in that data
    short: str = ""     # the terminal table's heading, when narrower than the title

    @property
    def json_key(self) -> str:
        return self.title.replace(" ", "_")


@dataclass(frozen=True)
class CheckSet:
    """What a tutorial hands verify: its groups in the order they run, each with the stages it
    needs applied ((name, checks(lab) generator, stages)), and its checks run on request; and
    what `invoke status` shows of their results on each node (node_column)."""
    groups: tuple
    on_request: Optional[OnRequest] = None
    node_column: Optional[NodeColumn] = None
