"""Each file the tutorial edits: its desired content computed from its current content.

Only the keys the tutorial changes are set (in place, with `k8slab.edits.set_key`); comments
and the other keys stay as the package shipped them. Section numbers are the tutorial's.
"""
from __future__ import annotations

import json

from k8slab.edits import set_key
from .tutorial import ETCD_PORT

ETCD_DATA_DIR = "/var/lib/etcd/default.etcd"
ETCD_NAME = "default"


def _set_all(text: str, pairs) -> str:
    for key, value in pairs:
        text = set_key(text, key, value)
    return text


def _csv(value) -> str:
    return value if isinstance(value, str) else ",".join(map(str, value))


def etcd_conf(text: str, lab) -> str:
    """2.1 /etc/etcd/etcd.conf (CentOS) or /etc/default/etcd (Debian): listen on the private IP
    too, advertise it; etcd 3.4+ also needs the v2 API that flannel 0.7 reads."""
    ip = lab.etcd.ip
    pairs = [
        ("ETCD_DATA_DIR", ETCD_DATA_DIR),
        ("ETCD_LISTEN_CLIENT_URLS", f"http://localhost:{ETCD_PORT},http://{ip}:{ETCD_PORT}"),
        ("ETCD_NAME", ETCD_NAME),
        ("ETCD_ADVERTISE_CLIENT_URLS", f"http://{ip}:{ETCD_PORT}"),
    ]
    if lab.platform_info.etcd_v2_flag:
        pairs.append(("ETCD_ENABLE_V2", "true"))
    return _set_all(text, pairs)


def kube_config(text: str, lab) -> str:
    """2.2.1 / 3.1 /etc/kubernetes/config: every component finds the apiserver on the master."""
    return set_key(text, "KUBE_MASTER", f"--master={lab.apiserver_url}")


def apiserver(text: str, lab) -> str:
    """2.2.2 /etc/kubernetes/apiserver."""
    cluster = lab.cluster
    return _set_all(text, [
        ("KUBE_API_ADDRESS", "--insecure-bind-address=0.0.0.0"),
        ("KUBE_ETCD_SERVERS", f"--etcd-servers={lab.etcd_url}"),
        ("KUBE_SERVICE_ADDRESSES", f"--service-cluster-ip-range={cluster.service_range}"),
        ("KUBE_ADMISSION_CONTROL", f"--admission-control={_csv(cluster.admission_control)}"),
    ])


def scheduler(text: str, lab) -> str:
    """2.2.4 /etc/kubernetes/scheduler (the tutorial's "0.0.0.0" by default: see the notes)."""
    return set_key(text, "KUBE_SCHEDULER_ARGS", lab.cluster.scheduler_args)


def kubelet(text: str, lab, node) -> str:
    """3.3 / 4 /etc/kubernetes/kubelet: the node registers under its own name. Where kubelet
    has no --api-servers (Kubernetes >= 1.8), the platform's kubeconfig takes its place."""
    kubeconfig = lab.platform_info.kubelet_kubeconfig
    api = f"--kubeconfig={kubeconfig}" if kubeconfig else f"--api-servers={lab.apiserver_url}"
    return _set_all(text, [
        ("KUBELET_ADDRESS", "--address=0.0.0.0"),
        ("KUBELET_HOSTNAME", f"--hostname-override={node.name}"),
        ("KUBELET_API_SERVER", api),
        ("KUBELET_POD_INFRA_CONTAINER", f"--pod-infra-container-image={lab.cluster.pod_infra_image}"),
    ])


def kubelet_kubeconfig(lab) -> str:
    """What --api-servers said, for a kubelet without it: the apiserver's insecure URL and no
    user (the form of the Fedora/CentOS packaging's own kubelet.kubeconfig)."""
    return (f"apiVersion: v1\nkind: Config\nclusters:\n  - cluster:\n"
            f"      server: {lab.apiserver_url}\n    name: {lab.name}\n"
            f"contexts:\n  - context:\n      cluster: {lab.name}\n    name: {lab.name}\n"
            f"current-context: {lab.name}\n")


def flanneld(text: str, lab, iface: str) -> str:
    """2.3.2 / 3.4 /etc/sysconfig/flanneld; `iface` holds the node's private IP (ens33 in the
    tutorial, eth1 in Vagrant boxes)."""
    if not iface or any(c.isspace() for c in iface):
        raise ValueError(f"not an interface name: {iface!r}")
    return _set_all(text, [
        ("FLANNEL_ETCD_ENDPOINTS", lab.etcd_url),
        ("FLANNEL_ETCD_PREFIX", lab.cluster.flannel_prefix),
        ("FLANNEL_OPTIONS", f"--iface={iface}"),
    ])


def flannel_config(lab) -> str:
    """2.3.1 the value of <prefix>/config in etcd: `{"Network": "10.255.0.0/16"}`."""
    return json.dumps({"Network": str(lab.cluster.flannel_network)})
