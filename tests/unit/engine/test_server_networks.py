"""Doctor's subnet checks on a remote lab server (k8slab/doctor/server_networks.py), from what
servers.READ prints there, parsed by servers.parse_read.

The server's output is put together part by part, as READ prints it (each part, then a MARK
line), from real captures (tests/captured/README.md): this machine's /proc/meminfo and KSM files,
libvirtd 9.0's `virsh nodeinfo` and `pool-info default --bytes`, the busy host's `ip -j -4 addr
show` and `ip -j -4 route show` (wlan0 192.168.0.23/24 with a route to 192.168.1.0/24, bridges
virbr0-2 on 192.168.122/121/2.0/24), and READ's own virsh part run against libvirt's test driver
with the busy host's bridges named as libvirt networks (before the class, and with copy 2's
networks there). Nothing here connects to a server."""
from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

from k8slab import allocate, copies
from k8slab.allocate import capacity
from k8slab.config.schema import Server
from k8slab.doctor import server_networks
from k8slab.doctor.finding import FAIL, PASS, WARN
from k8slab.doctor.networks import host_networks
from k8slab.doctor.servers import KSM_FILES, MARK, ServerRead, parse_read, read_server

CAPTURED = Path(__file__).resolve().parents[2] / "captured"

# `df -B1 --output=avail /var/lib/libvirt/images | tail -1; echo /var/lib/libvirt/images` on
# the development machine (READ's df part; a right-aligned column)
DF = "78842163200\n/var/lib/libvirt/images\n"
# `env PATH=/nonexistent /bin/sh -c 'ip -j -4 addr show 2>&1'` (dash, Debian 12): a server
# without iproute2
IP_NOT_FOUND = "/bin/sh: 1: ip: not found\n"


def captured(name: str) -> str:
    return (CAPTURED / name).read_text()


def ksm_part() -> str:
    """READ's KSM part: `printf 'NAME='; cat /sys/kernel/mm/ksm/NAME` for each file."""
    return "".join(f"{f}={captured('sys-kernel-mm-ksm-off/' + f)}" for f in KSM_FILES)


def read_output(addr=None, route=None, bridges="virsh-test-driver-net-info-with-copy.txt",
                running="") -> str:
    """What READ prints on a server: its parts in order, each followed by a MARK line but the last."""
    parts = [captured("proc-meminfo-host.txt"), captured("virsh-nodeinfo.txt"),
             captured("virsh-pool-info-bytes.txt"), ksm_part(), "2\n", DF,
             captured("ip-j-addr-busy.json") if addr is None else addr,
             captured("ip-j-route-busy.json") if route is None else route,
             captured(bridges) if bridges else "", running]
    return "".join(p + MARK + "\n" for p in parts[:-1]) + parts[-1]


def class_lab(lab_from_text, copies_n: int = 2, servers: str = None):
    """A class whose private network is the busy server's virbr2 subnet (192.168.2.0/24)."""
    servers = servers or ("  - {name: here, host: local}\n"
                          "  - {name: lab2, host: lab2.school.example, user: root}\n")
    return lab_from_text("name: engine-lab\nplatform: small\nprovider: libvirt\n"
                         f"copies: {copies_n}\nprivate_network: 192.168.2.0/24\nnodes:\n"
                         "  - {name: k8s-master, ip: 192.168.2.15, roles: [server]}\n"
                         "  - {name: k8s-node1, ip: 192.168.2.16, roles: [worker]}\n"
                         f"servers:\n{servers}")


def copy_of(lab, index: int, management: str):
    """Copy index of lab with the management subnet given (as class.json would keep it)."""
    return copies.copy_lab(lab, allocate.Copy(
        index, "x", "qemu:///system", allocate.copy_names(lab.name, index, lab.copies),
        IPv4Network(management), lab.private_network, allocate.Resources()))


def by_check(findings) -> dict:
    return {f.check: f for f in findings}


# ---- READ's output ----

def test_reads_combined_output_gives_the_same_capacity_as_before():
    read = parse_read(read_output())
    files = {f: captured("sys-kernel-mm-ksm-off/" + f) for f in KSM_FILES}
    alone = capacity.capacity(captured("proc-meminfo-host.txt"), captured("virsh-nodeinfo.txt"),
                              captured("virsh-pool-info-bytes.txt"), files, 78842163200,
                              "/var/lib/libvirt/images")
    assert isinstance(read, capacity.Capacity)   # placement takes it as it is
    assert capacity.Capacity(**{k: getattr(read, k) for k in capacity.Capacity.__dataclass_fields__}) == alone
    assert read.mem_available_mib == 24068964 // 1024 and read.cpus == 2
    assert read.networks == tuple(host_networks(captured("ip-j-addr-busy.json"),
                                                captured("ip-j-route-busy.json")))
    assert ("wlan0", IPv4Network("192.168.1.0/24")) in read.networks
    assert read.bridges == (("default", "virbr0"), ("engine-lab-2-mgmt", "virbr1"),
                            ("engine-lab-2-private", "virbr2"))


