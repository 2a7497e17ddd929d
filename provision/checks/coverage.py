"""What each stage writes or starts, and the verify checks that notice when it is missing or wrong.

A thing is (stage, kind, name): kind is what provision/stages.py's step does to it ("file": a
FileStep's path, "service": a ServiceStep's unit, "etcd key", "shell": a ShellStep's name,
"package", "image": a docker image). tests/unit/tutorial/test_verify_coverage.py builds every stage's things for the shipped lab
from the real steps and fails when one has neither a check here nor a reason in not_checked().

Only coverage a check really gives is claimed: the check fails when the stage had not done its
part. What no check looks at: whether services are *enabled* (it matters only after a reboot).
"""
from __future__ import annotations

from .. import tutorial as t


def covers(lab) -> dict:
    """(stage, kind, name) -> the names of the checks that fail when it is missing or wrong."""
    table = {
        ("base", "shell", "private ip"): ["private ip"],
        ("base", "file", "/etc/hosts"): ["lab names resolve"],
        ("base", "service", "firewalld"): ["firewall off"],
        ("base", "service", lab.platform_info.time_service): ["time sync"],
        # Packages are checked through what runs from them.
        ("base", "package", "etcd"): ["etcd cluster-health"],           # etcd and etcdctl (centos7)
        ("base", "package", "etcd-server"): ["etcd cluster-health"],    # debian12
        ("base", "package", "etcd-client"): ["etcd cluster-health"],    # etcdctl (debian12)
        ("base", "package", "kubernetes"): ["master services active", "node services active"],
        ("base", "package", "flannel"): ["flanneld active"],
        ("base", "package", "ntp"): ["time sync"],                      # ntpd
        # ETCD_ADVERTISE_CLIENT_URLS (member list's clientURLs); ETCD_LISTEN_CLIENT_URLS with the
        # private IP (reachable from every node).
        ("etcd", "file", lab.platform_info.etcd_conf): ["etcd member list", "etcd reachable"],
        ("etcd", "service", "etcd"): ["etcd cluster-health"],
        ("etcd", "etcd key", t.flannel_key(lab.cluster.flannel_prefix)): ["flannel network key"],
        # KUBE_API_ADDRESS 0.0.0.0 (the package binds 127.0.0.1: unreachable from the nodes).
        ("master", "file", t.APISERVER_CONF): ["apiserver reachable"],
        # FLANNEL_ETCD_ENDPOINTS and _PREFIX: flanneld gets a lease from the lab's network.
        ("network", "file", t.FLANNELD_CONF): ["flanneld active", "flannel lease"],
        ("network", "service", "flanneld"): ["flanneld active"],
        # --hostname-override and --api-servers: the node registers under its own name.
        ("nodes", "file", t.KUBELET_CONF): ["kubectl get nodes"],
        # debian12's kubelet (>= 1.8) finds the apiserver here instead of --api-servers: without
        # it kubelet runs standalone and never registers.
        ("nodes", "file", "/etc/kubernetes/kubelet.kubeconfig"): ["kubectl get nodes"],
        ("nodes", "service", "kubelet"): ["node services active"],
        ("nodes", "service", "kube-proxy"): ["node services active"],
        ("start", "service", "flanneld"): ["flanneld active"],
        ("start", "service", "kubelet"): ["node services active"],
        ("start", "service", "kube-proxy"): ["node services active"],
        ("start", "service", "docker"): ["node services active"],
        ("start", "shell", "docker0 on the lease"): ["docker0 on the lease"],
        ("start", "shell", "flannel0 up"): ["flannel0 up"],
        ("start", "image", lab.cluster.pod_infra_image): ["infra image"],
        # ifconfig and netstat, which the tutorial's own lines use
        ("base", "package", "net-tools"): ["3.5 ifconfig", "2.1 netstat -anutp | grep 2379"],
    }
    for service in t.MASTER_SERVICES:      # the master stage restarts them when their files changed
        table[("master", "service", service)] = ["master services active"]
        table[("start", "service", service)] = ["master services active"]
    return table


def not_checked(lab) -> dict:
    """(stage, kind, name) -> why no verify check looks at it."""
    return {
        ("base", "file", t.REPO_FILE):
            "only yum reads it, while the base stage installs the packages (a wrong mirror fails "
            "there); the packages it served are checked through what runs from them",
        ("base", "package", "qemu-guest-agent"):
            "only reset and resume use it, to set the guests' clocks; where it does not answer "
            "they set them over SSH (and say so)",
        ("base", "shell", "guest agent"):
            "only reset and resume use it, to set the guests' clocks; where it does not answer "
            "they set them over SSH (and say so)",
        ("master", "file", t.KUBE_CONFIG):
            "on the master, controller-manager and scheduler would reach the apiserver at their "
            "default http://127.0.0.1:8080 as well: no behaviour tells whether KUBE_MASTER was "
            "written (`invoke plan` shows a drifted file)",
        ("master", "file", t.SCHEDULER_CONF):
            "KUBE_SCHEDULER_ARGS is the tutorial's bare 0.0.0.0, which kube-scheduler ignores: "
            "it runs the same with the package's file (`invoke plan` shows a drifted file)",
        ("nodes", "file", t.KUBE_CONFIG):
            "on a node only kube-proxy reads KUBE_MASTER (kubelet finds the apiserver through "
            "/etc/kubernetes/kubelet); kube-proxy keeps running without the apiserver and none "
            "of the tutorial's smoke tests uses a service (`invoke plan` shows a drifted file)",
    }
