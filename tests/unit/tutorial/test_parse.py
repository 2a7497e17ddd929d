"""provision.checks.parse on real outputs (tests/captured/, see its README) and broken forms."""
from __future__ import annotations

from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path

import pytest

from k8slab.facts.addresses import parse_ip_addr
from provision.checks import parse

CAPTURED = Path(__file__).resolve().parents[2] / "captured"


def cap(name):
    return (CAPTURED / name).read_text()


# --- etcdctl member list ---------------------------------------------------------------------

def test_member_list_tutorial():
    [m] = parse.parse_member_list(cap("tutorial-etcd-member-list.txt"))
    assert (m.id, m.name, m.peer_urls, m.client_urls, m.is_leader) == \
        ("8e9e05c52164694d", "default", ["http://localhost:2380"], ["http://192.168.0.15:2379"], True)


def test_member_list_captured():
    [m] = parse.parse_member_list(cap("etcd-member-list.txt"))
    assert m.name == "default" and m.client_urls == ["http://127.0.0.1:2379"] and m.is_leader


def test_member_list_wrong_advertise_shows_the_advertised_url():
    [m] = parse.parse_member_list(cap("etcd-member-list-wrong-advertise-nosync.txt"))
    assert m.client_urls == ["http://127.0.0.1:2399"]


def test_member_list_three_members_one_without_client_urls():
    members = parse.parse_member_list(cap("etcd-member-list-three.txt"))
    assert [m.name for m in members] == ["c", "b", "a"]
    assert members[0].client_urls == [] and [m.is_leader for m in members] == [False, False, True]


def test_member_list_unstarted_member():
    [m] = parse.parse_member_list("8211f1d0f64f3269[unstarted]: peerURLs=http://10.0.0.2:2380\n")
    assert (m.id, m.name, m.peer_urls, m.client_urls, m.is_leader) == \
        ("8211f1d0f64f3269", "", ["http://10.0.0.2:2380"], [], False)


@pytest.mark.parametrize("name", ["etcd-member-list-stopped.txt",
                                  "etcd-member-list-wrong-advertise.txt"])
def test_member_list_errors_raise(name):
    with pytest.raises(ValueError, match="no etcd member answered"):
        parse.parse_member_list(cap(name))


def test_member_list_garbage_raises():
    with pytest.raises(ValueError, match="not an etcdctl member list line"):
        parse.parse_member_list("bash: etcdctl: command not found\n")


# --- etcdctl cluster-health ------------------------------------------------------------------

@pytest.mark.parametrize("name, url", [
    ("tutorial-etcd-cluster-health.txt", "http://192.168.0.15:2379"),
    ("etcd-cluster-health-healthy.txt", "http://127.0.0.1:2379"),
])
def test_cluster_health_healthy(name, url):
    h = parse.parse_cluster_health(cap(name))
    assert h.healthy and h.message == "cluster is healthy"
    [m] = h.members
    assert m.healthy and m.url == url


def test_cluster_health_stopped():
    h = parse.parse_cluster_health(cap("etcd-cluster-health-stopped.txt"))
    assert not h.healthy and h.members == []
    assert "connection refused" in h.message


def test_cluster_health_error_only():
    h = parse.parse_cluster_health(
        "Error:  client: etcd cluster is unavailable or misconfigured; "
        "error #0: dial tcp 192.168.0.15:2379: connect: no route to host\n")
    assert not h.healthy and "no route to host" in h.message


def test_cluster_health_wrong_advertise():
    h = parse.parse_cluster_health(cap("etcd-cluster-health-wrong-advertise.txt"))
    assert not h.healthy and h.message == "cluster is unavailable"
    [m] = h.members          # `failed to check` and `is unreachable` are one member
    assert (m.id, m.healthy, m.url) == ("b71f75320dc06a6c", False, "http://127.0.0.1:2399")
    assert "connection refused" in m.message


