"""A realistic class of two copies, and headless Chromium to look at its page: shared by
tests/unit/engine/test_class_html.py and tests/vm/test_class.py (the README's screenshots)."""
from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from pathlib import Path

from k8slab.checks.check import NodeColumn
from k8slab.classview import (CheckpointView, CheckView, ClassView, CopyView, NodeView,
                              VerifyView)

APT = "apt-get install -y chromium poppler-utils"
TIMEOUT = 120  # seconds; Chromium starts slowly on the test hosts' 2 slow cores

# 2024-06-04 10:42 UTC and onwards
T0 = 1717497720.0
# A real failure: flanneld on k8s-node2 while etcd was unreachable from it, with the hint the
# tutorial's check gave (provision/checks/network.py's FLANNELD_DOWN). Written out: the class page
# is the engine's, and the engine's tests import nothing of the tutorial.
FLANNELD_HINT = ("flanneld is not active on k8s-node2: it hangs or fails while etcd is unreachable "
                 "from the node (http://192.168.0.15:2379) or while FLANNEL_ETCD_PREFIX in "
                 "/etc/sysconfig/flanneld (/kube-centos/network) does not match the key written by "
                 "the etcd stage")
# The nodes' column the tutorial's checks add (provision/checks/__init__.py's LEASES, written out
# for the same reason): each node's flannel subnet, from its lease check's data.
LEASES = NodeColumn("flannel subnet", check="flannel lease", key="lease", short="flannel")


def _nodes(leases=None):
    leases = leases or {}
    return tuple(NodeView(name, roles, ip, "running", leases.get(name)) for name, roles, ip in (
        ("k8s-master", ("etcd", "master"), "192.168.0.15"),
        ("k8s-node1", ("node",), "192.168.0.16"),
        ("k8s-node2", ("node",), "192.168.0.17")))


def _access(index, management_ip):
    key = f"/home/teacher/class/.lab/k8s-lab-{index}/machines/k8s-master/libvirt/private_key"
    return (("ssh to the master", f"invoke ssh k8s-master --copy {index}"),
            ("plain ssh", f"ssh -p 22 -i {key} vagrant@{management_ip}"))


STAGES = ("base", "etcd", "master", "network", "nodes", "start")


def unbuilt_copy(index: int) -> CopyView:
    """A copy whose VMs are not created yet: a short card."""
    nodes = tuple(dataclasses.replace(n, state="not_created") for n in _nodes())
    return CopyView(f"k8s-lab-{index}", index, nodes, management_network=f"192.168.{121 + index}.0/24")


def sample_view() -> ClassView:
    """Copy 1 healthy at stage start; copy 2 reset to base, with flanneld down on k8s-node2."""
    leases = {"k8s-master": "10.255.84.1/24", "k8s-node1": "10.255.23.1/24",
              "k8s-node2": "10.255.61.1/24"}
    healthy = (
        CheckView("etcd", "etcd cluster-health", "k8s-master", True, "cluster is healthy"),
        CheckView("master", "kubectl get nodes", "k8s-master", True, "3 nodes Ready"),
        CheckView("network", "flannel lease", "k8s-node2", True, "10.255.61.1/24"),
        CheckView("network", "docker0 on the lease", "k8s-node2", True, "docker0 10.255.61.1/24"),
        CheckView("ping", "ping k8s-node2 docker0", "k8s-node1", True, "10.255.61.1 answers"),
    )
    failing = (
        CheckView("etcd", "etcd cluster-health", "k8s-master", True, "cluster is healthy"),
        CheckView("network", "flannel lease", "k8s-node1", True, "10.255.23.1/24"),
        CheckView("network", "flanneld active", "k8s-node2", False, "flanneld inactive",
                  FLANNELD_HINT),
    )
    return ClassView(
        lab="k8s-lab", lab_file="/home/teacher/class/lab.yaml", generated_at=T0 + 3600,
        private_network="192.168.0.0/24", node_column=LEASES,
        copies=(
            CopyView("k8s-lab-1", 1, _nodes(leases), STAGES,
                     VerifyView(T0 + 600, len(healthy), 0, healthy),
                     _access(1, "192.168.122.21"),
                     (CheckpointView("base", T0, 812 * 2**20),),
                     "192.168.122.0/24"),
            CopyView("k8s-lab-2", 2, _nodes({"k8s-node1": "10.255.23.1/24"}), ("base",),
                     VerifyView(T0 + 1500, 2, 1, failing),
                     _access(2, "192.168.122.34"),
                     (CheckpointView("base", T0, 790 * 2**20),),
                     "192.168.123.0/24", note="reset to base at 11:12"),
        ))


def missing_tools() -> list[str]:
    return [t for t in ("chromium", "pdftotext") if not shutil.which(t)]


def chromium(page: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    """Headless Chromium on page (file://), with its profile and HOME inside tmp."""
    home = tmp / "chromium-home"
    home.mkdir(exist_ok=True)
    return subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
         f"--user-data-dir={home / 'profile'}", *args, page.resolve().as_uri()],
        env={**os.environ, "HOME": str(home)}, capture_output=True, text=True,
        timeout=TIMEOUT, check=True)
