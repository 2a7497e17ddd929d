"""k8slab.allocate: N copies of a lab on one host: names inside the host's limits, management
subnets free on a real busy host's networks, the copies' cost, deterministic, and the errors."""
from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

import pytest

from k8slab.allocate import (DISK_PER_VM, MAX_COPIES, RESERVED, AllocationError,
                             Host, allocate, copy_names)
from k8slab.doctor import host_networks
from k8slab.errors import ConfigError

CAPTURED = Path(__file__).resolve().parents[2] / "captured"


def networks(kind: str) -> tuple:
    """The host networks the doctor reads from captured `ip -j -4 addr/route show`."""
    return tuple(host_networks((CAPTURED / f"ip-j-addr-{kind}.json").read_text(),
                               (CAPTURED / f"ip-j-route-{kind}.json").read_text()))


BUSY = Host(networks=networks("busy"))    # see tests/captured/README.md
QUIET = Host(networks=networks("host"))   # this machine: lo and eth0 only


def lab_ranges(lab):
    return [lab.private_network, *(net for _, net in lab.reserved_networks())]


# ---- names ----

LONG = "a" * 40                                   # the longest lab name a lab file accepts
NAMES = ["k8s-lab", "k", LONG, "classroom-lab-a", "classroom-lab-b", "abcd-efgh-ijk", "lab-1",
         "lab-11"]


@pytest.mark.parametrize("name", NAMES)
def test_every_name_of_a_copy_is_unique_up_to_the_max(name):
    seen = set()
    for k in range(1, MAX_COPIES + 1):
        n = copy_names(name, k, MAX_COPIES)
        assert n.lab == f"{name}-{k}" and n.folder == f".lab/{name}-{k}"
        assert n.domain("k8s-master") == f"{name}-{k}-k8s-master"
        mine = {n.lab, n.domain_prefix, n.management_network, n.private_network}
        assert len(mine) == 4 and not mine & seen
        seen |= mine


def test_a_single_copy_keeps_the_labs_own_names(lab):
    (c,) = allocate(lab, 1, QUIET).copies
    assert c.names.lab == lab.name and c.names.folder == f".lab/{lab.name}"
    assert lab.workdir == lab.path.parent / c.names.folder
    assert c.names == lab.names                    # what its folder and Vagrantfile use
    assert (c.names.private_network, c.names.management_network) == ("engine-lab-private", "engine-lab-mgmt")
    assert c.names.domain_prefix == f"{lab.name}-"  # lv.default_prefix in the Vagrantfile
    assert c.management_subnet == lab.libvirt.management_network  # free here: unchanged


# ---- subnets ----

def assert_free_and_disjoint(lab, alloc, host):
    subnets = [c.management_subnet for c in alloc.copies]
    for i, s in enumerate(subnets):
        assert not any(s.overlaps(n) for _, n in host.networks), s
        assert not any(s.overlaps(r) for r in lab_ranges(lab) + list(RESERVED)), s
        assert not any(s.overlaps(t) for t in subnets[i + 1:]), s


def test_management_subnets_on_a_busy_host_are_free_and_disjoint(lab):
    alloc = allocate(lab, 10, BUSY)
    assert_free_and_disjoint(lab, alloc, BUSY)
    # 192.168.121.0/24 is virbr1's and .122 libvirt's default: the search goes on from there
    assert [str(c.management_subnet) for c in alloc.copies[:3]] == \
        ["192.168.123.0/24", "192.168.124.0/24", "192.168.125.0/24"]
    assert all(c.private_subnet == lab.private_network for c in alloc.copies)  # shared by design


def test_the_maximum_on_a_quiet_host(lab):
    alloc = allocate(lab, MAX_COPIES, QUIET)
    assert_free_and_disjoint(lab, alloc, QUIET)
    octets = [c.management_subnet.network_address.packed[2] for c in alloc.copies]
    assert octets == [121] + list(range(123, 221))   # on from the lab file's, past libvirt's


