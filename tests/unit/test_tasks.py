"""The Invoke front end as a user runs it: the task list, and user mistakes end in a message."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


REPO = Path(__file__).resolve().parents[2]
TASKS = ["destroy", "doctor", "gateway", "plan", "provision", "render", "reset", "ssh", "status",
         "students", "up", "verify"]


def invoke(*args, cwd=REPO, env=None):
    return subprocess.run([sys.executable, "-m", "invoke", "--search-root", str(REPO), *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_list_shows_every_task_with_its_help():
    r = invoke("--list")
    assert r.returncode == 0, r.stderr
    listed = {line.split()[0] for line in r.stdout.splitlines()
              if line.startswith("  ") and not line.startswith("   ")}
    assert listed == set(TASKS), r.stdout
    assert "Render, boot the VMs" in r.stdout


def test_bad_lab_file_is_a_message_not_a_traceback(tmp_path):
    bad = tmp_path / "lab.yaml"
    bad.write_text("nodes:\n  - name: k8s-master\n    ip: 192.168.0.300\n    roles: [etcd, master]\n")
    r = invoke("up", "--config", str(bad))
    assert r.returncode == 1
    assert "Traceback" not in r.stderr + r.stdout
    assert "nodes[0].ip (line 3): " in r.stderr and "192.168.0.300" in r.stderr, r.stderr
    assert not (tmp_path / ".lab").exists(), "nothing may run before the file is valid"


def test_config_from_environment_variable(tmp_path):
    (tmp_path / "lab.yaml").write_text((REPO / "lab.yaml").read_text().replace(
        "name: k8s-lab", "name: envlab"))
    r = invoke("render", cwd=tmp_path, env={"K8S_LAB_CONFIG": str(tmp_path / "lab.yaml")})
    assert r.returncode == 0, r.stderr
    assert str(tmp_path / ".lab" / "envlab" / "Vagrantfile") in r.stdout


def test_unknown_node_for_ssh(tmp_path):
    (tmp_path / "lab.yaml").write_text((REPO / "lab.yaml").read_text())
    r = invoke("ssh", "k8s-node9", "--config", str(tmp_path / "lab.yaml"))
    assert r.returncode == 1 and "no node named k8s-node9" in r.stderr, r.stderr


def test_destroy_without_yes_and_without_a_terminal_refuses(tmp_path):
    (tmp_path / "lab.yaml").write_text((REPO / "lab.yaml").read_text())
    r = subprocess.run([sys.executable, "-m", "invoke", "--search-root", str(REPO), "destroy",
                        "--config", str(tmp_path / "lab.yaml")], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "without --yes" in r.stderr, r.stderr
