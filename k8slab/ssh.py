"""SSH to the nodes: `vagrant ssh-config` once for all machines, one Fabric connection per node.

The ssh-config text is cached in the lab folder (Vagrant takes seconds to start; ssh takes
milliseconds), and refreshed when it is missing, stale, or a connection fails. A copy on
another lab server has VMs only that server reaches: vagrant-libvirt's ssh-config then gives a
ProxyCommand (`ssh SERVER -W %h:%p`, from the copy's libvirt URI), which the connection uses
as it is, so the tool reaches a VM exactly as `vagrant ssh` does.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import paramiko
from fabric import Config, Connection

from .errors import LabError
from .workdir import ensure_workdir, write_atomic

CONNECT_TIMEOUT = 20


@dataclass(frozen=True)
class SshTarget:
    host: str
    port: int
    user: str
    key_file: str
    proxy: Optional[str] = None   # the ProxyCommand to a VM on another lab server, expanded


def parse_ssh_config(text: str) -> dict[str, SshTarget]:
    """Parse `vagrant ssh-config` output (one `Host` block per machine)."""
    cfg = paramiko.SSHConfig.from_text(text)
    targets = {}
    for name in cfg.get_hostnames():
        if name == "*":
            continue
        entry = cfg.lookup(name)
        keys = entry.get("identityfile") or []
        if "hostname" not in entry or not keys:
            raise LabError(f"vagrant ssh-config gave no address or key for {name}:\n{text}")
        targets[name] = SshTarget(entry["hostname"], int(entry.get("port", 22)),
                                  entry.get("user", "vagrant"), keys[0], entry.get("proxycommand"))
    return targets


def _cache_path(lab) -> Path:
    return ensure_workdir(lab) / "ssh-config"


def cached_targets(lab) -> dict[str, SshTarget]:
    """The SSH settings Vagrant gave last (none before the first connection), without asking it."""
    path = _cache_path(lab)
    return parse_ssh_config(path.read_text()) if path.exists() else {}


def forget_ssh_config(lab) -> None:
    _cache_path(lab).unlink(missing_ok=True)


def ssh_targets(lab, vagrant, refresh: bool = False) -> dict[str, SshTarget]:
    path = _cache_path(lab)
    if refresh or not path.exists():
        write_atomic(path, vagrant.ssh_config())
    targets = parse_ssh_config(path.read_text())
    missing = [n.name for n in lab.nodes if n.name not in targets]
    if missing and not refresh:
        return ssh_targets(lab, vagrant, refresh=True)
    if missing:
        raise LabError(f"Vagrant has no SSH settings for {', '.join(missing)}: "
                       f"is the lab up? Run `invoke up`.")
    return targets


def connect(target: SshTarget) -> Connection:
    # Vagrant recreates machines with new host keys at the same addresses: never consult
    # or write ~/.ssh/known_hosts for them (Fabric keeps accepted keys in memory only).
    config = Config(overrides={"load_ssh_configs": False, "run": {"warn": True, "hide": True}})
    return Connection(
        host=target.host, port=target.port, user=target.user, config=config,
        connect_timeout=CONNECT_TIMEOUT, gateway=target.proxy,  # a str: Fabric runs it as ProxyCommand
        connect_kwargs={"key_filename": [target.key_file], "look_for_keys": False,
                        "allow_agent": False},
    )


def open_connections(lab, vagrant, only=None) -> dict[str, Connection]:
    """One open connection per node; retries once with fresh settings if a node is unreachable."""
    names = only or [n.name for n in lab.nodes]
    for attempt in (0, 1):
        targets = ssh_targets(lab, vagrant, refresh=attempt == 1)
        conns, failed = {}, {}

        def open_one(name):
            c = connect(targets[name])
            try:
                c.open()
                conns[name] = c
            except Exception as e:  # paramiko raises many types; any means "cannot reach"
                failed[name] = f"{type(e).__name__}: {e}"
        # all at once: each handshake is a few round trips to an emulated guest
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            list(pool.map(open_one, names))
        if not failed:
            return conns
        for c in conns.values():
            c.close()
    detail = "\n".join(f"  {n}: {why}" for n, why in failed.items())
    raise LabError(f"cannot SSH to {len(failed)} node(s):\n{detail}\n"
                   f"Check `invoke status`; a stopped VM is started by `invoke up`.")
