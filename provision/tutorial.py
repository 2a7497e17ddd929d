"""The tutorial's cluster in names and numbers, written once: ports, services, files, etcd keys,
and the restart marks k8s-lab leaves on the nodes (a lab's own names, its folder, VMs and
libvirt networks, are allocate/names.py's).

The tutorial's lab file (lab.py: the cluster defaults, the URLs), its stages, files and checks
read them here; the engine (k8slab/) never does.
"""
from __future__ import annotations

import shlex

# Ports (2.1, 2.2): etcd's client port; the apiserver's insecure port, the only one the tutorial uses.
ETCD_PORT = 2379
APISERVER_PORT = 8080

# flannel 0.7 reads the v2 keys API only: every etcdctl call says so, whatever etcd's default.
ETCDCTL = "ETCDCTL_API=2 etcdctl"

# Services (2.4, 3.5).
ETCD = "etcd"
FLANNELD = "flanneld"
KUBE_APISERVER, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER = \
    "kube-apiserver", "kube-controller-manager", "kube-scheduler"
KUBELET, KUBE_PROXY, DOCKER = "kubelet", "kube-proxy", "docker"
MASTER_SERVICES = (KUBE_APISERVER, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER)
NODE_SERVICES = (KUBELET, KUBE_PROXY, DOCKER)
# The start stage's order: flanneld before docker, so docker comes up on flannel's lease.
START_ON_MASTER = (*MASTER_SERVICES, FLANNELD)
START_ON_NODES = (FLANNELD, KUBE_PROXY, KUBELET, DOCKER)

# Files the stages edit (the platform-dependent ones are in platforms.py).
KUBE_CONFIG = "/etc/kubernetes/config"
APISERVER_CONF = "/etc/kubernetes/apiserver"
SCHEDULER_CONF = "/etc/kubernetes/scheduler"
KUBELET_CONF = "/etc/kubernetes/kubelet"
FLANNELD_CONF = "/etc/sysconfig/flanneld"
REPO_FILE = "/etc/yum.repos.d/CentOS-Base.repo"

# What flanneld writes once it holds a lease (read by verify and docker0-lease.sh).
FLANNEL_SUBNET_ENV = "/run/flannel/subnet.env"
FLANNEL_DOCKER_OPTS = "/run/flannel/docker"

# lab.yaml's cluster defaults: the tutorial's values.
SERVICE_RANGE = "10.254.0.0/16"
FLANNEL_NETWORK = "10.255.0.0/16"
FLANNEL_PREFIX = "/k8s/network"


def flannel_key(prefix: str) -> str:
    """The etcd key flanneld reads its network from (2.3.1)."""
    return f"{prefix}/config"


def etcdctl(endpoint: str) -> str:
    """The etcdctl command line up to its arguments."""
    return f"{ETCDCTL} --endpoints {shlex.quote(endpoint)}"

# The tutorial's chapters each stage completes (a student's handout says where their copy is).
CHAPTERS = {"base": "1", "etcd": "2.1", "master": "2.2", "network": "2.3", "nodes": "3 and 4",
            "start": "2.4 and 3.5 (the whole tutorial)"}
