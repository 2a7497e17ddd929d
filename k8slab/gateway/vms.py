"""On a copy's VMs, what lets its student in and lets root move between its nodes: root's
authorized_keys holds the student's key and the copy's root key, every node holds that root
key pair, and every node knows the copy's host keys under the tutorial's names and IPs (so the
tutorial's `scp ... 192.168.0.17:...` asks nothing). Lines k8s-lab writes end with "k8s-lab:";
any other line is kept.

Each node is read in one round trip (the files and its host key); what differs is written.
A reset puts the VMs back as the checkpoint had them, so this runs again after every reset.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

from ..facts import files
from ..remote import hosts_for
from ..ssh import cached_targets
from ..steps import Context, FileStep
from ..workdir import ensure_workdir, write_atomic
from . import keys, pubkey
from .sshd import MARK

HOST_KEY = "/etc/ssh/ssh_host_ed25519_key.pub"
AUTHORIZED = "/root/.ssh/authorized_keys"
ROOT_KEY = "/root/.ssh/id_ed25519"
KNOWN_HOSTS = "/etc/ssh/ssh_known_hosts"
FILE = "access.json"


def _ours(line: str) -> bool:
    fields = line.split()
    return bool(fields) and fields[-1].startswith(MARK)


def managed(lines: list[str]):
    """A transform for a file of key lines: the lines k8s-lab did not write, then `lines`."""
    def transform(current: str) -> str:
        kept = [x for x in current.splitlines() if x.strip() and not _ours(x)]
        return "".join(f"{x}\n" for x in kept + lines)
    return transform


def known_hosts_lines(lab, host_keys: dict) -> list[str]:
    """Every node's host key under its name, aliases and private IP."""
    return [f"{','.join([n.name, *n.aliases, str(n.ip)])} {host_keys[n.name]} {MARK}"
            for n in lab.nodes if host_keys.get(n.name)]


def _steps(root_private: str, root_pub: pubkey.PublicKey, student: Optional[str],
           student_key: Optional[pubkey.PublicKey], known: list[str]) -> list:
    authorized = [f"{root_pub.line} {MARK}copy-root"]
    if student_key is not None:
        authorized.append(f"{student_key.line} {MARK}student:{student}")
    return [
        FileStep("root's authorized keys", AUTHORIZED, managed(authorized), mode="0600"),
        FileStep("root's key", ROOT_KEY, lambda _: root_private, mode="0600"),
        FileStep("root's public key", ROOT_KEY + ".pub", lambda _: f"{root_pub.line} {MARK}copy-root\n"),
        FileStep("known host keys", KNOWN_HOSTS, managed(known)),
    ]


def install(copy, conns, student: str, student_key: Optional[pubkey.PublicKey]) -> dict:
    """Bring the copy's VMs to the wanted keys (student_key None: the student has no access,
    revoked). Returns what access.json records: every node's address and host key, and the
    student and key installed; the count of files changed is under "changed"."""
    folder = ensure_workdir(copy)
    root_pub = keys.ensure_pair(keys.copy_root_key_path(folder), f"root@{copy.name}")
    root_private = keys.copy_root_key_path(folder).read_text()
    hosts = hosts_for(copy, conns)
    # what every step reads is the same whatever the known lines: read once, before they are known
    asked = [[files.FILE(HOST_KEY)]] + [list(s.asks(Context()))
                                  for s in _steps(root_private, root_pub, student, student_key, [])]
    reads = [a.command for step_asks in asked for a in step_asks]

    def gather(host):
        host.step = "access/facts"
        return host.run_many(reads)
    def per_step(results):
        results = iter(results)
        return [[next(results) for _ in step_asks] for step_asks in asked]
    with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
        read = dict(zip(hosts, map(per_step, pool.map(gather, hosts.values()))))
    host_keys = {}
    for name, results in read.items():
        text = hosts[name].read_result(HOST_KEY, results[0][0])
        host_keys[name] = pubkey.parse(text).line if text else ""
    known = known_hosts_lines(copy, host_keys)

    def apply(name):
        host, changed = hosts[name], 0
        for step, fact in zip(_steps(root_private, root_pub, student, student_key, known),
                              read[name][1:]):
            host.step = f"access/{step.name}"
            plan = step.plan(host, Context(), fact if all(r.answered for r in fact) else None)
            if plan.changes:
                plan.apply()
                changed += 1
        return changed
    with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
        changed = sum(pool.map(apply, hosts))
    targets = cached_targets(copy)
    record = {"nodes": {n.name: {"address": targets[n.name].host if n.name in targets else "",
                                 "host_key": host_keys.get(n.name, "")} for n in copy.nodes},
              "student": student, "key": student_key.fingerprint if student_key else None,
              "at": time.time()}
    write_atomic(folder / FILE, json.dumps(record, indent=2, sort_keys=True) + "\n")
    return {**record, "changed": changed}


def recorded(copy) -> dict:
    """What the last install recorded for the copy ({} before any, or after destroy)."""
    try:
        return json.loads((Path(copy.workdir) / FILE).read_text())
    except (OSError, ValueError):
        return {}


def forget(copy) -> None:
    """After destroy: no VMs, so no access (the root key pair goes too: a new copy, new keys)."""
    folder = Path(copy.workdir)
    (folder / FILE).unlink(missing_ok=True)
    keys.remove_pair(keys.copy_root_key_path(folder))