def test_cluster_health_degraded():
    h = parse.parse_cluster_health(cap("etcd-cluster-health-degraded.txt"))
    assert not h.healthy and h.message == "cluster is degraded"
    assert [(m.id, m.healthy) for m in h.members] == [
        ("42b4c95db84f2660", False), ("9e85cc091d4d15bb", True), ("b71f75320dc06a6c", True)]
    assert h.members[0].message == "no available published client urls"


def test_cluster_health_no_leader_is_unhealthy():
    h = parse.parse_cluster_health(cap("etcd-cluster-health-no-leader.txt"))
    assert not h.healthy and h.message == "cluster is unavailable"
    a = [m for m in h.members if m.id == "b71f75320dc06a6c"][0]
    assert (a.healthy, a.url, a.message) == (False, "http://127.0.0.1:2379", "got unhealthy result")


def test_cluster_health_healthy_verdict_with_a_sick_member_is_not_healthy():
    text = ("member 1 is unhealthy: got unhealthy result from http://a:2379\n"
            "cluster is healthy\n")
    assert not parse.parse_cluster_health(text).healthy


@pytest.mark.parametrize("text", ["", "bash: etcdctl: command not found"])
def test_cluster_health_unreadable(text):
    with pytest.raises(ValueError):
        parse.parse_cluster_health(text)


# --- flannel files ---------------------------------------------------------------------------

def test_subnet_env_tutorial():
    lease = parse.parse_subnet_env(cap("tutorial-flannel-subnet.env"))
    assert lease == parse.Lease(IPv4Network("10.255.0.0/16"), IPv4Interface("10.255.21.1/24"),
                                1472, False)
    assert lease.subnet.network == IPv4Network("10.255.21.0/24")


def test_subnet_env_keeps_every_line_as_a_dict():
    lease = parse.parse_subnet_env(cap("tutorial-flannel-subnet.env"))
    assert lease.env == {"FLANNEL_NETWORK": "10.255.0.0/16", "FLANNEL_SUBNET": "10.255.21.1/24",
                         "FLANNEL_MTU": "1472", "FLANNEL_IPMASQ": "false"}
    assert parse.parse_env('# c\nA="x y"\nexport B=1\n') == {"A": "x y", "B": "1"}


def test_subnet_env_broken():
    with pytest.raises(ValueError, match="FLANNEL_SUBNET"):
        parse.parse_subnet_env("FLANNEL_NETWORK=10.255.0.0/16\nFLANNEL_MTU=1472\n")
    with pytest.raises(ValueError, match="FLANNEL_MTU"):
        parse.parse_subnet_env("FLANNEL_NETWORK=10.255.0.0/16\nFLANNEL_SUBNET=10.255.21.1/24\n"
                               "FLANNEL_MTU=big\n")
    with pytest.raises(ValueError):
        parse.parse_subnet_env("cat: /run/flannel/subnet.env: No such file or directory\n")


def test_docker_opts_tutorial():
    d = parse.parse_docker_opts(cap("tutorial-flannel-docker.txt"))
    assert (d.bip, d.mtu, d.ip_masq) == (IPv4Interface("10.255.21.1/24"), 1472, True)
    assert d.options == "--bip=10.255.21.1/24 --ip-masq=true --mtu=1472"
    assert d.env["DOCKER_OPT_BIP"] == "--bip=10.255.21.1/24" and len(d.env) == 4


def test_docker_opts_combined_only():
    # mk-docker-opts.sh -c writes only the combined variable
    d = parse.parse_docker_opts('DOCKER_OPTS=" --bip=10.255.3.1/24 --mtu=1450"\n'
                                'DOCKER_NETWORK_OPTIONS=" --bip=10.255.3.1/24 --mtu=1450"\n')
    assert (d.bip, d.mtu, d.ip_masq) == (IPv4Interface("10.255.3.1/24"), 1450, None)


