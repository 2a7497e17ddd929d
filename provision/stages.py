"""Which steps each stage runs on each node, in the tutorial's order.

base     (1)     all nodes: private IP, /etc/hosts, repos, packages, the guest agent, firewall off,
                 time sync
etcd     (2.1)   etcd node: etcd.conf, etcd running, the flannel network key (etcd data)
master   (2.2)   master: /etc/kubernetes/config, apiserver, scheduler
network  (2.3)   all nodes: /etc/sysconfig/flanneld with the interface holding the node's IP
nodes    (3, 4)  nodes: /etc/kubernetes/config, kubelet
start    (2.4, 3.5) master and nodes: their services running and enabled; flannel0 up; docker0 on
                 the lease; the pod infrastructure image imported (no registry)

Each stage is a function of the lab, the node and the node's facts (k8slab.facts, read before
the steps are built); none reads the host.
"""
from __future__ import annotations

from . import tutorial as t
from k8slab.edits import hosts_file
from k8slab.steps import FileStep, PackageStep, ServiceStep, ShellStep

from . import files
from .etcd_key import EtcdKeyStep
from .infra_image import InfraImageStep
from .repos import centos_base_repo


def base(lab, node, facts):
    platform = lab.platform_info
    steps = [
        ShellStep("private ip", "private-ip.sh", {"IP": node.ip}),
        FileStep("hosts file", "/etc/hosts",
                 lambda text: hosts_file(text, lab.hosts_entries, node.name)),
    ]
    if platform.package_manager == "yum":
        steps.append(FileStep("yum repos", t.REPO_FILE, lambda _: centos_base_repo(lab.mirror)))
    packages = []
    for role in node.roles:
        packages += [p for p in platform.packages.get(role, []) if p not in packages]
    if packages:
        steps.append(PackageStep(packages, platform.package_manager))
    steps.append(ShellStep("guest agent", "guest-agent.sh"))
    steps += [
        # the tutorial turns the firewall off on every host (关闭防火墙)
        ServiceStep(["firewalld"], off=True, name="firewall off"),
        # time sync on (the tutorial installs ntp): etcd and the TLS-less kube components still
        # misbehave when clocks drift apart
        ServiceStep([platform.time_service], name="time sync"),
    ]
    return steps


def etcd(lab, node, facts):
    if not node.has("etcd"):
        return []
    return [
        FileStep("etcd config", lab.platform_info.etcd_conf, lambda text: files.etcd_conf(text, lab),
                 restarts=[t.ETCD], package_hint="etcd"),
        ServiceStep([t.ETCD]),
        EtcdKeyStep(t.flannel_key(lab.cluster.flannel_prefix), files.flannel_config(lab),
                    endpoint=lab.etcd_url),
    ]


def master(lab, node, facts):
    if not node.has("master"):
        return []
    kube = list(t.MASTER_SERVICES)
    return [
        FileStep("kube config", t.KUBE_CONFIG, lambda text: files.kube_config(text, lab),
                 restarts=kube, package_hint="kubernetes"),
        FileStep("apiserver", t.APISERVER_CONF, lambda text: files.apiserver(text, lab),
                 restarts=[t.KUBE_APISERVER], package_hint="kubernetes"),
        FileStep("scheduler", t.SCHEDULER_CONF, lambda text: files.scheduler(text, lab),
                 restarts=[t.KUBE_SCHEDULER], package_hint="kubernetes"),
        ServiceStep(kube, start=False),
    ]


def network(lab, node, facts):
    # need() inside the transform: a node whose interface is unknown fails this step, with the
    # evidence gathered, and only when the file is really computed (not in a dry run before base)
    return [
        FileStep("flanneld config", t.FLANNELD_CONF,
                 lambda text: files.flanneld(text, lab, facts.need("private_iface")),
                 restarts=[t.FLANNELD], package_hint="flannel"),
        ServiceStep([t.FLANNELD], start=False),
    ]


def nodes(lab, node, facts):
    if not node.has("node"):
        return []
    kubelet = [t.KUBELET, t.KUBE_PROXY]
    steps = [
        FileStep("kube config", t.KUBE_CONFIG, lambda text: files.kube_config(text, lab),
                 restarts=kubelet, package_hint="kubernetes"),
        FileStep("kubelet", t.KUBELET_CONF, lambda text: files.kubelet(text, lab, node),
                 restarts=[t.KUBELET], package_hint="kubernetes"),
    ]
    kubeconfig = lab.platform_info.kubelet_kubeconfig
    if kubeconfig:  # kubelet >= 1.8: the apiserver's address lives here, not in --api-servers
        steps.append(FileStep("kubelet kubeconfig", kubeconfig,
                              lambda _: files.kubelet_kubeconfig(lab), restarts=[t.KUBELET]))
    return steps + [ServiceStep(kubelet, start=False)]


def start(lab, node, facts):
    steps = []
    if node.has("master"):
        steps.append(ServiceStep(t.START_ON_MASTER))
    if node.has("node"):
        steps.append(ServiceStep(t.START_ON_NODES))
    # what flanneld and docker keep at run time, repaired by restarting their owner: flannel0 up
    # with the overlay's route (flanneld), then docker0 on the lease (docker)
    steps.append(ShellStep("flannel0 up", "flannel-device.sh"))
    if node.has("node"):
        steps += [ShellStep("docker0 on the lease", "docker0-lease.sh"),
                  # instead of the registry the tutorial's kubelet file names (see infra_image.py)
                  InfraImageStep(lab.cluster.pod_infra_image, lambda: lab.path.parent / ".lab" / ".cache")]
    return steps


STAGE_STEPS = {"base": base, "etcd": etcd, "master": master, "network": network,
               "nodes": nodes, "start": start}


def steps_for(stage, lab, node, facts):
    """The steps of stage on node; facts: the node's k8slab.facts.Facts."""
    return STAGE_STEPS[stage](lab, node, facts)
