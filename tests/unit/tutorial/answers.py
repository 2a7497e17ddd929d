"""For the tests whose stand-in nodes answer commands: what `systemctl show` prints (in the form
of tests/captured/systemctl-show-master.txt, a real capture), and a group of checks driven
against a stand-in Checker."""
from __future__ import annotations

import re


def is_active(command: str, states: dict | None = None, default: str = "active") -> str:
    """The output of the `systemctl show -p ... U1 U2 ...` in command (also inside a `sudo bash
    -c '...'`): a block per unit asked, in order, its ActiveState from states, else default."""
    units = re.search(r"systemctl show (?:-p \w+ )*([^'\n;]*)", command).group(1).split()
    return "\n".join(f"Id={u}.service\nLoadState=loaded\nActiveState={(states or {}).get(u, default)}\n"
                      f"UnitFileState=enabled\n" for u in units)


def drive(checks, lab, c) -> list:
    """A group's checks(lab) generator run against c, anything with runner.Checker's
    run(group, check, node, commands, judge, timeout=...) that returns the CheckResult: each
    check in the order yielded, its timeout worked out from the results before it."""
    from k8slab.checks import runner

    def judge(check, done):
        timeout = check.timeout(done) if callable(check.timeout) else check.timeout
        # the stand-in answers commands; the judge gets the facts' values, as the runner gives them
        return c.run(check.group, check.name, check.node, [a.command for a in check.asks],
                     lambda *results: check.judge(*(a.value(r) for a, r in zip(check.asks, results))),
                     timeout=timeout)
    return runner.each_check(checks, lab, judge)
