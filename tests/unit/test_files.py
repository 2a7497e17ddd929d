"""provision.files: each file the tutorial edits, pinned by golden files.

defaults/ are the files as the CentOS 7 RPMs ship them (kubernetes 1.5.2, etcd 3.3.11,
flannel 0.7.1); expected/ are the tutorial's final files. debian12/defaults/etcd is
/etc/default/etcd from Debian 12's etcd-server 3.4.23-4 (copied from the installed package).
"""
from __future__ import annotations

import ipaddress
from pathlib import Path
from types import SimpleNamespace

import pytest

from k8slab.edits import get_key
from provision import files

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
DEFAULTS = GOLDEN / "centos7" / "defaults"
EXPECTED = GOLDEN / "centos7" / "expected"


def make_lab(etcd_v2_flag=False):
    # Stands for the real k8slab.config.Lab (tested elsewhere): only the attributes
    # provision.files reads, with the tutorial's values.
    cluster = SimpleNamespace(
        service_range=ipaddress.IPv4Network("10.254.0.0/16"),
        flannel_network=ipaddress.IPv4Network("10.255.0.0/16"),
        flannel_prefix="/k8s/network",
        admission_control="AlwaysAdmit",
        scheduler_args="0.0.0.0",
        pod_infra_image="registry.access.redhat.com/rhel7/pod-infrastructure:latest",
    )
    return SimpleNamespace(
        etcd=SimpleNamespace(name="k8s-master", ip="192.168.0.15"),
        master=SimpleNamespace(name="k8s-master", ip="192.168.0.15"),
        apiserver_url="http://192.168.0.15:8080",
        etcd_url="http://192.168.0.15:2379",
        cluster=cluster,
        platform_info=SimpleNamespace(etcd_v2_flag=etcd_v2_flag),
    )


LAB = make_lab()
NODE1, NODE2 = SimpleNamespace(name="k8s-node1"), SimpleNamespace(name="k8s-node2")

CASES = [
    ("etcd.conf", "etcd.conf", lambda t: files.etcd_conf(t, LAB)),
    ("config", "config", lambda t: files.kube_config(t, LAB)),
    ("apiserver", "apiserver", lambda t: files.apiserver(t, LAB)),
    ("scheduler", "scheduler", lambda t: files.scheduler(t, LAB)),
    ("kubelet", "kubelet.k8s-node1", lambda t: files.kubelet(t, LAB, NODE1)),
    ("kubelet", "kubelet.k8s-node2", lambda t: files.kubelet(t, LAB, NODE2)),
    ("flanneld", "flanneld.eth1", lambda t: files.flanneld(t, LAB, "eth1")),
]
IDS = [c[1] for c in CASES]


def active(text):
    """The lines `grep -v ^#` prints, without blank lines."""
    return [l for l in text.splitlines() if l.strip() and not l.startswith("#")]


@pytest.mark.parametrize("default, expected, edit", CASES, ids=IDS)
def test_default_becomes_the_tutorials_file(default, expected, edit):
    assert edit((DEFAULTS / default).read_text()) == (EXPECTED / expected).read_text()


@pytest.mark.parametrize("default, expected, edit", CASES, ids=IDS)
def test_twice_is_once(default, expected, edit):
    once = edit((DEFAULTS / default).read_text())
    assert edit(once) is once


def test_etcd_conf_matches_the_tutorials_grep():
    # [root@k8s-master ~]# grep -v ^# /etc/etcd/etcd.conf
    tutorial = """\
ETCD_DATA_DIR="/var/lib/etcd/default.etcd"
ETCD_LISTEN_CLIENT_URLS="http://localhost:2379,http://192.168.0.15:2379"
ETCD_NAME="default"
ETCD_ADVERTISE_CLIENT_URLS="http://192.168.0.15:2379"
"""
    out = files.etcd_conf((DEFAULTS / "etcd.conf").read_text(), LAB)
    assert active(out) == tutorial.splitlines()
    # etcd.conf has no blank lines, so here the real grep output is exactly the transcript.
    assert [l for l in out.splitlines() if not l.startswith("#")] == tutorial.splitlines()


