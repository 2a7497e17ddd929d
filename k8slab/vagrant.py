"""Drive Vagrant for one lab through python-vagrant: one call per operation, output to a log.

Every call's stdout and stderr go to logs/vagrant.log in the lab folder; a failure raises
VagrantError with the command, exit code, the last lines of output and the log path
(python-vagrant itself raises a bare CalledProcessError, which would hide all of that).
"""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections import deque
from pathlib import Path
from typing import Callable, Optional

import vagrant as python_vagrant

from .errors import LabError, VagrantError
from .workdir import ensure_workdir

# "==> k8s-master: Creating domain with the following settings..."
_EVENT = re.compile(r"^==> (?P<node>[\w.-]+): (?P<message>.*)$")
TAIL = 15


def machine_ids(lab, provider: Optional[str] = None) -> dict[str, str]:
    """Machine name -> the id Vagrant recorded for it (libvirt: the domain's UUID), read from
    .vagrant/machines/<name>/<provider>/id without starting Vagrant (which takes seconds);
    provider None: any provider. Every machine of the lab folder, also one whose node the lab
    file no longer has. A machine never created or destroyed has no id: Vagrant deletes the
    file, and reads an empty one as none."""
    machines = Path(lab.workdir) / ".vagrant" / "machines"
    ids = {}
    for f in sorted(machines.glob(f"*/{provider or '*'}/id")):
        text = f.read_text().strip()
        if text:
            ids[f.parent.parent.name] = text
    return ids


def vagrant_env() -> dict:
    env = dict(os.environ)
    # No phoning home: classrooms and CI machines are often offline.
    env.setdefault("VAGRANT_CHECKPOINT_DISABLE", "1")
    env.setdefault("VAGRANT_BOX_UPDATE_CHECK_DISABLE", "1")
    env.setdefault("VAGRANT_NO_COLOR", "1")
    return env


class Vagrant:
    def __init__(self, lab):
        self.lab = lab
        self.root = ensure_workdir(lab)
        self.log_path = self.root / "logs" / "vagrant.log"
        self._v = python_vagrant.Vagrant(
            root=str(self.root), env=vagrant_env(),
            out_cm=self._log_cm, err_cm=self._log_cm)

    @contextlib.contextmanager
    def _log_cm(self):
        with open(self.log_path, "a") as fh:
            yield fh

    def _log(self, text: str) -> None:
        with open(self.log_path, "a") as fh:
            fh.write(text)

    def _tail(self) -> list[str]:
        try:
            with open(self.log_path, errors="replace") as fh:
                return [line.rstrip("\n") for line in deque(fh, TAIL)]
        except OSError:
            return []

    @contextlib.contextmanager
    def _call(self, *argv):
        command = "vagrant " + " ".join(argv)
        self._log(f"\n$ {command}   (in {self.root})\n")
        try:
            yield
        except subprocess.CalledProcessError as e:
            raise VagrantError("vagrant", command, e.returncode, self._tail(), self.log_path) from None
        except RuntimeError as e:  # python-vagrant: the vagrant executable is not installed
            raise LabError(f"{e}\nInstall Vagrant (see README: host requirements).") from None

    def up(self, provider: str, on_event: Optional[Callable[[str, str], None]] = None) -> None:
        """Boot every machine in one `vagrant up` (Vagrant runs libvirt machines in parallel)."""
        with self._call("up", "--provider", provider, "--no-provision"):
            lines = self._v.up(provider=provider, no_provision=True, stream_output=True)
            with open(self.log_path, "a") as log:
                for line in lines:
                    log.write(line)
                    log.flush()
                    m = _EVENT.match(line.rstrip())
                    if m and on_event:
                        on_event(m["node"], m["message"])

    def status(self) -> dict[str, str]:
        """Machine name -> Vagrant state (running, not_created, shutoff, ...)."""
        with self._call("status", "--machine-readable"):
            return {s.name: s.state for s in self._v.status()}

    def suspend(self) -> None:
        """Every machine's state saved (VirtualBox: savestate; libvirt's own way is libvirt.py's)."""
        with self._call("suspend"):
            self._v.suspend()

    def destroy(self) -> None:
        with self._call("destroy", "--force"):
            self._v.destroy()

    def ssh_config(self) -> str:
        """One `vagrant ssh-config` for every machine at once."""
        with self._call("ssh-config"):
            return self._v.ssh_config()

    def created(self) -> bool:
        """Whether Vagrant has ever created a machine here, without starting Vagrant."""
        return bool(machine_ids(self.lab))
