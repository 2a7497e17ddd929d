"""The benchmark's own access to the lab's VMs, through the product's SSH layer (run inside the
harness's network namespace by bench/run.py; never talks to anything else).

  python bench/remote.py snapshot LAB.yaml           -> JSON: files, etcd state, flannel key
  python bench/remote.py reset LAB.yaml ORIGINALS.json  files back, etcd stopped, data wiped
  python bench/remote.py floor LAB.yaml              the floor of any no-op run: the tool started
                                                       (this process), the connections opened, one
                                                       command per node, all at once
  python bench/remote.py cost LAB.yaml N             -> JSON: seconds of the SSH set-up, of
                                                       N x Host.run("true") on the etcd node
                                                       (the first one starts its root shell)
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from provision.lab import load_lab  # noqa: E402
from k8slab.steps import PENDING  # noqa: E402
from provision.tutorial import etcdctl  # noqa: E402
from k8slab.remote import Host  # noqa: E402
from k8slab.ssh import open_connections  # noqa: E402
from k8slab.vagrant import Vagrant  # noqa: E402

FILES = ("/etc/hosts", "/etc/default/etcd")
ETCD_DATA = "/var/lib/etcd/default.etcd"


def hosts(lab, log_dir):
    conns = open_connections(lab, Vagrant(lab))
    return {n.name: Host(n, conns[n.name], Path(log_dir) / f"{n.name}.log") for n in lab.nodes}


def snapshot(lab, hs) -> dict:
    out = {"files": {}, "etcd": {}}
    for name, h in hs.items():
        out["files"][name] = {p: h.read(p) for p in FILES}
    etcd = hs[lab.etcd.name]
    out["etcd"]["active"] = etcd.run("systemctl is-active etcd", check=False).stdout.strip()
    out["etcd"]["enabled"] = etcd.run("systemctl is-enabled etcd", check=False).stdout.strip()
    key = etcd.run(f"{etcdctl(lab.etcd_url)} get "
                   f"{lab.cluster.flannel_prefix}/config", check=False)
    out["etcd"]["flannel_key"] = key.stdout.strip() if key.ok else None
    return out


def reset(lab, hs, originals: dict) -> None:
    for name, h in hs.items():
        for path, text in originals[name].items():
            h.write(path, text)
        h.run(f"rm -rf {PENDING}/*")
    hs[lab.etcd.name].run(f"systemctl stop etcd && rm -rf {ETCD_DATA}")


def cost(lab, n: int) -> dict:
    vagrant = Vagrant(lab)
    t = time.monotonic()
    vagrant.ssh_config()
    ssh_config = time.monotonic() - t
    t = time.monotonic()
    conns = open_connections(lab, vagrant)
    connect = time.monotonic() - t
    try:
        with tempfile.TemporaryDirectory() as d:
            node = lab.etcd
            host = Host(node, conns[node.name], Path(d) / "run.log")
            runs, reads = [], []
            for _ in range(n):
                t = time.monotonic()
                host.run("true")
                runs.append(time.monotonic() - t)
            for _ in range(max(5, n // 5)):
                t = time.monotonic()
                host.read("/etc/default/etcd")
                reads.append(time.monotonic() - t)
            plain = Host(node, conns[node.name], Path(d) / "plain.log", become=False)
            nosudo = []
            for _ in range(max(5, n // 5)):
                t = time.monotonic()
                plain.run("true")
                nosudo.append(time.monotonic() - t)
    finally:
        for c in conns.values():
            c.close()
    return {"vagrant_ssh_config_s": ssh_config, "open_connections_s": connect,
            "host_run_true_median_s": statistics.median(runs), "host_run_true_n": n,
            "host_run_true_all_s": runs, "host_read_median_s": statistics.median(reads),
            # the first command also starts the node's root shell (an SSH session, sudo, bash)
            "shell_start_s": runs[0],
            "run_true_without_sudo_median_s": statistics.median(nosudo)}


def floor(lab) -> None:
    """What no no-op `up` can avoid, as it does it: open the node connections (paramiko, from
    `vagrant ssh-config` cached in the lab folder) and run one command per node in its root
    shell, the nodes side by side. The bench times this process from outside, start-up included."""
    conns = open_connections(lab, Vagrant(lab))
    try:
        with tempfile.TemporaryDirectory() as d:
            hs = {n.name: Host(n, conns[n.name], Path(d) / f"{n.name}.log") for n in lab.nodes}
            from k8slab.libvirt import each
            each(hs, lambda _, h: h.run("true"))
    finally:
        for c in conns.values():
            c.close()


def main(argv):
    action, lab_path = argv[0], argv[1]
    lab = load_lab(lab_path)
    if action == "floor":
        floor(lab)
        return
    if action == "cost":
        print(json.dumps(cost(lab, int(argv[2]))))
        return
    with tempfile.TemporaryDirectory() as d:
        hs = hosts(lab, d)
        try:
            if action == "snapshot":
                print(json.dumps(snapshot(lab, hs)))
            elif action == "reset":
                reset(lab, hs, json.loads(Path(argv[2]).read_text()))
            else:
                raise SystemExit(f"unknown action {action}")
        finally:
            for h in hs.values():
                h.conn.close()


if __name__ == "__main__":
    main(sys.argv[1:])
