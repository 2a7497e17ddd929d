"""What each guest platform provides: its box, the stages it can run, its package and file names.

centos7 is the tutorial's platform. debian12 is the test platform: CentOS 7 packages cannot be
downloaded on the test machines, so the test suite boots a Debian 12 box built here
(tests/harness/box) that carries Kubernetes 1.19.16 and flannel 0.17.0 as packages named and
laid out like CentOS's `kubernetes` and `flannel` RPMs; etcd, docker and kubectl come from
Debian. Every stage runs on it. Where it cannot do what the tutorial's 1.5 did, `differences`
says so, in this one place (the README's table is made from it).
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
    box_size_mib: int                   # the box's download (the .box file), roughly: doctor's warning
    etcd_conf: str                      # where the etcd service reads its KEY="value" settings
    packages: dict = field(default_factory=dict)  # role -> packages the base stage installs
    etcd_v2_flag: bool = False          # etcd >= 3.4 serves the v2 API only with ETCD_ENABLE_V2
    package_manager: str = "yum"
    time_service: str = "ntpd"
    kubernetes: str = "1.5.2"
    # kubelet >= 1.8 has no --api-servers: it finds the apiserver in this kubeconfig, which the
    # nodes stage writes; "" means the tutorial's --api-servers
    kubelet_kubeconfig: str = ""
    # the pods check's test image: "" = docker pulls the lab's pods_check.image; a path = that
    # static busybox in the guest, imported into docker under the image's name (no registry)
    test_image_busybox: str = ""
    # (the tutorial on CentOS 7, this platform instead): every way the platform departs from it
    differences: tuple = ()

    def supports(self, stage: str) -> bool:
        return stage in self.stages


PLATFORMS = {
    "centos7": Platform(
        name="centos7",
        box="centos/7",
        stages=STAGES,
        box_size_mib=500,
        etcd_conf="/etc/etcd/etcd.conf",
        # beyond the tutorial's list: net-tools for its ifconfig and netstat (the centos/7 box is
        # a minimal install without them); the QEMU guest agent, which sets clocks after a reset
        packages={"master": ["kubernetes", "etcd", "flannel", "ntp", "net-tools", "qemu-guest-agent"],
                  "etcd": ["etcd"],
                  "node": ["kubernetes", "flannel", "ntp", "net-tools", "qemu-guest-agent"]},
    ),
    "debian12": Platform(
        name="debian12",
        box="debian/bookworm64",   # stages after etcd need the test box (its kubernetes, flannel)
        stages=STAGES,
        box_size_mib=400,
        etcd_conf="/etc/default/etcd",
        packages={"master": ["kubernetes", "flannel", "net-tools", "qemu-guest-agent"],
                  "etcd": ["etcd-server", "etcd-client"],
                  "node": ["kubernetes", "flannel", "net-tools", "qemu-guest-agent"]},
        etcd_v2_flag=True,
        package_manager="apt",
        time_service="systemd-timesyncd",
        kubernetes="1.19.16",
        kubelet_kubeconfig="/etc/kubernetes/kubelet.kubeconfig",
        test_image_busybox="/bin/busybox",
        differences=(
            ("CentOS 7 RPMs: kubernetes 1.5.2, flannel 0.7.1, etcd 3.3.11, docker 1.13.1",
             "Kubernetes 1.19.16 and flannel 0.17.0 (udp backend, etcd v2 API) built from their "
             "Go modules into packages named and laid out as the RPMs; etcd 3.4.23, docker "
             "20.10.24, kubectl 1.20.2 from Debian 12"),
            ("`/etc/etcd/etcd.conf`", "`/etc/default/etcd`, plus `ETCD_ENABLE_V2=\"true\"` "
             "(etcd 3.4 serves the v2 API flannel reads only when asked)"),
            ("kubelet `--api-servers=http://MASTER:8080`",
             "`KUBELET_API_SERVER=\"--kubeconfig=/etc/kubernetes/kubelet.kubeconfig\"`, a "
             "kubeconfig whose server is `http://MASTER:8080` (`--api-servers` left kubelet in 1.8)"),
            ("kubelet gets `$KUBE_ALLOW_PRIV` (`--allow-privileged=false`)",
             "the kubelet unit leaves it out (the flag left kubelet in 1.15); "
             "`/etc/kubernetes/config` is unchanged"),
            ("`KUBE_SCHEDULER_ARGS=\"0.0.0.0\"`, a bare word 1.5 ignores",
             "the same file; the scheduler unit drops bare words, which 1.19 refuses, and logs it"),
            ("docker's unit passes `$DOCKER_NETWORK_OPTIONS` from `/run/flannel/docker`",
             "the same, through a drop-in (Debian's unit does not pass it)"),
            ("one kube-controller-manager and one kube-scheduler, with the packaged arguments",
             "their units pass `--leader-elect=false`: under plain emulation 1.19's lease renewals "
             "miss their deadline and both restart over and over; one of each has nothing to elect"),
            ("kube-apiserver's unit: systemd's default start timeout (90 s)",
             "`TimeoutStartSec=600`: under plain emulation the apiserver needs minutes to be ready"),
            ("ntp", "systemd-timesyncd"),
            ("cgroup v1", "cgroup v1 (`systemd.unified_cgroup_hierarchy=0`), as CentOS 7"),
            ("`etcdctl` speaks the v2 API (etcd 3.3's default)",
             "`ETCDCTL_API=2` in `/etc/environment`, so the tutorial's `etcdctl cluster-health` "
             "works as printed (etcd 3.4's etcdctl defaults to v3)"),
            ("the pods check pulls its test image (`pods_check.image`)",
             "Debian's `busybox-static`, in the box, imported into docker under that name "
             "(no registry is reachable here)"),
            ("root's prompt `[root@k8s-master ~]#`",
             "the same, set for login shells in `/etc/profile.d` (Debian's is `root@k8s-master:~#`)"),
        ),
    ),
}
