"""What each guest platform provides: its box, the stages it can run, its package and file names.

centos7 is the tutorial's platform. debian12 exists so the test suite can boot real VMs from a
box built here (CentOS packages cannot be downloaded on the test machines); Debian ships etcd
but no Kubernetes 1.5 or flannel, so it stops after the etcd stage.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# The tutorial's order: 1 base, 2.1 etcd, 2.2 master, 2.3 network, 3/4 nodes, 2.4/3.5 start.
STAGES = ("base", "etcd", "master", "network", "nodes", "start")
ROLES = ("etcd", "master", "node")


@dataclass(frozen=True)
class Platform:
    name: str
    box: str
    stages: tuple
    etcd_conf: str                      # where the etcd service reads its KEY="value" settings
    packages: dict = field(default_factory=dict)  # role -> packages the base stage installs
    etcd_v2_flag: bool = False          # etcd >= 3.4 serves the v2 API only with ETCD_ENABLE_V2
    package_manager: str = "yum"
    time_service: str = "ntpd"

    def supports(self, stage: str) -> bool:
        return stage in self.stages


PLATFORMS = {
    "centos7": Platform(
        name="centos7",
        box="centos/7",
        stages=STAGES,
        etcd_conf="/etc/etcd/etcd.conf",
        packages={"master": ["kubernetes", "etcd", "flannel", "ntp"],
                  "etcd": ["etcd"],
                  "node": ["kubernetes", "flannel", "ntp"]},
    ),
    "debian12": Platform(
        name="debian12",
        box="debian/bookworm64",
        stages=("base", "etcd"),
        etcd_conf="/etc/default/etcd",
        packages={"etcd": ["etcd-server", "etcd-client"]},
        etcd_v2_flag=True,
        package_manager="apt",
        time_service="systemd-timesyncd",
    ),
}