def test_the_search_wraps_around_the_pool(lab_with):
    lab = lab_with(("192.168.121.0/24", "192.168.252.0/24"), ("192.168.0.", "192.168.9."))
    octets = [c.management_subnet.network_address.packed[2] for c in allocate(lab, 7).copies]
    assert octets == [252, 253, 254, 255, 1, 2, 3]   # never 192.168.0.0/24, a common LAN


def test_a_management_network_wider_than_a_24_is_not_handed_out_twice(lab_with):
    lab = lab_with(("192.168.121.0/24", "192.168.120.0/23"))
    alloc = allocate(lab, 4, QUIET)
    assert_free_and_disjoint(lab, alloc, QUIET)
    assert [str(c.management_subnet) for c in alloc.copies] == \
        ["192.168.120.0/23", "192.168.123.0/24", "192.168.124.0/24", "192.168.125.0/24"]


def test_lab_ranges_and_node_ips_are_avoided(lab_with):
    lab = lab_with(("192.168.121.0/24", "192.168.200.0/24"),
                   ("10.99.0.0/16", "192.168.201.0/24"), ("10.98.0.0/16", "192.168.204.0/22"),
                   ("192.168.0.", "192.168.203."))
    alloc = allocate(lab, 8, QUIET)
    assert_free_and_disjoint(lab, alloc, QUIET)
    assert [c.management_subnet.network_address.packed[2] for c in alloc.copies] == \
        [200, 202, 208, 209, 210, 211, 212, 213]


def test_deterministic_and_independent_of_the_order_of_the_hosts_networks(lab):
    a = allocate(lab, 12, BUSY)
    assert a == allocate(lab, 12, BUSY)
    shuffled = Host(networks=tuple(reversed(BUSY.networks)))
    assert [c.management_subnet for c in allocate(lab, 12, shuffled).copies] == \
        [c.management_subnet for c in a.copies]


def test_the_copies_own_bridges_are_no_clash_and_earlier_subnets_are_kept(lab):
    first = allocate(lab, 3, BUSY)
    # after `up`, each copy's management network is on the host (vagrant-libvirt's virbrN)
    up = Host(networks=BUSY.networks + tuple((f"virbr{10 + c.index}", c.management_subnet)
                                             for c in first.copies),
              own=("virbr11", "virbr12", "virbr13"))
    assert allocate(lab, 3, up) == first
    # without own, the same bridges are someone else's: every copy moves
    moved = allocate(lab, 3, Host(networks=up.networks))
    assert not {c.management_subnet for c in moved.copies} & \
        {c.management_subnet for c in first.copies}
    # keep: a copy holding a later subnet keeps it when an earlier one frees up, and a new copy
    # takes the earliest free one that no copy holds
    keep = {1: IPv4Network("192.168.150.0/24")}
    again = allocate(lab, 2, BUSY, keep=keep)
    assert [str(c.management_subnet) for c in again.copies] == \
        ["192.168.150.0/24", "192.168.123.0/24"]
    # a kept subnet that the host now uses is given up
    clash = {1: IPv4Network("192.168.2.0/24")}   # virbr2's
    assert allocate(lab, 1, BUSY, keep=clash).copies[0].management_subnet != clash[1]


def test_copies_split_over_several_servers_keep_their_names(lab):
    whole = allocate(lab, 6, BUSY)
    one = allocate(lab, 6, BUSY, indices=[1, 2, 3])
    two = allocate(lab, 6, Host(name="lab2", uri="qemu+ssh://lab2/system",
                                networks=QUIET.networks), indices=[4, 5, 6])
    assert [c.names for c in one.copies + two.copies] == [c.names for c in whole.copies]
    assert {c.host for c in two.copies} == {"lab2"}
    assert {c.uri for c in one.copies} == {"qemu:///system"}
    # each server's subnets are its own: lab2 may reuse the ones taken on localhost
    assert two.copies[0].management_subnet == lab.libvirt.management_network