def test_docker_opts_without_bip():
    with pytest.raises(ValueError, match="--bip"):
        parse.parse_docker_opts('DOCKER_NETWORK_OPTIONS=" --mtu=1472"\n')


# --- ip addr ---------------------------------------------------------------------------------

NODE_ADDRS = {
    "lo": [IPv4Interface("127.0.0.1/8")],
    "eth1": [IPv4Interface("10.255.9.1/24"), IPv4Interface("192.168.0.16/24")],
    "flannel0": [IPv4Interface("10.255.3.0/16")],
    "docker0": [IPv4Interface("10.255.3.1/24")],
}


@pytest.mark.parametrize("name", ["ip-4-o-addr-node.txt", "ip-4-addr-node.txt"])
def test_ip_addr_node_layout(name):
    assert parse_ip_addr(cap(name)) == NODE_ADDRS


@pytest.mark.parametrize("name", ["ip-4-o-addr-host.txt", "ip-4-addr-host.txt"])
def test_ip_addr_host_both_forms_agree(name):
    addrs = parse_ip_addr(cap(name))
    assert addrs == parse_ip_addr(cap("ip-4-o-addr-host.txt"))
    assert addrs["lo"] == [IPv4Interface("127.0.0.1/8")]


def test_ip_addr_show_one_device():
    assert parse_ip_addr(cap("ip-4-addr-show-lo.txt")) == {"lo": [IPv4Interface("127.0.0.1/8")]}


def test_ip_addr_peer_and_ipv6_and_empty():
    text = ("5: tun0    inet 10.8.0.1 peer 10.8.0.2/32 scope global tun0\\       valid_lft forever\n"
            "1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever\n")
    assert parse_ip_addr(text) == {"tun0": [IPv4Interface("10.8.0.1/32")]}
    assert parse_ip_addr("") == {}


def test_ip_addr_garbage():
    with pytest.raises(ValueError):
        parse_ip_addr("Device \"flannel0\" does not exist.\n")


# --- ping ------------------------------------------------------------------------------------

def test_ping_tutorial_overlay_ttl62():
    p = parse.parse_ping(cap("tutorial-ping-overlay.txt"))
    assert (p.transmitted, p.received, p.loss_pct, p.ttl) == (2, 2, 0.0, 62)


def test_ping_loopback():
    p = parse.parse_ping(cap("ping-loopback.txt"))
    assert (p.transmitted, p.received, p.loss_pct, p.ttl) == (3, 3, 0.0, 64)


def test_ping_no_reply():
    p = parse.parse_ping(cap("ping-no-reply.txt"))
    assert (p.transmitted, p.received, p.loss_pct, p.ttl) == (2, 0, 100.0, None)


def test_ping_network_unreachable():
    p = parse.parse_ping(cap("ping-network-unreachable.txt"))
    assert (p.transmitted, p.received, p.loss_pct, p.ttl) == (0, 0, 100.0, None)
    assert p.error == "connect: Network is unreachable"


def test_ping_partial_loss_with_errors():
    text = ("From 10.255.79.0 icmp_seq=1 Destination Host Unreachable\n\n"
            "--- 10.255.3.1 ping statistics ---\n"
            "3 packets transmitted, 1 received, +1 errors, 66.6667% packet loss, time 2002ms\n")
    p = parse.parse_ping(text)
    assert (p.transmitted, p.received, p.loss_pct) == (3, 1, 66.6667)


def test_ping_unreadable():
    with pytest.raises(ValueError):
        parse.parse_ping("")


# --- kubectl get nodes -----------------------------------------------------------------------

def test_kubectl_nodes_1_5_tutorial():
    nodes = parse.parse_kubectl_nodes(cap("tutorial-kubectl-get-nodes-1.5.txt"))
    assert [(n.name, n.status, n.ready, n.age, n.roles, n.version) for n in nodes] == [
        ("k8s-node1", "Ready", True, "18m", None, None),
        ("k8s-node2", "Ready", True, "1m", None, None)]


