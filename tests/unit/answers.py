"""For the tests whose stand-in nodes answer commands: what `systemctl is-active` prints, and a
group of checks driven against a stand-in Checker."""
from __future__ import annotations

import re


def is_active(command: str, states: dict | None = None, default: str = "active") -> str:
    """The output of the `systemctl is-active U1 U2 ...` in command (also inside a `sudo bash -c
    '...'`): one line per unit asked, in order, its state from states, else default."""
    units = re.search(r"systemctl is-active ([^'\n;]*)", command).group(1).split()
    return "".join(f"{(states or {}).get(u, default)}\n" for u in units)


def drive(checks, lab, c) -> list:
    """A group's checks(lab) generator run against c, anything with runner.Checker's
    run(group, check, node, commands, judge, timeout=...) that returns the CheckResult: each
    check in the order yielded, its timeout worked out from the results before it."""
    from k8slab.checks import runner

    def judge(check, done):
        timeout = check.timeout(done) if callable(check.timeout) else check.timeout
        return c.run(check.group, check.name, check.node, list(check.commands), check.judge,
                     timeout=timeout)
    return runner.each_check(checks, lab, judge)
