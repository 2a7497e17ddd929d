"""One small exception tree. Every user-facing failure is a LabError whose str() is the message."""
from __future__ import annotations

TAIL = 12   # the last lines of a failing command's output an error shows


class LabError(Exception):
    """A failure the user can act on; tasks.py prints it and exits non-zero, no traceback."""


class ConfigError(LabError):
    """lab.yaml is malformed or invalid. Carries every problem found, not just the first."""

    def __init__(self, path, problems):
        self.path = path
        self.problems = list(problems)  # list[Problem]
        lines = [f"{path}: {len(self.problems)} problem(s):"]
        lines += [f"  {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class CommandError(LabError):
    """An external command (vagrant, a command on a node) failed."""

    def __init__(self, what, command, exit_code, output_tail, log_path=None, node=None, step=None):
        self.what, self.command, self.exit_code = what, command, exit_code
        self.output_tail, self.log_path, self.node, self.step = output_tail, log_path, node, step
        where = " ".join(x for x in (f"[{node}]" if node else "", f"step {step}:" if step else "") if x)
        lines = [f"{where + ' ' if where else ''}{what} failed (exit {exit_code}): {command}"]
        lines += [f"  | {line}" for line in output_tail]
        if log_path:
            lines.append(f"  full log: {log_path}")
        super().__init__("\n".join(lines))


class VagrantError(CommandError):
    """A vagrant command failed."""


class ProvisionError(LabError):
    """One or more nodes failed a provisioning step; carries one CommandError per failed node."""

    def __init__(self, failures):
        self.failures = list(failures)
        super().__init__("\n".join(
            ["provisioning failed on %d node(s):" % len(self.failures)]
            + [str(f) for f in self.failures]
            + ["The other nodes finished the stage; every step's result is in provision.json.",
               "Fix the cause above, then run `invoke up` (or `invoke provision`) again: "
               "finished steps report ok and are not redone."]))