# ---- resources ----

def test_resources_per_copy_and_total(lab_with):
    lab = lab_with(("    ip: 192.168.0.17\n    roles: [worker]\n",
                    "    ip: 192.168.0.17\n    roles: [worker]\n    memory: 2048\n    cpus: 2\n"))
    alloc = allocate(lab, 4, QUIET)
    per = alloc.copies[0].resources
    assert (per.vms, per.memory_mib, per.cpus, per.max_vm_cpus) == (3, 1024 + 1024 + 2048, 4, 2)
    assert per.disk_bytes == 3 * DISK_PER_VM
    t = alloc.total
    assert (t.vms, t.memory_mib, t.cpus, t.disk_bytes, t.max_vm_cpus) == \
        (12, 4 * 4096, 16, 12 * DISK_PER_VM, 2)


# ---- errors ----

@pytest.mark.parametrize("n", [0, -1, MAX_COPIES + 1, True, 2.0, "3"])
def test_a_bad_count_says_the_range(lab, n):
    with pytest.raises(AllocationError, match=f"from 1 to {MAX_COPIES}"):
        allocate(lab, n, QUIET)


@pytest.mark.parametrize("indices", [[0], [4], [1, 1]])
def test_bad_indices(lab, indices):
    with pytest.raises(AllocationError, match="distinct, from 1 to 3"):
        allocate(lab, 3, QUIET, indices=indices)


def test_no_free_subnet_says_how_many_fit(lab):
    # a host that routes all of 192.168.0.0/16 but for 192.168.240.0/20 (a VPN, say)
    full = Host(networks=BUSY.networks + tuple(
        ("tun1", n) for n in IPv4Network("192.168.0.0/16").address_exclude(
            IPv4Network("192.168.240.0/20"))))
    with pytest.raises(AllocationError) as e:
        allocate(lab, 20, full)
    msg = str(e.value)
    assert "20 copies of lab engine-lab need 20 free /24" in msg and "only 16 are free" in msg
    assert "set copies to at most 16" in msg
    assert len(allocate(lab, 16, full).copies) == 16    # the advice holds
    kept = {3: IPv4Network("192.168.250.0/24")}          # a kept subnet is one of the free
    with pytest.raises(AllocationError, match="only 16 are free"):
        allocate(lab, 20, full, keep=kept)
    none = Host(networks=(("tun1", IPv4Network("192.168.0.0/16")),))
    with pytest.raises(AllocationError, match="only 0 are free"):
        allocate(lab, 1, none)


# ---- the lab file's copies ----

def test_copies_key_default_and_value(lab, lab_with):
    assert lab.copies == 1
    lab3 = lab_with(("copies: 1", "copies: 3"))
    assert lab3.copies == 3 and len(allocate(lab3).copies) == 3


@pytest.mark.parametrize("value, message", [
    ("0", "copies (line 29): must be at least 1 (got 0)"),
    (str(MAX_COPIES + 1), f"copies (line 29): must be at most {MAX_COPIES} (got {MAX_COPIES + 1})"),
    ("'3'", "copies (line 29): expected a whole number, got '3' (a string)"),
    ("yes", "copies (line 29): expected a whole number, got true (a boolean)"),
])
def test_copies_key_errors(lab_with, value, message):
    with pytest.raises(ConfigError) as e:
        lab_with(("copies: 1 ", f"copies: {value} "))
    assert [str(p) for p in e.value.problems] == [message]


def test_copies_need_libvirt(lab_with):
    with pytest.raises(ConfigError) as e:
        lab_with(("copies: 1", "copies: 2"), ("provider: auto", "provider: virtualbox"))
    (p,) = e.value.problems
    assert p.path == "copies" and "need the libvirt provider" in p.message
    assert lab_with(("provider: auto", "provider: virtualbox")).copies == 1
