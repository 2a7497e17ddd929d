"""Provisioning steps: each reads the host, computes what differs, and changes only that.

A step's plan() only reads. It returns a Plan: the unified diff and the commands that would
run, and a function that applies them. What it reads are facts (k8slab/facts/), its asks(): the
runner reads every step's facts of a node in one round trip (Host.run_many) and hands each step
their Results as `read`; plan() reads the host itself only without them (after something
changed). An empty plan means "ok, nothing to do". Dry runs print plans; real runs apply them. Services restart only when a file they read changed (the
stage's Context collects those services).
"""
from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass, field
from typing import Callable, Optional

from .errors import CommandError
from .facts.fact import OUTPUT
from .facts.files import FILE
from .facts.packages import PACKAGES
from .facts.units import MARKS, UNITS

WOULD_CHANGE = 10  # exit code of a shell provisioner's check mode: "something to do"
# On each node: one empty file per service whose config changed but which has not been restarted
# yet. A run killed between the two steps leaves the mark, and the next run still restarts it.
PENDING = "/var/lib/k8s-lab/restart"


@dataclass
class Context:
    """What earlier steps of the same stage on the same node decided."""
    dry_run: bool = False
    restart: set = field(default_factory=set)  # services whose files changed
    scripts: object = None                     # the playbook's script folder (ShellStep reads it)
    units: tuple = ()                          # every unit the node's steps ask systemd about


@dataclass
class Plan:
    commands: list = field(default_factory=list)   # what would run (for dry runs and reports)
    diff: str = ""
    apply: Optional[Callable[[], None]] = None
    note: str = ""                                 # what was found, for the report

    @property
    def changes(self) -> bool:
        return bool(self.commands or self.diff)


def _unified(path: str, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                        f"{path} (now)", f"{path} (wanted)"))


class Step:
    name = "step"
    units: tuple = ()   # the systemd units it asks about; the runner asks for them all at once

    def asks(self, ctx: Context) -> tuple:
        """The facts (facts.fact.Asked) plan() reads."""
        return ()

    def plan(self, host, ctx: Context, read=None) -> Plan:
        """read: asks()'s Results, read earlier in the node's batch; None: read the host now."""
        raise NotImplementedError

    def _read(self, host, ctx, read) -> list:
        """asks()'s Results: those handed in, else read now in one round trip."""
        if read is not None:
            return list(read)
        commands = [a.command for a in self.asks(ctx)]
        return host.run_many(commands) if len(commands) > 1 else [host.run(c, check=False) for c in commands]

    def preview(self) -> list:
        """What the step makes so, from the lab file alone (`invoke plan` before any VM exists)."""
        return [self.name]


class FileStep(Step):
    """Edit one file by a pure function of its current text (e.g. provision/files.py)."""

    def __init__(self, name, path, transform, restarts=(), mode="0644", package_hint=""):
        self.name, self.path, self.transform = name, path, transform
        self.restarts, self.mode, self.package_hint = tuple(restarts), mode, package_hint

    def asks(self, ctx):
        return (FILE(self.path),)

    def preview(self):
        # the transform of an empty file is exactly the lines the step sets; the rest of the
        # package's file is kept as it is
        lines = self.transform("").splitlines()
        return [f"{self.path}: {len(lines)} line(s) set" + (f", restarts {', '.join(self.restarts)}"
                                                             if self.restarts else "")] + \
            [f"  {line}" for line in lines]

    def plan(self, host, ctx, read=None):
        current = host.read_result(self.path, self._read(host, ctx, read)[0])
        if current is None and self.package_hint:
            if ctx.dry_run:
                return Plan(note=f"{self.path} does not exist yet (the base stage installs "
                                 f"{self.package_hint}); diff shown once it does")
            raise CommandError("file check", f"test -e {self.path}", 1,
                               [f"{self.path} is missing: is package {self.package_hint} installed? "
                                f"Run the base stage first (invoke provision --until base)."],
                               host.log_path, host.name, host.step)
        wanted = self.transform(current or "")
        if wanted == current:
            return Plan(note=f"{self.path} already as wanted")
        ctx.restart.update(self.restarts)

        def apply():
            if self.restarts:
                host.run(f"mkdir -p {PENDING} && touch "
                         + " ".join(f"{PENDING}/{svc}" for svc in self.restarts))
            host.write(self.path, wanted, self.mode)
        return Plan(diff=_unified(self.path, current or "", wanted), apply=apply,
                    note=f"{self.path} edited" + (f" (restarts {', '.join(self.restarts)})"
                                                    if self.restarts else ""))


RUNNING_STATES = ("enabled", "static", "generated", "indirect")
ENABLED = ("enabled", "enabled-runtime")    # what `systemctl disable` undoes
STOPPED = ("inactive", "failed")


