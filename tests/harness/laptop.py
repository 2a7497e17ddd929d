"""A student's laptop: a network namespace of its own whose only link is a veth to the lab
server's namespace (a /30: it reaches the server's one address and nothing beyond, no route
out), a home folder of its own, and OpenSSH's real ssh client.

ssh finds ~ in the password database, not in $HOME, so the laptop's commands run in a mount
namespace of their own where the laptop's home is bind-mounted over the invoking user's home:
`ssh k8s-master` then reads the laptop's ~/.ssh/config exactly as a student's ssh would.
"""
from __future__ import annotations

import os
import pwd
import shlex
import subprocess
from pathlib import Path

from . import netns

NS = "k8slabl"                 # the laptop
SERVER_IP, LAPTOP_IP = "172.30.99.1", "172.30.99.2"   # the veth pair's /30, inside namespaces only


def link(server_ns: str, ns: str = NS) -> None:
    """The laptop's namespace and a veth pair to server_ns, addresses on both ends, nothing else."""
    netns.create(ns)
    subprocess.run(["ip", "link", "add", "k8sl-laptop", "netns", ns, "type", "veth",
                    "peer", "name", "k8sl-server", "netns", server_ns], check=True)
    for space, dev, ip in ((ns, "k8sl-laptop", LAPTOP_IP), (server_ns, "k8sl-server", SERVER_IP)):
        netns.run(["ip", "addr", "add", f"{ip}/30", "dev", dev], space, check=True)
        netns.run(["ip", "link", "set", dev, "up"], space, check=True)


def unlink(ns: str = NS, log=print) -> None:
    """Remove the laptop (its veth end goes with it, and so does the server's)."""
    if netns.exists(ns):
        netns.delete(ns, log=log)


class Laptop:
    def __init__(self, home: Path, ns: str = NS):
        self.home, self.ns = Path(home), ns
        self.home.mkdir(parents=True, exist_ok=True)
        self.home.chmod(0o700)

    def _argv(self, command: str) -> list[str]:
        mine = pwd.getpwuid(os.geteuid()).pw_dir
        inner = f"mount --bind {shlex.quote(str(self.home))} {shlex.quote(mine)} && cd && {command}"
        return netns.exec_argv(["unshare", "--mount", "--propagation", "private",
                                "bash", "-c", inner], self.ns)

    def sh(self, command: str, timeout: float = 120, cwd=None) -> subprocess.CompletedProcess:
        """command in bash on the laptop, as the student types it (~ is the laptop's home)."""
        r = subprocess.run(self._argv(command), capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, cwd=cwd)
        print(f"laptop$ {command}\n{r.stdout}{r.stderr}-> exit {r.returncode}")
        return r

    def ssh(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """OpenSSH's ssh with args, on the laptop."""
        return self.sh(" ".join(["ssh", *map(shlex.quote, args)]), timeout=timeout)

    def unpack(self, bundle_zip: Path, steps: str) -> None:
        """The handout's Linux steps, typed in the folder holding the student's zip."""
        work = self.home / "Downloads"
        work.mkdir(exist_ok=True)
        (work / bundle_zip.name).write_bytes(Path(bundle_zip).read_bytes())
        r = self.sh(f"cd ~/Downloads && {steps}")
        assert r.returncode == 0, f"the handout's steps failed:\n{r.stdout}{r.stderr}"