def test_a_server_without_libvirt_networks_yet_parses():
    read = parse_read(read_output(bridges=""))
    assert read.bridges == () and read.networks and read.networks_unread == ""


def test_a_server_without_ip_has_its_networks_unread_with_the_reason():
    read = parse_read(read_output(addr=IP_NOT_FOUND, route=IP_NOT_FOUND))
    assert read.networks is None and read.networks_unread == "/bin/sh: 1: ip: not found"
    assert read.cpus == 2   # the rest is read as before


def test_this_host_is_read_with_its_networks():
    read = read_server(None, Server(name="local", host="local"))
    assert isinstance(read, ServerRead) and read.networks_unread == ""
    assert ("lo", IPv4Network("127.0.0.0/8")) in read.networks


# ---- the class's subnets on a server ----

def test_a_route_on_the_server_over_a_copys_management_network_fails_naming_them(lab_from_text):
    lab = class_lab(lab_from_text)
    one, two = copy_of(lab, 1, "192.168.131.0/24"), copy_of(lab, 2, "192.168.1.0/24")
    found = server_networks.findings(lab, [one, two], {"lab2": parse_read(read_output())},
                                     {1: "here", 2: "lab2"})
    got = by_check(found)
    assert set(got) == {"server lab2: private_network free",
                        "server lab2: engine-lab-2's management network free"}   # copy 1 is here's
    f = got["server lab2: engine-lab-2's management network free"]
    assert f.status == FAIL
    assert f.detail == ("engine-lab-2's management network 192.168.1.0/24 overlaps server lab2's "
                        "wlan0 (192.168.1.0/24)")
    # not in lab.yaml: picked on this host, kept in class.json, where another can be written
    assert f.fix.startswith("free 192.168.1.0/24 on lab2, or give copy 2 another subnet: in ")
    assert "class.json, copies.\"2\".management_network = \"192.168." in f.fix
    # the copy's private network on its own bridge (virbr2 is engine-lab-2-private there)
    assert got["server lab2: private_network free"].status == PASS
    assert got["server lab2: private_network free"].detail == \
        "192.168.2.0/24 overlaps no network of server lab2"


def test_the_classs_own_bridges_on_the_server_are_no_clash(lab_from_text):
    lab = class_lab(lab_from_text)
    two = copy_of(lab, 2, "192.168.121.0/24")
    found = server_networks.findings(lab, [two], {"lab2": parse_read(read_output())}, {2: "lab2"})
    assert [f.status for f in found] == [PASS, PASS]
    # the same subnets on bridges of other libvirt networks: clashes, each bridge named
    before = parse_read(read_output(bridges="virsh-test-driver-net-info-before.txt"))
    got = by_check(server_networks.findings(lab, [two], {"lab2": before}, {2: "lab2"}))
    mgmt = got["server lab2: engine-lab-2's management network free"]
    assert mgmt.status == FAIL and "192.168.121.0/24 overlaps server lab2's virbr1 (192.168.121.0/24)" in mgmt.detail
    private = got["server lab2: private_network free"]
    assert private.status == FAIL and "overlaps server lab2's virbr2 (192.168.2.0/24)" in private.detail
    assert private.fix.startswith("change private_network and the node IPs in lab.yaml, e.g. to ")


def test_a_lab_of_one_copy_on_a_server_names_its_lab_file_key(lab_from_text):
    lab = class_lab(lab_from_text, 1, "  - {name: lab2, host: lab2.school.example}\n")
    lab = lab.model_copy(update={"libvirt": lab.libvirt.model_copy(
        update={"management_network": IPv4Network("192.168.122.0/24")})})
    got = by_check(server_networks.findings(lab, [lab], {"lab2": parse_read(read_output())}, {1: "lab2"}))
    f = got["server lab2: libvirt.management_network free"]
    assert f.status == FAIL and "virbr0 (192.168.122.0/24)" in f.detail   # libvirt's default network
    assert f.fix.startswith("change libvirt.management_network in lab.yaml, e.g. to 192.168.")


def test_an_unreached_server_has_no_subnet_findings(lab_from_text):
    lab = class_lab(lab_from_text)
    two = copy_of(lab, 2, "192.168.1.0/24")
    why = "ssh: connect to host lab2.school.example port 22: Connection refused"
    assert server_networks.findings(lab, [two], {"lab2": why}, {2: "lab2"}) == []
    assert server_networks.findings(lab, [two], {}, {2: "lab2"}) == []