def test_apiserver_matches_the_tutorials_grep():
    # [root@k8s-master ~]# grep -v ^# /etc/kubernetes/apiserver
    tutorial = """\
KUBE_API_ADDRESS="--insecure-bind-address=0.0.0.0"
KUBE_ETCD_SERVERS="--etcd-servers=http://192.168.0.15:2379"
KUBE_SERVICE_ADDRESSES="--service-cluster-ip-range=10.254.0.0/16"
KUBE_ADMISSION_CONTROL="--admission-control=AlwaysAdmit"
KUBE_API_ARGS=""
"""
    # (the real `grep -v ^#` also prints the file's blank lines; the transcript dropped them)
    assert active(files.apiserver((DEFAULTS / "apiserver").read_text(), LAB)) == tutorial.splitlines()


def test_untouched_files_stay_as_shipped():
    for name in ["controller-manager", "proxy"]:
        assert active((DEFAULTS / name).read_text()) == \
            [{"controller-manager": 'KUBE_CONTROLLER_MANAGER_ARGS=""',
              "proxy": 'KUBE_PROXY_ARGS=""'}[name]]


def test_etcd_v2_flag_uncomments_centos_enable_v2_in_place():
    text = (DEFAULTS / "etcd.conf").read_text()
    out = files.etcd_conf(text, make_lab(etcd_v2_flag=True))
    assert '#ETCD_ENABLE_V2="true"' in text
    assert out == (EXPECTED / "etcd.conf").read_text().replace(
        '#ETCD_ENABLE_V2="true"', 'ETCD_ENABLE_V2="true"')


def test_debian12_default_etcd_gets_the_keys_and_v2():
    text = (GOLDEN / "debian12" / "defaults" / "etcd").read_text()
    lab = make_lab(etcd_v2_flag=True)
    out = files.etcd_conf(text, lab)
    assert out.startswith(text)           # its comments kept
    assert active(out) == [
        'ETCD_DATA_DIR="/var/lib/etcd/default.etcd"',
        'ETCD_LISTEN_CLIENT_URLS="http://localhost:2379,http://192.168.0.15:2379"',
        'ETCD_NAME="default"',
        'ETCD_ADVERTISE_CLIENT_URLS="http://192.168.0.15:2379"',
        'ETCD_ENABLE_V2="true"',
    ]
    assert files.etcd_conf(out, lab) == out


def test_debian_commented_layout_is_uncommented_in_place():
    # Older Debian packages (etcd 3.2/3.3) shipped each key commented as `# ETCD_NAME="..."`.
    text = ('##### --name\n## Human-readable name for this member.\n# ETCD_NAME="hostname"\n\n'
            '##### --enable-v2\n# ETCD_ENABLE_V2="true"\n')
    out = files.etcd_conf(text, make_lab(etcd_v2_flag=True))
    assert out.splitlines()[2] == 'ETCD_NAME="default"'
    assert out.splitlines()[5] == 'ETCD_ENABLE_V2="true"'
    assert get_key(out, "ETCD_ADVERTISE_CLIENT_URLS") == "http://192.168.0.15:2379"


def test_flannel_config_has_the_tutorials_space():
    assert files.flannel_config(LAB) == '{"Network": "10.255.0.0/16"}'


def test_admission_control_list_is_joined():
    lab = make_lab()
    lab.cluster.admission_control = ["NamespaceLifecycle", "AlwaysAdmit"]
    out = files.apiserver((DEFAULTS / "apiserver").read_text(), lab)
    assert get_key(out, "KUBE_ADMISSION_CONTROL") == "--admission-control=NamespaceLifecycle,AlwaysAdmit"


def test_flanneld_rejects_a_bad_iface():
    with pytest.raises(ValueError):
        files.flanneld("", LAB, "")