def test_kubectl_nodes_1_5_not_ready():
    nodes = parse.parse_kubectl_nodes("NAME        STATUS     AGE\nk8s-node1   NotReady   18m\n"
                                      "k8s-node2   Unknown    1m\n")
    assert [(n.name, n.ready) for n in nodes] == [("k8s-node1", False), ("k8s-node2", False)]


def test_kubectl_nodes_roles_layout_with_not_ready():
    nodes = parse.parse_kubectl_nodes(cap("kubectl-get-nodes-1.9-notready.txt"))
    assert [(n.name, n.status, n.ready, n.roles) for n in nodes] == [
        ("master.vagrant.vm", "Ready", True, "master"),
        ("worker1.vagrant.vm", "Ready", True, "<none>"),
        ("worker2.vagrant.vm", "NotReady", False, "<none>")]
    assert nodes[2].version == "v1.9.1+2.1.5.el7" and nodes[2].age == "9m"
    assert not any(n.ready for n in parse.parse_kubectl_nodes(cap("kubectl-get-nodes-1.9-none-ready.txt")))
    assert [n.ready for n in parse.parse_kubectl_nodes(cap("kubectl-get-nodes-1.16-notready.txt"))] == \
        [True, False, False]


def test_kubectl_nodes_comma_statuses():
    nodes = parse.parse_kubectl_nodes(cap("kubectl-get-nodes-1.10-schedulingdisabled.txt"))
    assert nodes[0].status == "Ready,SchedulingDisabled" and nodes[0].ready
    [n] = parse.parse_kubectl_nodes("NAME   STATUS                        AGE\n"
                                    "n1     NotReady,SchedulingDisabled   1m\n")
    assert not n.ready


def test_kubectl_nodes_wide_with_spaces_in_a_cell():
    text = ("NAME        STATUS   ROLES    AGE   VERSION   OS-IMAGE                KERNEL-VERSION\n"
            "k8s-node1   Ready    <none>   5m    v1.5.2    CentOS Linux 7 (Core)   3.10.0-1160.el7.x86_64\n")
    [n] = parse.parse_kubectl_nodes(text)
    assert (n.name, n.ready, n.version) == ("k8s-node1", True, "v1.5.2")


def test_kubectl_nodes_1_1_labels_layout():
    nodes = parse.parse_kubectl_nodes(cap("kubectl-get-nodes-1.1-labels.txt"))
    assert [(n.name, n.status, n.ready, n.age) for n in nodes] == [
        ("172.17.8.102", "Ready", True, "2m"), ("172.17.8.103", "Ready", True, "36s")]


def test_kubectl_no_resources():
    assert parse.parse_kubectl_nodes("No resources found.\n") == []
    assert parse.parse_kubectl_nodes("No resources found\n") == []


def test_kubectl_no_resources_next_to_an_error_is_an_error():
    # kubectl 1.5, stdout and stderr together (kubernetes/kubernetes#35092)
    text = ("Unable to register third party resources: Get http://127.0.0.1:8888/api: read tcp "
            "127.0.0.1:35830->127.0.0.1:8888: read: connection reset by peer\n"
            "No resources found.\n"
            "Unable to connect to the server: read tcp 127.0.0.1:49192->127.0.0.1:8888: "
            "read: connection reset by peer\n")
    with pytest.raises(ValueError, match="Unable to connect"):
        parse.parse_kubectl_nodes(text)
    with pytest.raises(ValueError):
        parse.parse_kubectl_nodes("No resources found.\nerror: the server doesn't have a resource type\n")


@pytest.mark.parametrize("text", [
    "", "The connection to the server 192.168.0.15:8080 was refused - did you specify the right host or port?\n"])
def test_kubectl_unreadable(text):
    with pytest.raises(ValueError):
        parse.parse_kubectl_nodes(text)