class ServiceStep(Step):
    """Services running and enabled, restarted when a file they read changed.

    With start=False (the end of a stage that edits files of services the start stage starts
    later) it only restarts those already running. With off=True the services are stopped and
    disabled where they are installed (the firewall).
    """

    def __init__(self, services, start=True, off=False, name=None):
        self.services, self.start, self.off = list(services), start and not off, off
        self.name = name or ("services " if start else "restart changed ") + " ".join(self.services)

    units = property(lambda self: tuple(self.services))   # what it asks systemd (Context.units)

    def _units(self, ctx):
        return ctx.units or self.services

    def asks(self, ctx):
        return (UNITS(*self._units(ctx)), MARKS(PENDING))

    def plan(self, host, ctx, read=None):
        units, marks = self.asks(ctx)
        shown, marked = self._read(host, ctx, read)
        try:
            states = units.value(shown)
        except ValueError:
            raise host.error(shown.command, shown) from None
        pending = marks.value(marked)
        if self.off:
            return self._plan_off(host, states)
        restart = (ctx.restart | pending) & set(self.services)
        ctx.restart.difference_update(self.services)
        candidates = self.services if self.start else [s for s in self.services if s in restart]
        if not candidates:
            return Plan(note="no service files changed")
        missing = [s for s in candidates if states[s][0] == "not-found"]
        if self.start and missing and not ctx.dry_run:
            raise CommandError("unit check", f"systemctl show {' '.join(missing)}", 1,
                               [f"{s} is not installed on this node" for s in missing],
                               host.log_path, host.name, host.step)
        commands = []
        for s in candidates:
            _, active, enabled = states[s]
            done = f" && rm -f {PENDING}/{s}" if s in restart else ""
            if active != "active" and self.start:
                commands.append(f"systemctl start {s}{done}")
            elif active == "active" and s in restart:
                commands.append(f"systemctl restart {s}{done}")
            if self.start and enabled not in RUNNING_STATES:
                commands.append(f"systemctl enable {s}")
        note = ", ".join(f"{s} {states[s][1]}/{states[s][2]}" for s in candidates)
        if not self.start and not commands:
            note += ": started by the start stage"
        return Plan(commands=commands, note=note, apply=lambda: [host.run(c) for c in commands])

    def preview(self):
        if self.off:
            return [f"{', '.join(self.services)}: stopped and disabled"]
        if self.start:
            return [f"{', '.join(self.services)}: running and enabled"]
        return [f"{', '.join(self.services)}: restarted if a file it reads changed"]

    def _plan_off(self, host, states):
        commands, notes = [], []
        for s in self.services:
            load, active, enabled = states[s]
            if load == "not-found":
                notes.append(f"{s} not installed")
                continue
            if active not in STOPPED:
                commands.append(f"systemctl stop {s}")
            if enabled in ENABLED:
                commands.append(f"systemctl disable {s}")
            notes.append(f"{s} {active}/{enabled or '-'}")
        return Plan(commands=commands, note=", ".join(notes),
                    apply=lambda: [host.run(c) for c in commands])


class PackageStep(Step):
    """Packages installed (yum on centos7, apt on debian12); installs only the missing ones."""

    def __init__(self, packages, manager):
        self.packages, self.manager = list(packages), manager
        self.name = "packages " + " ".join(self.packages)

    def asks(self, ctx):
        return (PACKAGES(self.manager, *self.packages),)

    def preview(self):
        return [f"packages installed ({self.manager}): {' '.join(self.packages)}"]

    def plan(self, host, ctx, read=None):
        installed, = self.asks(ctx)
        have = installed.value(self._read(host, ctx, read)[0])
        missing = [p for p in self.packages if p not in have]
        if not missing:
            return Plan(note="all installed")
        cmd = (f"yum install -y {' '.join(missing)}" if self.manager == "yum"
               else f"DEBIAN_FRONTEND=noninteractive apt-get install -y {' '.join(missing)}")
        return Plan(commands=[cmd], note="missing: " + " ".join(missing),
                    apply=lambda: host.run(cmd, timeout=1800))


class ShellStep(Step):
    """A shell provisioner from the playbook's script folder (its lib.sh, then the script), run
    over the node's connection.

    Each script has two modes: MODE=check prints the commands it would run and exits 10 when
    there is something to do (0 when not); MODE=apply does it.
    """

    def __init__(self, name, script, env=None):
        self.name, self.script, self.env = name, script, dict(env or {})

    def preview(self):
        return [f"{self.name} (provision/scripts/{self.script}"
                + "".join(f", {k}={v}" for k, v in self.env.items()) + ")"]

    def _command(self, mode):
        env = " ".join(f"{k}={shlex.quote(str(v))}" for k, v in {"MODE": mode, **self.env}.items())
        return f"env {env} bash -s"

    def _text(self, ctx):
        return (ctx.scripts / "lib.sh").read_text() + (ctx.scripts / self.script).read_text()

    def asks(self, ctx):
        # What the script's check mode prints, the script's text itself sent, its variables set
        # first: in the node's batch it runs in a subshell of the node's shell, with no base64,
        # env or bash to start (each costs ~0.1 s on a busy emulated node). `exit` in it ends
        # that subshell only. Its reader is plan() (exit 0, WOULD_CHANGE, or a failure).
        assigns = " ".join(f"{k}={shlex.quote(str(v))}" for k, v in {"MODE": "check", **self.env}.items())
        return (OUTPUT(f"{assigns}  # {self.script}, check mode\n{self._text(ctx)}"),)

    def plan(self, host, ctx, read=None):
        text = self._text(ctx)
        r, = self._read(host, ctx, read)
        if r.exited == 0:
            return Plan(note=r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "ok")
        if r.exited != WOULD_CHANGE:
            raise host.error(f"{self.script} (check)", r)
        commands = [line for line in r.stdout.splitlines() if line.strip()]
        return Plan(commands=commands, apply=lambda: host.run(self._command("apply"), stdin=text))