def test_this_host_and_copies_placed_nowhere_are_not_checked_here(lab_from_text):
    lab = class_lab(lab_from_text)
    one, two = copy_of(lab, 1, "192.168.1.0/24"), copy_of(lab, 2, "192.168.1.0/24")
    reads = {"here": parse_read(read_output()), "lab2": parse_read(read_output())}
    # this host's subnets are run_doctor's; a copy that fits nowhere has no server yet
    assert server_networks.findings(lab, [one, two], reads, {1: "here"}) == []


def test_a_server_whose_networks_were_not_read_is_a_warning_naming_it(lab_from_text):
    lab = class_lab(lab_from_text)
    two = copy_of(lab, 2, "192.168.1.0/24")
    read = parse_read(read_output(addr=IP_NOT_FOUND, route=IP_NOT_FOUND))
    (f,) = server_networks.findings(lab, [two], {"lab2": read}, {2: "lab2"})
    assert f.status == WARN and f.check == "server lab2: networks"
    assert f.detail == ("root@lab2.school.example:22: cannot read its networks with `ip -j -4 "
                        "addr/route show`: /bin/sh: 1: ip: not found")
    assert "192.168.2.0/24, 192.168.1.0/24" in f.fix


def test_doctor_checks_the_copies_it_was_asked_about(lab_from_text):
    """--copy 1: copy 2 on lab2 is not checked (this host's checks take the selected copies too)."""
    lab = class_lab(lab_from_text)
    one = copy_of(lab, 1, "192.168.131.0/24")
    assert server_networks.findings(lab, [one], {"lab2": parse_read(read_output())},
                                    {1: "here", 2: "lab2"}) == []


# ---- how many more copies this host has room for (a lab without servers:) ----

def test_a_lab_on_this_host_alone_is_told_how_many_more_copies_fit(engine_lab):
    """This machine's MemAvailable (23504 MiB) less the 1 GiB reserve, over one copy of the
    engine lab (3 VMs of 1 GiB, QEMU's own 150 MiB each under KVM): 6 more; KSM off, as read."""
    from k8slab.doctor.servers import room_here
    f = room_here(engine_lab, parse_read(read_output()))
    assert f.status == PASS, f
    assert f.detail.startswith("6 more copies of this lab fit here (3.4 GiB memory each: its VMs "
                               "and QEMU's own; KSM off; k8s-lab never switches it on), bound by memory: "), f
    unread = room_here(engine_lab, "sh: 1: virsh: not found")
    assert unread.status == WARN and "not read: sh: 1: virsh: not found" in unread.detail


# ---- the domains running on a server ----

def test_the_running_domains_read_there_make_a_kept_copy_running(lab_from_text):
    """`virsh list --name --state-running` as libvirt's test driver prints it (its one domain
    "test", then an empty line); a kept copy runs when every VM of it is in that list."""
    from k8slab.commands.place import running
    assert parse_read(read_output(running=captured("virsh-test-driver-list-running.txt"))).running == {"test"}
    assert parse_read(read_output()).running == frozenset()      # none running, or no libvirtd
    lab = class_lab(lab_from_text)
    everyone = [copy_of(lab, 1, "192.168.121.0/24"), copy_of(lab, 2, "192.168.123.0/24")]
    names = everyone[1].names
    both = parse_read(read_output(running=f"{names.domain('k8s-master')}\n{names.domain('k8s-node1')}\n\n"))
    half = parse_read(read_output(running=f"{names.domain('k8s-master')}\n\n"))
    have = {1: "here", 2: "lab2"}
    assert running(everyone, have, {"here": "not reached", "lab2": both}) == [2]
    assert running(everyone, have, {"here": both, "lab2": half}) == []   # copy 1's VMs are not in it


# ---- up moves a new remote copy's management subnet off its server's networks ----

def test_up_gives_a_remote_copy_a_subnet_free_on_its_server(lab_from_text):
    """The busy server routes 192.168.4.0/22 over tun0: copy 2, placed there and not created,
    kept 192.168.5.0/24 (free on this host) and gets the next /24 free on every server read and
    on this host; class.json keeps it. Copy 1 (this host) is left alone."""
    from k8slab import classfile
    from k8slab.commands.place import free_on_their_servers
    lab = class_lab(lab_from_text)
    one, two = copy_of(lab, 1, "192.168.5.0/24"), copy_of(lab, 2, "192.168.5.0/24")
    one._server, two._server = "here", "lab2"
    busy = parse_read(read_output())
    assert free_on_their_servers(lab, [one, two], {"lab2": busy}) == [2]
    new = two.libvirt.management_network
    assert one.libvirt.management_network == IPv4Network("192.168.5.0/24")
    taken = [n for _, n in busy.networks] + [IPv4Network("192.168.5.0/24"), lab.private_network]
    assert new.prefixlen == 24 and not any(new.overlaps(n) for n in taken), new
    assert classfile.read(lab)["copies"]["2"]["management_network"] == str(new)
    # again: nothing clashes any more, nothing moves
    assert free_on_their_servers(lab, [one, two], {"lab2": busy}) == []
