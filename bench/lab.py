"""The benchmark's pieces, shared by bench/run.py and tests/vm/test_bench_baselines.py.

Everything that talks to the VMs goes through a harness VmHost (tests/vm/conftest.py), i.e.
runs inside the network namespace `k8slabt`: the product's CLI, `vagrant ssh`, ansible-playbook
and bench/remote.py (the product's SSH layer).
"""
from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
VENV = BENCH / ".venv-ansible"
SHELL_SCRIPT = BENCH / "shell" / "provision.sh"
PLAYBOOK = BENCH / "ansible" / "playbook.yml"
NODES = ("k8s-master", "k8s-node1", "k8s-node2")
ETCD_NODE = "k8s-master"


class StepFailed(RuntimeError):
    pass


def ensure_ansible(log=print) -> Path:
    """ansible-core from PyPI in its own venv (bench/.venv-ansible), never the project's."""
    exe = VENV / "bin" / "ansible-playbook"
    if not exe.exists():
        log(f"bench: installing ansible-core into {VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "ansible-core"], check=True)
    return exe


def ansible_version() -> str:
    r = subprocess.run([str(VENV / "bin" / "ansible-playbook"), "--version"],
                       capture_output=True, text=True)
    return r.stdout.splitlines()[0] if r.returncode == 0 else "?"


# -- parsing what the tool prints and records
def parse_up(out: str) -> dict:
    """Phases from `invoke up` output: boot, each stage, verify; provision's change count."""
    phases = {}
    m = re.search(r"VMs up in (\d+)s", out)
    phases["boot_s"] = float(m.group(1)) if m else None
    phases["stages_s"] = {s: float(t) for s, t in re.findall(r"stage (\w+) \((\d+\.\d+)s\)", out)}
    m = re.search(r"verify: (\d+) passed, (\d+) failed \((\d+\.\d+)s\)", out)
    phases["verify_s"] = float(m.group(3)) if m else None
    phases["verify_passed"] = int(m.group(1)) if m else None
    phases["verify_failed"] = int(m.group(2)) if m else None
    m = re.search(r"provision: (\d+) steps, (\d+) changed", out)
    phases["steps"], phases["changed_printed"] = (int(m.group(1)), int(m.group(2))) if m else (None, None)
    return phases


def changes_in(report: list) -> int:
    return sum(r["result"] == "changed" for r in report)


def step_seconds(report: list) -> dict:
    """Per stage and node: the sum of step seconds (from provision.json)."""
    out: dict = {}
    for r in report:
        out.setdefault(r["stage"], {}).setdefault(r["node"], 0.0)
        out[r["stage"]][r["node"]] += r["seconds"]
    return out


def ansible_changed(out: str) -> int:
    return sum(int(n) for n in re.findall(r"^\S+\s+:\s+ok=\d+\s+changed=(\d+)", out, re.M))


def reverse_patch(current: str, diff: str) -> str:
    """The file before the tool's edit: its current text with the recorded diff undone."""
    if not diff:
        return current
    with tempfile.TemporaryDirectory() as d:
        cur, patch, out = Path(d, "cur"), Path(d, "diff"), Path(d, "out")
        cur.write_text(current)
        patch.write_text(diff)
        subprocess.run(["patch", "-R", "-s", "-o", str(out), str(cur), str(patch)], check=True)
        return out.read_text()


def compare_states(want: dict, got: dict) -> list[str]:
    """What differs between two snapshots (bench/remote.py snapshot); empty when equal."""
    problems = []
    for node, files in want["files"].items():
        for path, text in files.items():
            other = got["files"].get(node, {}).get(path)
            if other != text:
                diff = "".join(difflib.unified_diff((text or "").splitlines(True),
                                                    (other or "").splitlines(True),
                                                    f"{node}:{path} (tool)", f"{node}:{path} (baseline)"))
                problems.append(diff or f"{node}:{path} differs")
    if got["etcd"]["active"] != "active":
        problems.append(f"etcd is {got['etcd']['active']}, not active")
    for k in ("enabled", "flannel_key"):
        if got["etcd"][k] != want["etcd"][k]:
            problems.append(f"etcd {k}: tool {want['etcd'][k]!r}, baseline {got['etcd'][k]!r}")
    return problems


class Bench:
    """One debian12 lab (the tutorial's three nodes, up to etcd) driven inside the namespace."""

    def __init__(self, vmhost, folder: Path, name: str = "bench", log=print, sizes=None,
                 nodes: int = 3, extra: str = ""):
        """nodes: the tutorial's first `nodes` nodes; extra: lab file lines appended."""
        self.vm = vmhost
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.lab = vmhost.write_lab(self.folder, name, until="etcd", sizes=sizes, nodes=nodes, extra=extra)
        self.lab_dir = self.folder / ".lab" / f"k8slabt-{name}"
        self.out_dir = self.folder / "out"
        self.out_dir.mkdir(exist_ok=True)
        self.log = log
        self.originals: dict | None = None
        self._count = 0

    # -- running things inside the namespace
    def _run(self, label, argv, cwd=None, stdin=None, env=None, check=True):
        self._count += 1
        full_env = dict(os.environ, COLUMNS="200", **(env or {}))
        start = time.monotonic()
        r = self.vm.run(argv, cwd=cwd or REPO, capture_output=True, text=True, env=full_env,
                        input=stdin)
        seconds = time.monotonic() - start
        (self.out_dir / f"{self._count:03d}-{label}.txt").write_text(
            f"$ {' '.join(map(str, argv))}\n# exit {r.returncode}, {seconds:.2f}s\n{r.stdout}\n--- stderr\n{r.stderr}")
        if check and r.returncode != 0:
            tail = "\n".join((r.stdout + r.stderr).strip().splitlines()[-25:])
            raise StepFailed(f"{label}: exit {r.returncode}\n{tail}")
        return r, seconds

    def invoke(self, label, *args, check=True):
        return self._run(label, self.vm.invoke(*args, "--config", str(self.lab)), check=check)

    def remote(self, *args):
        r, _ = self._run(f"remote-{args[0]}", [sys.executable, str(BENCH / "remote.py"), args[0],
                                               str(self.lab), *map(str, args[1:])])
        return json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else None

    def report(self) -> list:
        return json.loads((self.lab_dir / "provision.json").read_text())

    # -- the tool
    def up(self, label="up"):
        r, seconds = self.invoke(label, "up", "--until", "etcd")
        return seconds, parse_up(r.stdout), self.report()

    def provision(self, label="provision"):
        r, seconds = self.invoke(label, "provision", "--until", "etcd")
        return seconds, parse_up(r.stdout), self.report()

    def destroy(self):
        return self._run("destroy", self.vm.invoke("destroy", "--yes", "--config", str(self.lab)),
                         check=False)

    # -- state
    def snapshot(self) -> dict:
        return self.remote("snapshot")

    def save_originals(self, report: list, snap: dict) -> dict:
        """What the box shipped (after Vagrant's boot, before the tool's first run): the
        current files with the first run's recorded diffs undone; checked by redoing the edit."""
        sys.path.insert(0, str(REPO))
        from provision.lab import load_lab
        from k8slab.edits import hosts_file
        from provision import files as pfiles
        lab = load_lab(str(self.lab))
        step_of = {"/etc/hosts": "hosts file", "/etc/default/etcd": "etcd config"}
        originals = {}
        for node, texts in snap["files"].items():
            originals[node] = {}
            for path, text in texts.items():
                diff = next((r["diff"] for r in report if r["node"] == node
                             and r["step"] == step_of[path]), "")
                originals[node][path] = reverse_patch(text, diff)
            redo_hosts = hosts_file(originals[node]["/etc/hosts"], lab.hosts_entries, node)
            assert redo_hosts == texts["/etc/hosts"], f"{node}: /etc/hosts reconstruction"
            if node == lab.etcd.name:
                redo = pfiles.etcd_conf(originals[node]["/etc/default/etcd"], lab)
                assert redo == texts["/etc/default/etcd"], f"{node}: etcd conf reconstruction"
        self.originals = originals
        path = self.out_dir / "originals.json"
        path.write_text(json.dumps(originals, indent=1))
        return originals

    def reset(self):
        """/etc/hosts and /etc/default/etcd as the box shipped them, etcd stopped, its data
        dir (and with it the flannel key) gone."""
        self.remote("reset", self.out_dir / "originals.json")

    # -- the baselines
    def shell(self, label="shell"):
        """Vagrant's shell-provisioner way: the script piped to `sudo bash -s` on each VM, one
        after another, with `vagrant ssh NODE -c` in the lab folder."""
        total, per_node = 0.0, {}
        script = SHELL_SCRIPT.read_text()
        for node in NODES:
            _, seconds = self._run(f"{label}-{node}", ["vagrant", "ssh", node, "--no-tty", "-c",
                                                       "sudo bash -s"], cwd=self.lab_dir, stdin=script)
            per_node[node] = seconds
            total += seconds
        return total, per_node

    def _ansible_files(self):
        d = self.folder / "ansible"
        d.mkdir(exist_ok=True)
        (d / "cp").mkdir(exist_ok=True)
        ssh_config = d / "ssh-config"
        ssh_config.write_text((self.lab_dir / "ssh-config").read_text())
        (d / "inventory.ini").write_text(
            "[all]\nk8s-master node_ip=192.168.0.15\nk8s-node1 node_ip=192.168.0.16\n"
            "k8s-node2 node_ip=192.168.0.17\n\n[etcd]\nk8s-master\n")
        # kubespray's ansible.cfg: pipelining and an SSH control master per host
        (d / "ansible.cfg").write_text(f"""[defaults]
inventory = {d / 'inventory.ini'}
host_key_checking = False
interpreter_python = /usr/bin/python3
retry_files_enabled = False
forks = 5

[ssh_connection]
pipelining = True
ssh_args = -F {ssh_config} -o ControlMaster=auto -o ControlPersist=120s
control_path = {d / 'cp'}/%%h-%%r
""")
        return d

    def ansible(self, label="ansible"):
        d = self._ansible_files()
        r, seconds = self._run(label, [str(VENV / "bin" / "ansible-playbook"), str(PLAYBOOK)],
                               env={"ANSIBLE_CONFIG": str(d / "ansible.cfg"), "LC_ALL": "C.UTF-8",
                                    "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"})
        return seconds, ansible_changed(r.stdout)

    def close_ansible_masters(self):
        """Stop the SSH control masters Ansible left (ControlPersist), through ssh -O exit."""
        d = self.folder / "ansible"
        if not (d / "ssh-config").exists():
            return
        for node in NODES:
            self._run(f"ssh-exit-{node}", ["ssh", "-F", str(d / "ssh-config"), "-o",
                                           f"ControlPath={d / 'cp'}/%h-%r", "-O", "exit", node],
                      check=False)
