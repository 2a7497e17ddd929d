"""provision.files: each file the tutorial edits, pinned by golden files.

defaults/ are the files as the CentOS 7 RPMs ship them (kubernetes 1.5.2, etcd 3.3.11,
flannel 0.7.1); expected/ are the tutorial's final files. debian12/defaults/etcd is
/etc/default/etcd from Debian 12's etcd-server 3.4.23-4 (copied from the installed package).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from k8slab.edits import get_key
from provision import files

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
DEFAULTS = GOLDEN / "centos7" / "defaults"
EXPECTED = GOLDEN / "centos7" / "expected"

# The edits get the real Lab (the `lab` fixture: the shipped lab.yaml through load_lab), so the
# golden files also pin what the model derives: lab.etcd_url, lab.apiserver_url, the cluster keys.
CASES = [
    ("etcd.conf", "etcd.conf", lambda t, lab: files.etcd_conf(t, lab)),
    ("config", "config", lambda t, lab: files.kube_config(t, lab)),
    ("apiserver", "apiserver", lambda t, lab: files.apiserver(t, lab)),
    ("scheduler", "scheduler", lambda t, lab: files.scheduler(t, lab)),
    ("kubelet", "kubelet.k8s-node1", lambda t, lab: files.kubelet(t, lab, lab.node("k8s-node1"))),
    ("kubelet", "kubelet.k8s-node2", lambda t, lab: files.kubelet(t, lab, lab.node("k8s-node2"))),
    ("flanneld", "flanneld.eth1", lambda t, lab: files.flanneld(t, lab, "eth1")),
]
IDS = [c[1] for c in CASES]

# debian12, the test platform: etcd 3.4 needs ETCD_ENABLE_V2, kubelet 1.19 a kubeconfig.
DEBIAN12 = (("platform: centos7", "platform: debian12"),)


def active(text):
    """The lines `grep -v ^#` prints, without blank lines."""
    return [l for l in text.splitlines() if l.strip() and not l.startswith("#")]


@pytest.mark.parametrize("default, expected, edit", CASES, ids=IDS)
def test_default_becomes_the_tutorials_file(default, expected, edit, lab):
    assert edit((DEFAULTS / default).read_text(), lab) == (EXPECTED / expected).read_text()


@pytest.mark.parametrize("default, expected, edit", CASES, ids=IDS)
def test_twice_is_once(default, expected, edit, lab):
    once = edit((DEFAULTS / default).read_text(), lab)
    assert edit(once, lab) is once


def test_etcd_conf_matches_the_tutorials_grep(lab):
    # [root@k8s-master ~]# grep -v ^# /etc/etcd/etcd.conf
    tutorial = """\
ETCD_DATA_DIR="/var/lib/etcd/default.etcd"
ETCD_LISTEN_CLIENT_URLS="http://localhost:2379,http://192.168.0.15:2379"
ETCD_NAME="default"
ETCD_ADVERTISE_CLIENT_URLS="http://192.168.0.15:2379"
"""
    out = files.etcd_conf((DEFAULTS / "etcd.conf").read_text(), lab)
    assert active(out) == tutorial.splitlines()
    # etcd.conf has no blank lines, so here the real grep output is exactly the transcript.
    assert [l for l in out.splitlines() if not l.startswith("#")] == tutorial.splitlines()


def test_apiserver_matches_the_tutorials_grep(lab):
    # [root@k8s-master ~]# grep -v ^# /etc/kubernetes/apiserver
    tutorial = """\
