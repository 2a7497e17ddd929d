"""The students' gateway on a remote lab server (docs/design-several-servers.md, section 5).

A gateway on this host cannot reach another server's VMs: a jump host opens the TCP connection
itself, and the VMs' management network is a NAT network of *their* server, which admits no
connection from outside. So each server holding copies runs the same gateway as this host's
(sshd.config_text, sshd.authorized_line), for the copies on that server only: another server's
VMs are not even named in its config.

Its files live on the server in ~/.k8s-lab/<class>/gateway/ (0700) of the lab file's SSH user
for that server; their texts are made here and sent, with the start or the reload, in one SSH
command (doctor.servers.ssh_argv: the same ~/.ssh and no prompt, as vagrant-libvirt reaches the
server). The process rule is this host's: only the pid in the gateway's own pid file, and only
while that process's command line names the gateway's config, is ever signalled. A process, not
a systemd unit there: after the server reboots, `invoke up` or `invoke gateway` starts it again.
"""
from __future__ import annotations

import base64
import shlex
import subprocess
from pathlib import Path

from ..doctor.servers import READ_TIMEOUT, ssh_argv
from ..errors import CommandError
from . import sshd

DIR = "@K8SLAB_GATEWAY_DIR@"    # the folder's place in the texts; the server's $HOME fills it in there
USER = "@K8SLAB_GATEWAY_USER@"  # the login account: the one ssh reaches the server as (~/.ssh/config may say)


def folder(lab_name: str) -> str:
    """The gateway's folder on the server, for its shell ($HOME expanded there)."""
    return f'"$HOME"/.k8s-lab/{shlex.quote(lab_name)}/gateway'


def files() -> sshd.Files:
    """The gateway's files as its texts name them (DIR replaced on the server)."""
    return sshd.Files(Path(DIR))


# Shell, after d=: $pid is the gateway's sshd (its pid file's pid, while that process's command
# line names the gateway's config: sshd retitles itself "sshd: /usr/sbin/sshd -f CONFIG ..."), else empty
OWNED_PID = ('pid=$(cat "$d/sshd.pid" 2>/dev/null || true); '
             'if [ -n "$pid" ] && ! tr "\\0" " " < /proc/$pid/cmdline 2>/dev/null '
             '| grep -qF -- " $d/sshd_config "; then pid=; fi; ')


def apply_script(lab_name: str, texts: dict) -> str:
    """Shell for the server: write the texts that differ (name -> text, mode 0600; DIR and USER
    filled in there: the folder under the server's $HOME, the account ssh logged in as, which
    is the gateway's one login), then start sshd, or have it re-read its config when that
    changed. Prints one line: "started|reloaded|running PID USER"."""
    d = folder(lab_name)
    out = [f'set -e; d={d}; u=$(id -un); umask 077; mkdir -p "$d"; '
           'chmod 700 "$HOME/.k8s-lab" "$(dirname "$d")" "$d"; changed=; ']
    for name, text in texts.items():
        b64 = base64.b64encode(text.encode()).decode()
        out.append(f'printf %s {b64} | base64 -d | sed "s|{DIR}|$d|g; s|{USER}|$u|g" > "$d/{name}.new"; '
                   f'if cmp -s "$d/{name}.new" "$d/{name}"; then rm -f "$d/{name}.new"; '
                   f'else mv "$d/{name}.new" "$d/{name}"; changed=1; fi; ')
    out.append('PATH="$PATH:/usr/sbin:/sbin"; s=$(command -v sshd) || '
               '{ echo "sshd is not installed on this server: apt-get install openssh-server" >&2; exit 1; }; ')
    out.append(OWNED_PID)
    out.append('if [ -n "$pid" ]; then '
               # sshd re-executes itself on SIGHUP and writes its pid file again: wait for it
               'if [ -n "$changed" ]; then "$s" -t -f "$d/sshd_config"; kill -HUP "$pid"; i=0; '
               f'while [ $i -lt 100 ]; do sleep 0.1; {OWNED_PID}[ -z "$pid" ] || break; i=$((i+1)); done; '
               '[ -n "$pid" ] || { tail -n 8 "$d/sshd.log" >&2; exit 1; }; echo "reloaded $pid $u"; '
               'else echo "running $pid $u"; fi; '
               'else [ "$(id -u)" != 0 ] || mkdir -p -m 755 /run/sshd; rm -f "$d/sshd.pid"; '
               '"$s" -t -f "$d/sshd_config"; "$s" -f "$d/sshd_config" -E "$d/sshd.log"; '
               'i=0; while [ ! -s "$d/sshd.pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; '
               'if [ -s "$d/sshd.pid" ]; then echo "started $(cat "$d/sshd.pid") $u"; '
               'else tail -n 8 "$d/sshd.log" >&2; exit 1; fi; fi')
    return "".join(out)


def stop_script(lab_name: str, purge: bool) -> str:
    """Shell: stop the gateway's sshd (prints stopped PID or not running); purge: remove the
    class's folder on the server too (the whole class destroyed: nothing of it left there)."""
    d = folder(lab_name)
    gone = ' rm -rf "$(dirname "$d")"; rmdir "$HOME/.k8s-lab" 2>/dev/null || true;' if purge else ""
    return (f'd={d}; ' + OWNED_PID
            + 'if [ -n "$pid" ]; then kill "$pid"; echo "stopped $pid"; else echo "not running"; fi;'
            + gone)


def status_script(lab_name: str) -> str:
    """Shell: the gateway's pid, or nothing."""
    return f'd={folder(lab_name)}; ' + OWNED_PID + 'echo "$pid"'


def run(lab, server, script: str, what: str) -> str:
    """script on server over SSH, given to `sh -s` on its stdin: the server's sh runs it
    whatever the login shell, and the texts it carries (the gateway's host key) are never in a
    command line another user could read. Its stdout; raises CommandError naming the server."""
    argv = ssh_argv(lab, server, "sh -s")
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=READ_TIMEOUT + 30, input=script)
    except subprocess.TimeoutExpired:
        raise CommandError(f"gateway on server {server.name}: {what}", f"ssh {server.target}", 255,
                           [f"no answer in {READ_TIMEOUT + 30} s"]) from None
    except FileNotFoundError as e:
        raise CommandError(f"gateway on server {server.name}: {what}", f"ssh {server.target}", 127,
                           [f"{e.filename} is not installed (apt-get install openssh-client)"]) from None
    if r.returncode != 0:
        raise CommandError(f"gateway on server {server.name}: {what}", f"ssh {server.target}",
                           r.returncode, (r.stdout + r.stderr).strip().splitlines()[-8:])
    return r.stdout.strip()
