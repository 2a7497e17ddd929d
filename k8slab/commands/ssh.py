"""`invoke ssh NODE`: a shell on a node of one copy (plain ssh, the process replaced), or one
command run there over the lab's own SSH connection."""
from __future__ import annotations

import os

from ..ssh import open_connections, ssh_targets
from ..vagrant import Vagrant


def run_command(lab, node_name: str, command: str) -> int:
    """Run one command on a node over the lab's SSH settings; returns its exit code."""
    node = lab.node(node_name)
    conn = open_connections(lab, Vagrant(lab), only=[node.name])[node.name]
    try:
        result = conn.run(command, hide=False, warn=True, pty=False)
        return result.exited
    finally:
        conn.close()


def ssh_argv(lab, node_name: str) -> list[str]:
    """The plain ssh command line for an interactive session on a node."""
    node = lab.node(node_name)
    t = ssh_targets(lab, Vagrant(lab))[node.name]
    # a VM on another lab server: through that server, as Vagrant's ssh-config says
    proxy = ["-o", f"ProxyCommand={t.proxy}"] if t.proxy else []
    return ["ssh", "-p", str(t.port), "-i", t.key_file, "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes",
            *proxy, f"{t.user}@{t.host}"]


def shell(lab, node_name: str) -> None:
    """This process becomes ssh to the node (the terminal is the user's, as with plain ssh)."""
    argv = ssh_argv(lab, node_name)
    os.execvp(argv[0], argv)