KUBE_API_ADDRESS="--insecure-bind-address=0.0.0.0"
KUBE_ETCD_SERVERS="--etcd-servers=http://192.168.0.15:2379"
KUBE_SERVICE_ADDRESSES="--service-cluster-ip-range=10.254.0.0/16"
KUBE_ADMISSION_CONTROL="--admission-control=AlwaysAdmit"
KUBE_API_ARGS=""
"""
    # (the real `grep -v ^#` also prints the file's blank lines; the transcript dropped them)
    assert active(files.apiserver((DEFAULTS / "apiserver").read_text(), lab)) == tutorial.splitlines()


def test_untouched_files_stay_as_shipped():
    for name in ["controller-manager", "proxy"]:
        assert active((DEFAULTS / name).read_text()) == \
            [{"controller-manager": 'KUBE_CONTROLLER_MANAGER_ARGS=""',
              "proxy": 'KUBE_PROXY_ARGS=""'}[name]]


def test_etcd_v2_flag_uncomments_centos_enable_v2_in_place(lab_with):
    # CentOS's etcd.conf carries the key commented out; a platform that needs it uncomments it there.
    text = (DEFAULTS / "etcd.conf").read_text()
    out = files.etcd_conf(text, lab_with(*DEBIAN12))
    assert '#ETCD_ENABLE_V2="true"' in text
    assert out == (EXPECTED / "etcd.conf").read_text().replace(
        '#ETCD_ENABLE_V2="true"', 'ETCD_ENABLE_V2="true"')


def test_debian12_default_etcd_gets_the_keys_and_v2(lab_with):
    text = (GOLDEN / "debian12" / "defaults" / "etcd").read_text()
    lab = lab_with(*DEBIAN12)
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


def test_debian_commented_layout_is_uncommented_in_place(lab_with):
    # Older Debian packages (etcd 3.2/3.3) shipped each key commented as `# ETCD_NAME="..."`.
    text = ('##### --name\n## Human-readable name for this member.\n# ETCD_NAME="hostname"\n\n'
            '##### --enable-v2\n# ETCD_ENABLE_V2="true"\n')
    out = files.etcd_conf(text, lab_with(*DEBIAN12))
    assert out.splitlines()[2] == 'ETCD_NAME="default"'
    assert out.splitlines()[5] == 'ETCD_ENABLE_V2="true"'
    assert get_key(out, "ETCD_ADVERTISE_CLIENT_URLS") == "http://192.168.0.15:2379"


def test_flannel_config_has_the_tutorials_space(lab):
    assert files.flannel_config(lab) == '{"Network": "10.255.0.0/16"}'


def test_admission_control_list_from_the_lab_file(lab_with):
    # lab.yaml takes one word; several plugins are written comma-separated, as the flag wants them.
    lab = lab_with(("admission_control: AlwaysAdmit", "admission_control: NamespaceLifecycle,AlwaysAdmit"))
    out = files.apiserver((DEFAULTS / "apiserver").read_text(), lab)
    assert get_key(out, "KUBE_ADMISSION_CONTROL") == "--admission-control=NamespaceLifecycle,AlwaysAdmit"


def test_flanneld_rejects_a_bad_iface(lab):
    with pytest.raises(ValueError):
        files.flanneld("", lab, "")


def test_debian12_kubelet_differs_only_in_the_api_server_line(lab_with):
    """Kubernetes 1.19's kubelet has no --api-servers: the one line the test platform writes
    differently (provision/platforms.py lists it); the rest is the tutorial's file byte for byte."""
    lab = lab_with(*DEBIAN12)
    out = files.kubelet((DEFAULTS / "kubelet").read_text(), lab, lab.node("k8s-node1"))
    tutorial = (EXPECTED / "kubelet.k8s-node1").read_text()
    assert out == tutorial.replace(
        'KUBELET_API_SERVER="--api-servers=http://192.168.0.15:8080"',
        'KUBELET_API_SERVER="--kubeconfig=/etc/kubernetes/kubelet.kubeconfig"')
    assert out != tutorial


def test_kubelet_kubeconfig_names_the_masters_insecure_port(lab_with):
    import yaml
    lab = lab_with(*DEBIAN12, ("ip: 192.168.0.15", "ip: 192.168.0.25"))
    config = yaml.safe_load(files.kubelet_kubeconfig(lab))
    assert config["clusters"][0]["cluster"] == {"server": "http://192.168.0.25:8080"}
    assert config["current-context"] == config["contexts"][0]["name"]
    assert config["contexts"][0]["context"] == {"cluster": config["clusters"][0]["name"]}
    assert "users" not in config   # the insecure port: no credentials, as --api-servers had none


@pytest.mark.parametrize("platform", ["centos7", "debian12"])
def test_the_nodes_stage_writes_a_kubeconfig_only_where_kubelet_needs_one(lab_with, platform):
    from k8slab.facts import Facts
    from k8slab.steps import FileStep
    from provision.stages import steps_for
    lab = lab_with(("platform: centos7", f"platform: {platform}"))
    paths = [s.path for s in steps_for("nodes", lab, lab.node("k8s-node1"), Facts())
             if isinstance(s, FileStep)]
    assert paths == ["/etc/kubernetes/config", "/etc/kubernetes/kubelet"] + \
        (["/etc/kubernetes/kubelet.kubeconfig"] if platform == "debian12" else [])
