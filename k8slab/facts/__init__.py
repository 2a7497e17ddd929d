"""Facts: what is read from a node, each kind declared once as a command and its parser
(addresses.py, units.py, http.py), and here what the steps need to know about a node, read
with the steps' own reads (one round trip) before any step is planned.

Steps get these facts, never the host, so a FileStep's transform stays a pure function of the
file's text, and a playbook's steps can be built for any lab with given facts (tests do).
Steps are built before the facts are read, so they use them lazily (NodeFacts.need at plan
time), never while being built.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..errors import TAIL, CommandError, LabError
from .addresses import ADDRESSES, holder


@dataclass(frozen=True)
class Facts:
    # The interface holding the node's private IP (eth1 in Vagrant boxes; ens33 in the tutorial);
    # "" until the base stage has raised the IP on it.
    private_iface: str = ""
    # Why a fact is "" (the command and its output), raised by need() where the fact is used.
    missing: Optional[CommandError] = None

    @property
    def complete(self) -> bool:
        return bool(self.private_iface)

    def need(self, name: str) -> str:
        """The fact, or the reason it could not be read, raised."""
        value = getattr(self, name)
        if not value:
            raise self.missing or LabError(f"fact {name} was not gathered")
        return value


# what the steps' Facts are read from, asked by the runner in the node's batch
ASKS = (ADDRESSES(),)


def gather(host) -> Facts:
    """The node's facts, from one command on it; what cannot be read is recorded, not raised."""
    return from_results(host, [host.run(a.command, check=False) for a in ASKS])


def from_results(host, results) -> Facts:
    """The facts from ASKS' Results (run alone, or in the node's batch)."""
    result, = results
    try:
        iface = holder(ADDRESSES().value(result), host.node.ip)
    except ValueError:  # ip failed or printed what it never prints: the evidence below shows it
        iface = ""
    if iface:
        return Facts(private_iface=iface)
    return Facts(missing=CommandError(
        f"finding the interface of {host.node.ip}", result.command, result.exited,
        result.output.splitlines()[-TAIL:], host.log_path, host.name, "facts"))


class NodeFacts:
    """A node's facts as the run knows them now: the steps hold this, the runner updates it."""

    def __init__(self, facts: Facts = Facts()):
        self.current = facts

    @property
    def complete(self) -> bool:
        return self.current.complete

    def need(self, name: str) -> str:
        return self.current.need(name)

    def __getattr__(self, name):
        return getattr(self.current, name)
