"""Which steps each stage runs on each node, in the tutorial's order.

base     (1)     all nodes: private IP, /etc/hosts, repos, packages, firewall off, time sync
etcd     (2.1)   etcd node: etcd.conf, etcd running, the flannel network key (etcd data)
master   (2.2)   master: /etc/kubernetes/config, apiserver, scheduler
network  (2.3)   all nodes: /etc/sysconfig/flanneld with the interface holding the node's IP
nodes    (3, 4)  nodes: /etc/kubernetes/config, kubelet
start    (2.4, 3.5) master and nodes: their services running and enabled; docker0 on the lease
"""
from __future__ import annotations

from k8slab.edits import hosts_file
from k8slab.steps import EtcdKeyStep, FileStep, PackageStep, ServiceStep, ShellStep

from . import files
from .repos import REPO_FILE, centos_base_repo

MASTER_SERVICES = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "flanneld"]
NODE_SERVICES = ["flanneld", "kube-proxy", "kubelet", "docker"]
KUBE_CONFIG = "/etc/kubernetes/config"


def base(lab, node, host):
    platform = lab.platform_info
    steps = [
        ShellStep("private ip", "private-ip.sh", {"IP": node.ip}),
        FileStep("hosts file", "/etc/hosts",
                 lambda text: hosts_file(text, lab.hosts_entries, node.name)),
    ]
    if platform.package_manager == "yum":
        steps.append(FileStep("yum repos", REPO_FILE, lambda _: centos_base_repo(lab.mirror)))
    packages = []
    for role in node.roles:
        packages += [p for p in platform.packages.get(role, []) if p not in packages]
    if packages:
        steps.append(PackageStep(packages, platform.package_manager))
    steps += [
        ShellStep("firewall off", "firewall-off.sh"),
        ShellStep("time sync", "time-sync.sh", {"SERVICE": platform.time_service}),
    ]
    return steps


def etcd(lab, node, host):
    if not node.has("etcd"):
        return []
    return [
        FileStep("etcd config", lab.platform_info.etcd_conf, lambda t: files.etcd_conf(t, lab),
                 restarts=["etcd"], package_hint="etcd"),
        ServiceStep(["etcd"]),
        EtcdKeyStep(f"{lab.cluster.flannel_prefix}/config", files.flannel_config(lab),
                    endpoint=lab.etcd_url),
    ]


def master(lab, node, host):
    if not node.has("master"):
        return []
    kube = MASTER_SERVICES[:3]
    return [
        FileStep("kube config", KUBE_CONFIG, lambda t: files.kube_config(t, lab),
                 restarts=kube, package_hint="kubernetes"),
        FileStep("apiserver", "/etc/kubernetes/apiserver", lambda t: files.apiserver(t, lab),
                 restarts=["kube-apiserver"], package_hint="kubernetes"),
        FileStep("scheduler", "/etc/kubernetes/scheduler", lambda t: files.scheduler(t, lab),
                 restarts=["kube-scheduler"], package_hint="kubernetes"),
        ServiceStep(kube, start=False),
    ]


def _private_iface(lab, node, host) -> str:
    """The interface holding the node's private IP (eth1 in Vagrant boxes; ens33 in the tutorial)."""
    def find():
        out = host.run(f"ip -o -4 addr show to {node.ip}/32", check=False).stdout.split()
        if len(out) < 2:
            raise host.error(f"ip -o -4 addr show to {node.ip}/32",
                             host.run("ip -o -4 addr show", check=False))
        return out[1]
    return host.fact("private_iface", find)


def network(lab, node, host):
    return [
        FileStep("flanneld config", "/etc/sysconfig/flanneld",
                 lambda t: files.flanneld(t, lab, _private_iface(lab, node, host)),
                 restarts=["flanneld"], package_hint="flannel"),
        ServiceStep(["flanneld"], start=False),
    ]


def nodes(lab, node, host):
    if not node.has("node"):
        return []
    steps = [
        FileStep("kube config", KUBE_CONFIG, lambda t: files.kube_config(t, lab),
                 restarts=["kubelet", "kube-proxy"], package_hint="kubernetes"),
        FileStep("kubelet", "/etc/kubernetes/kubelet", lambda t: files.kubelet(t, lab, node),
                 restarts=["kubelet"], package_hint="kubernetes"),
    ]
    kubeconfig = lab.platform_info.kubelet_kubeconfig
    if kubeconfig:  # kubelet >= 1.8: the apiserver's address lives here, not in --api-servers
        steps.append(FileStep("kubelet kubeconfig", kubeconfig,
                              lambda _: files.kubelet_kubeconfig(lab), restarts=["kubelet"]))
    return steps + [ServiceStep(["kubelet", "kube-proxy"], start=False)]


def start(lab, node, host):
    steps = []
    if node.has("master"):
        steps.append(ServiceStep(MASTER_SERVICES))
    if node.has("node"):
        steps += [ServiceStep(NODE_SERVICES), ShellStep("docker0 on the lease", "docker0-lease.sh")]
    return steps


STAGE_STEPS = {"base": base, "etcd": etcd, "master": master, "network": network,
               "nodes": nodes, "start": start}


def steps_for(stage, lab, node, host):
    return STAGE_STEPS[stage](lab, node, host)
