"""`invoke doctor`: each host check with real inputs (files, command output captured on or read from
this host) and each fix message."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from k8slab import doctor
from k8slab.allocate import copy_names
from k8slab.doctor import (FAIL, PASS, WARN, Finding, blocking, check_box, check_cpus, check_disk,
                           check_libvirt, check_memory, check_subnet_clash, check_vagrant,
                           check_vbox_networks, check_virtualbox, host_networks, lab_bridges,
                           parse_box_list, parse_vbox_networks_conf, print_findings)
from k8slab.errors import LabError

REPO = Path(__file__).resolve().parents[3]
CAPTURED = REPO / "tests" / "captured"
QEMU_FIX = "set libvirt.driver: qemu in lab.yaml (plain emulation, slow)"


def captured(name: str) -> str:
    return (CAPTURED / name).read_text()


def moved_lab(lab_with, third_octet: int):
    """The engine's lab with private_network and the node IPs moved to 192.168.<n>.0/24."""
    return lab_with(("192.168.0.", f"192.168.{third_octet}."))


# ---- vagrant ----

def test_vagrant_real_version_on_this_host():
    if not shutil.which("vagrant"):
        pytest.skip("vagrant is not installed here")
    out = subprocess.run(["vagrant", "--version"], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, VAGRANT_CHECKPOINT_DISABLE="1")).stdout
    f = check_vagrant(out)
    assert f.status == PASS and f.detail.startswith("Vagrant ") and f.fix == ""


def test_vagrant_missing_and_garbled():
    f = check_vagrant(None)
    assert f.status == FAIL and "not installed" in f.detail
    assert f.fix == ("install Vagrant: ./setup.sh on Debian/Ubuntu, otherwise "
                     "https://developer.hashicorp.com/vagrant/install")
    assert check_vagrant("command not found\n").status == FAIL


# ---- libvirt ----

def by_check(findings):
    return {f.check: f for f in findings}


def test_libvirt_all_good():
    fs = check_libvirt(True, True, True, "kvm")
    assert [f.status for f in fs] == [PASS, PASS, PASS]


def test_libvirt_daemon_and_plugin_missing_fixes():
    fs = by_check(check_libvirt(False, False, True, "kvm"))
    assert fs["libvirt daemon"].status == FAIL
    assert "sudo systemctl enable --now libvirtd" in fs["libvirt daemon"].fix
    assert fs["vagrant-libvirt"].status == FAIL
    assert "vagrant plugin install vagrant-libvirt" in fs["vagrant-libvirt"].fix
    fs = by_check(check_libvirt(True, True, True, "kvm", socket_accessible=False))
    assert fs["libvirt daemon"].status == FAIL
    assert fs["libvirt daemon"].fix.startswith("sudo usermod -aG libvirt $USER")


def test_kvm_missing_with_driver_kvm_fails_with_the_qemu_fix():
    f = by_check(check_libvirt(True, True, False, "kvm", kvm_present=False))["kvm"]
    assert f.status == FAIL and f.fix == QEMU_FIX


def test_kvm_present_but_not_ours_warns():
    f = by_check(check_libvirt(True, True, False, "kvm", kvm_present=True))["kvm"]
    assert f.status == WARN and QEMU_FIX in f.fix and "usermod -aG kvm" in f.fix


def test_driver_qemu_with_kvm_warns_kvm_would_be_faster():
    f = by_check(check_libvirt(True, True, True, "qemu"))["kvm"]
    assert f.status == WARN and "kvm would be much faster" in f.detail
    assert f.fix == "set libvirt.driver: kvm in lab.yaml"
    f = by_check(check_libvirt(True, True, False, "qemu"))["kvm"]
    assert f.status == WARN and "plain emulation" in f.detail


def test_kvm_state_of_real_device_paths(tmp_path):
    assert doctor.kvm_state(str(tmp_path / "kvm")) == (False, False)   # no such device
    assert doctor.kvm_state("/dev/null") == (True, True)   # crw-rw-rw-: anyone opens it read-write


@pytest.mark.parametrize("mode, expected", [
    (0o666, (True, True)),    # crw-rw-rw-: /dev/kvm as some distributions ship it
    (0o660, (True, False)),   # crw-rw---- root kvm (this host's /dev/kvm), user not in group kvm
    (0o644, (True, False)),   # readable only: KVM needs read-write
], ids=["0666", "0660", "0644"])
def test_kvm_state_for_a_user_outside_the_devices_group(tmp_path, monkeypatch, mode, expected):
    # root (the test machines' user) may open any file, so the permission is decided here as the
    # kernel would for an ordinary user outside the file's owner and group: from its "other" bits.
    dev = tmp_path / "kvm"
    dev.touch()
    dev.chmod(mode)

    def access_as_other(path, want):
        other = os.stat(path).st_mode & 0o7
        return all(other & bit for flag, bit in ((os.R_OK, 4), (os.W_OK, 2)) if want & flag)

    monkeypatch.setattr(doctor.probes.os, "access", access_as_other)
    assert doctor.kvm_state(str(dev)) == expected


# ---- VirtualBox ----

def test_virtualbox_versions():
    assert check_virtualbox("7.0.10_Ubuntur158379\n").detail == "VirtualBox 7.0.10"
    assert check_virtualbox("6.1.38r153438\n").status == PASS
    f = check_virtualbox(None)
    assert f.status == FAIL and f.fix.startswith("install VirtualBox") \
        and "set provider: libvirt in lab.yaml" in f.fix
    assert check_virtualbox("WARNING: The vboxdrv kernel module is not loaded.\n").status == FAIL


def test_networks_conf_real_file(tmp_path):
    conf = tmp_path / "networks.conf"
    # VirtualBox's documented format: lines starting with '*', ranges separated by spaces
    conf.write_text("# host-only ranges\n* 10.0.0.0/8 192.168.0.0/16\n* 2001::/64\n")
    assert parse_vbox_networks_conf(conf.read_text()) == [IPv4Network("10.0.0.0/8"),
                                                          IPv4Network("192.168.0.0/16")]
    f = check_vbox_networks("7.0.10r158379", conf.read_text(), IPv4Network("192.168.0.0/24"),
                            "Linux", str(conf))
    assert f.status == PASS and str(conf) in f.detail


def test_networks_conf_missing_line_fix(tmp_path):
    conf = tmp_path / "networks.conf"
    conf.write_text("* 10.0.0.0/8\n")
    f = check_vbox_networks("6.1.38r153438", conf.read_text(), IPv4Network("192.168.0.0/24"),
                            "Linux", str(conf))
    assert f.status == FAIL and "10.0.0.0/8" in f.detail
    assert f.fix.startswith(f"add the line `* 192.168.0.0/24` to {conf}")
    assert f"echo '* 192.168.0.0/24' | sudo tee -a {conf}" in f.fix


def test_networks_conf_absent_allows_only_192_168_56():
    f = check_vbox_networks("7.0.10", None, IPv4Network("192.168.0.0/24"), "Darwin")
    assert f.status == FAIL
    assert "add the line `* 192.168.0.0/24` to /etc/vbox/networks.conf" in f.fix
    assert "192.168.56.0/21" in f.fix
    assert check_vbox_networks("7.0.10", None, IPv4Network("192.168.58.0/24")).status == PASS


def test_networks_conf_not_needed_before_6_1_28_or_on_windows():
    net = IPv4Network("192.168.0.0/24")
    assert check_vbox_networks("6.1.26r145957", None, net, "Linux").status == PASS
    assert check_vbox_networks("7.0.10", None, net, "Windows").status == PASS


# ---- the host's networks ----

def test_host_networks_of_this_host_read_live():
    if not shutil.which("ip"):
        pytest.skip("iproute2 is not installed here")
    addr = subprocess.run(["ip", "-j", "-4", "addr", "show"], capture_output=True, text=True,
                          timeout=10, check=True).stdout
    route = subprocess.run(["ip", "-j", "-4", "route", "show"], capture_output=True, text=True,
                           timeout=10, check=True).stdout
    nets = host_networks(addr, route)
    assert ("lo", IPv4Network("127.0.0.0/8")) in nets
    assert all(isinstance(n, IPv4Network) and i for i, n in nets)


def test_host_networks_from_the_captured_host_json():
    nets = host_networks(captured("ip-j-addr-host.json"), captured("ip-j-route-host.json"))
    assert ("lo", IPv4Network("127.0.0.0/8")) in nets
    # the route list of this host holds a default route: skipped, never 0.0.0.0/0
    assert IPv4Network("0.0.0.0/0") not in [n for _, n in nets]
    routes = json.loads(captured("ip-j-route-host.json"))
    for r in routes:
        if r.get("dst") not in (None, "default") and r.get("dev"):
            assert (r["dev"], IPv4Network(r["dst"], strict=False)) in nets


def test_the_lab_on_this_captured_host_is_free(lab):
    nets = host_networks(captured("ip-j-addr-host.json"), captured("ip-j-route-host.json"))
    fs = check_subnet_clash({"private_network": lab.private_network,
                             "libvirt.management_network": lab.libvirt.management_network}, nets)
    assert [f.status for f in fs] == [PASS, PASS]


def test_the_lab_clashes_with_a_home_lan_on_wlan0(lab):
    # ip-j-*-lan-crafted.json are CRAFTED: this host's capture plus a Wi-Fi interface wlan0 on
    # 192.168.0.0/24 (address, kernel route, DHCP default route, a static route to 192.168.1.0/24)
    nets = host_networks(captured("ip-j-addr-lan-crafted.json"),
                         captured("ip-j-route-lan-crafted.json"))
    fs = check_subnet_clash({"private_network": lab.private_network}, nets,
                            avoid=[lab.libvirt.management_network],
                            node_ips=[n.ip for n in lab.nodes])
    (f,) = fs
    assert f.status == FAIL
    assert "wlan0 (192.168.0.0/24)" in f.detail and "common home and classroom LAN" in f.detail
    # 192.168.1.0/24 is routed via wlan0, so the first free /24 is 192.168.2.0/24
    assert f.fix == ("change private_network and the node IPs in lab.yaml, e.g. to "
                     "192.168.2.0/24 (node IPs 192.168.2.15, 192.168.2.16, 192.168.2.17)")


def test_crafted_lab_overlapping_a_routed_network(lab_with):
    lab = moved_lab(lab_with, 1)
    assert lab.private_network == IPv4Network("192.168.1.0/24")
    nets = host_networks(captured("ip-j-addr-lan-crafted.json"),
                         captured("ip-j-route-lan-crafted.json"))
    (f,) = check_subnet_clash({"private_network": lab.private_network}, nets,
                              node_ips=[n.ip for n in lab.nodes])
    assert f.status == FAIL and "wlan0 (192.168.1.0/24)" in f.detail
    assert "e.g. to 192.168.2.0/24" in f.fix
    lab = moved_lab(lab_with, 5)
    (f,) = check_subnet_clash({"private_network": lab.private_network}, nets)
    assert f.status == PASS


def test_management_network_clash_fix(tmp_path):
    nets = [("docker0", IPv4Network("192.168.121.0/24"))]
    (f,) = check_subnet_clash({"libvirt.management_network": IPv4Network("192.168.121.0/24")},
                              nets, avoid=[IPv4Network("192.168.0.0/24")])
    assert f.status == FAIL and "docker0" in f.detail
    assert f.fix == "change libvirt.management_network in lab.yaml, e.g. to 192.168.1.0/24"


def test_two_fixes_on_a_busy_host_name_different_free_subnets(lab):
    # a real busy host (tests/captured/README.md): the LAN on wlan0 holds the lab's
    # 192.168.0.0/24 and another Vagrant project's virbr1 vagrant-libvirt's 192.168.121.0/24;
    # both fixes used to suggest the first free /24, the same one
    nets = host_networks(captured("ip-j-addr-busy.json"), captured("ip-j-route-busy.json"))
    avoid = [*(net for _, net in lab.reserved_networks()), lab.libvirt.management_network]
    fs = check_subnet_clash({"private_network": lab.private_network,
                             "libvirt.management_network": lab.libvirt.management_network},
                            nets, avoid=avoid, node_ips=[n.ip for n in lab.nodes])
    assert [f.status for f in fs] == [FAIL, FAIL]
    suggested = [IPv4Network(re.search(r"e\.g\. to (\S+/24)", f.fix).group(1)) for f in fs]
    assert suggested == [IPv4Network("192.168.3.0/24"), IPv4Network("192.168.8.0/24")]
    assert not suggested[0].overlaps(suggested[1])
    for s in suggested:
        assert not any(s.overlaps(n) for _, n in nets), s
        assert not any(s.overlaps(r) for r in avoid + [lab.private_network]), s
    assert "(node IPs 192.168.3.15, 192.168.3.16, 192.168.3.17)" in fs[0].fix


LIBVIRT_NETWORK_XML = """\
<!--
WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE
OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:
  virsh net-edit {name}
or other application using the libvirt API.
-->

<network ipv6='yes'>
  <name>{name}</name>
  <uuid>e65a93d2-7c6c-41c6-969c-1958dda9edbc</uuid>
  <bridge name='{bridge}' stp='on' delay='0'/>
  <mac address='52:54:00:36:28:b6'/>
  <ip address='192.168.0.1' netmask='255.255.255.0'>
  </ip>
</network>
"""


def test_the_labs_own_libvirt_bridge_is_no_clash(tmp_path):
    # a network file as libvirt writes it (copied from /etc/libvirt/qemu/networks on this host)
    (tmp_path / "k8s-lab-private.xml").write_text(
        LIBVIRT_NETWORK_XML.format(name="k8s-lab-private", bridge="virbr2"))
    (tmp_path / "k8s-lab2-private.xml").write_text(
        LIBVIRT_NETWORK_XML.format(name="k8s-lab2-private", bridge="virbr3"))
    assert lab_bridges(copy_names("k8s-lab", 1, 1), [tmp_path]) == ["virbr2"]
    nets = [("virbr2", IPv4Network("192.168.0.0/24"))]
    net = {"private_network": IPv4Network("192.168.0.0/24")}
    assert check_subnet_clash(net, nets, ignore=["virbr2"])[0].status == PASS
    # another lab's bridge on the same subnet is a clash, named
    f = check_subnet_clash(net, [("virbr3", IPv4Network("192.168.0.0/24"))])[0]
    assert f.status == FAIL and "virbr3" in f.detail


# ---- memory, disk, CPUs ----

def test_memory_real_proc_meminfo():
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        pytest.skip("no /proc/meminfo")
    text = meminfo.read_text()
    avail = doctor.mem_available_mib(text)
    assert avail and avail > 0
    assert check_memory(text, 256, headroom_mib=0).status in (PASS, WARN)
    f = check_memory(text, avail + 10_000)
    assert f.status == FAIL


MEMINFO_SMALL = """\
MemTotal:        2030596 kB
MemFree:          151836 kB
MemAvailable:    2097152 kB
Buffers:           40160 kB
Cached:           795136 kB
"""  # crafted: 2048 MiB available


def test_memory_crafted_small_fix_messages():
    f = check_memory(MEMINFO_SMALL, 3072)
    assert f.status == FAIL
    assert f.detail == "2048 MiB available, the VMs need 3072 MiB (+ 1024 MiB headroom)"
    assert f.fix == ("free 2048 MiB (close programs, stop other VMs) or lower defaults.memory "
                     "(or nodes[].memory) in lab.yaml")
    f = check_memory(MEMINFO_SMALL, 1536)
    assert f.status == WARN and f.fix.startswith("free 512 MiB or lower defaults.memory")
    assert check_memory(MEMINFO_SMALL, 1024).status == PASS
    assert check_memory("", 1024).status == WARN


def test_disk_real_statvfs(tmp_path):
    st = os.statvfs(tmp_path)
    free = st.f_bavail * st.f_frsize
    assert doctor.free_bytes(tmp_path / "not" / "yet") == pytest.approx(free, rel=0.05)
    assert check_disk(free, 1, tmp_path).status == PASS
    f = check_disk(free, free + 10 * doctor.GIB, tmp_path)
    assert f.status == FAIL and f.fix.startswith("free ") and str(tmp_path) in f.fix
    assert "invoke destroy" in f.fix
    assert doctor.nearest_existing(tmp_path / "a" / "b") == tmp_path
    assert check_disk(None, 1, tmp_path).status == WARN


def test_cpus(lab, lab_with):
    # the engine's lab: three VMs of defaults.cpus 1
    assert check_cpus(4, lab.nodes) == Finding("cpus", PASS, "3 vCPUs on 4 host CPU(s)")
    f = check_cpus(2, lab.nodes)
    assert f.status == WARN and "3 vCPUs on 2 host CPU(s)" in f.detail
    big = lab_with(("roles: [server]", "roles: [server]\n    cpus: 4"))
    f = check_cpus(2, big.nodes)
    assert f.status == FAIL and "k8s-master (4)" in f.detail
    assert f.fix == "set cpus to at most 2 for k8s-master in lab.yaml (nodes[].cpus or defaults.cpus)"
    assert check_cpus(os.cpu_count(), lab.nodes).status in (PASS, WARN)


# ---- the box ----

def test_box_list_captured_on_this_host():
    boxes = parse_box_list(captured("vagrant-box-list-machine-readable.txt"))
    assert boxes == [("k8slabt/debian12-610cb113b34e", "libvirt", "0")]
    assert check_box("k8slabt/debian12-610cb113b34e", "libvirt", boxes) == Finding(
        "box", PASS, "k8slabt/debian12-610cb113b34e (libvirt, version 0) is present locally")


def test_box_to_download_warns_with_the_classroom_fix():
    boxes = parse_box_list(captured("vagrant-box-list-machine-readable.txt"))
    f = check_box("centos/7", "libvirt", boxes, size_mib=500)
    assert f.status == WARN and "downloaded on first up (about 500 MiB) if" in f.detail
    assert "downloaded on first up if" in check_box("centos/7", "libvirt", boxes).detail   # size not known
    assert f.fix == "in a classroom, `vagrant box add centos/7 --provider libvirt` it once beforehand"
    f = check_box("k8slabt/debian12-610cb113b34e", "virtualbox", boxes)
    assert f.status == WARN and "present only for libvirt" in f.detail


def test_a_kept_box_file_is_where_box_url_says(tmp_path):
    box = tmp_path / "centos7.box"
    f = check_box("centos/7", "libvirt", [], str(box), "sha256:" + "0" * 64)
    assert f.status == FAIL and f"box_url {box} is no file" in f.detail
    assert f.fix == "put the .box file there, or correct box_url in lab.yaml"
    box.write_bytes(b"")
    f = check_box("centos/7", "libvirt", [], str(box), "sha256:" + "0" * 64)
    assert f == Finding("box", PASS, f"centos/7 is not present for libvirt: the first up adds it "
                                     f"from {box} and checks its sha256")
    f = check_box("centos/7", "libvirt", [], "https://boxes.school.example/centos7.box")
    assert f.status == PASS and f.detail.endswith("(no box_checksum: not checked)")


def test_box_unknown_local_name_fails():
    f = check_box("my-centos", "libvirt", [])
    assert f.status == FAIL
    assert f.fix.startswith("vagrant box add --name my-centos --provider libvirt ")


# CRAFTED: the capture above followed by a second box, in the same machine-readable lines.
TWO_BOXES = captured("vagrant-box-list-machine-readable.txt") + """\
1795719176,,ui,info,centos/7 (virtualbox%!(VAGRANT_COMMA) 2004.01)
1795719176,,box-name,centos/7
1795719176,,box-provider,virtualbox
1795719176,,box-version,2004.01
"""


def test_two_boxes_listed_each_for_its_own_provider(lab_with):
    lab = lab_with(("box: null", "box: centos/7"))
    boxes = parse_box_list(TWO_BOXES)
    assert boxes == [("k8slabt/debian12-610cb113b34e", "libvirt", "0"),
                     ("centos/7", "virtualbox", "2004.01")]
    assert lab.box == "centos/7"
    assert check_box(lab.box, "virtualbox", boxes) == Finding(
        "box", PASS, "centos/7 (virtualbox, version 2004.01) is present locally")
    # the size is the lab's to know (the tutorial's centos/7: 500 MiB); how doctor asks the lab
    # for it: test_the_box_size_doctor_shows_is_the_labs
    assert check_box(lab.box, "libvirt", boxes, size_mib=500) == Finding(
        "box", WARN, "centos/7 is not present for libvirt (present only for virtualbox): it will "
        "be downloaded on first up (about 500 MiB) if Vagrant Cloud has it for libvirt",
        "in a classroom, `vagrant box add centos/7 --provider libvirt` it once beforehand")


# ---- the whole run ----

def test_the_box_size_doctor_shows_is_the_labs(engine_lab, monkeypatch):
    """doctor knows no box's size: it asks the lab (Lab.box_size_mib; the tutorial's platforms
    know theirs: tests/unit/tutorial/test_doctor.py), and shows none when the lab does not know it."""
    real = doctor.run.probes.run
    listing = captured("vagrant-box-list-machine-readable.txt")   # neither small/box nor centos/7
    monkeypatch.setattr(doctor.run.probes, "run", lambda argv, *a: listing
                        if argv[:3] == ["vagrant", "box", "list"] else real(argv, *a))

    def box(lab):
        return next(f.detail for f in doctor.run_doctor(lab, "libvirt") if f.check == "box")
    assert "small/box is not present for libvirt: it will be downloaded on first up (about 321 MiB) " \
           "if Vagrant Cloud" in box(engine_lab)
    engine_lab.box = "tiny/box"
    assert "tiny/box is not present for libvirt: it will be downloaded on first up if" in box(engine_lab)


def test_blocking_and_print(capsys):
    from rich.console import Console
    fs = [Finding("a", PASS, "fine"), Finding("b", WARN, "meh", "do x"),
          Finding("c", FAIL, "bad [1]", "do y")]
    assert blocking(fs) == [fs[2]]
    console = Console(width=200, force_terminal=False, highlight=False)
    print_findings(fs, console)
    out = capsys.readouterr().out
    assert "bad [1]" in out and "c: fix: do y" in out and "b: fix: do x" in out
    assert "a: fix" not in out


def test_run_doctor_on_this_host_never_raises(lab):
    for provider in ("libvirt", "virtualbox"):
        fs = doctor.run_doctor(lab, provider)
        checks = [f.check for f in fs]
        assert "vagrant" in checks and "memory" in checks and "disk" in checks
        assert all(f.status in (PASS, WARN, FAIL) for f in fs)
        assert all(f.fix for f in fs if f.status != PASS)
        if shutil.which("ip"):
            assert "private_network free" in checks


def test_the_playbooks_preflight_is_run_after_the_hosts_resources(engine_lab):
    """doctor names no tutorial's stage or step: a playbook's preflight(lab) adds its own host
    checks (the tutorial's: gcc for its pause image), after memory, disk and CPUs."""
    from k8slab.provisioning import Playbook
    asked = []
    own = Playbook(steps=lambda *a: [], scripts=None,
                   preflight=lambda lab: asked.append(lab) or [Finding("own tool", FAIL, "none", "get it")])
    fs = doctor.run_doctor(engine_lab, "libvirt", playbook=own)
    checks = [f.check for f in fs]
    assert asked == [engine_lab] and checks.index("own tool") == checks.index("cpus") + 1, checks
    assert "own tool" not in [f.check for f in doctor.run_doctor(engine_lab, "libvirt")]
    assert "pause image build" not in checks


def test_preflight_raises_on_a_failure(lab, monkeypatch):
    monkeypatch.setattr(doctor.run, "run_doctor",
                        lambda lab, provider, copies=None, playbook=None: [Finding("vagrant", FAIL, "missing", "install")])
    monkeypatch.setattr(doctor.run, "print_findings", lambda fs: None)
    with pytest.raises(LabError, match="1 host check"):
        doctor.preflight(lab, "libvirt")


def test_doctor_counts_every_copy_of_a_class(lab_with):
    # three copies of the engine lab's three 1024 MiB VMs: memory and disk for nine VMs, and one
    # subnet check per copy's own management network (the private subnet is shared by design)
    from k8slab import copies
    klass = lab_with(("copies: 1", "copies: 3"), ("provider: auto", "provider: libvirt"))
    made = copies.expand(klass)
    fs = {f.check: f for f in doctor.run_doctor(klass, "libvirt", made)}
    assert "9216" in fs["memory"].detail, fs["memory"].detail
    assert "27.0 GiB" in fs["disk"].detail, fs["disk"].detail
    if shutil.which("ip"):
        for c in made:
            assert f"{c.name}'s management network free" in fs, list(fs)
        assert "libvirt.management_network free" not in fs
    one = {f.check: f for f in doctor.run_doctor(lab_with(), "libvirt")}
    assert "3072" in one["memory"].detail, one["memory"].detail


def test_gateway_needs_sshd_and_a_free_port():
    from k8slab.doctor.checks import check_gateway
    ok = check_gateway("/usr/sbin/sshd", 2222, "0.0.0.0", None, None)
    assert [f.status for f in ok] == ["pass", "pass"]
    missing, taken = check_gateway(None, 2222, "0.0.0.0", "Address already in use", None)
    assert missing.status == "fail" and "apt-get install openssh-server" in missing.fix
    assert taken.status == "fail" and "Address already in use" in taken.detail and "gateway.port" in taken.fix
    ours = check_gateway("/usr/sbin/sshd", 2222, "0.0.0.0", None, 4242)[1]
    assert ours.status == "pass" and "pid 4242" in ours.detail


def test_a_port_someone_listens_on_is_found_taken():
    import socket
    from k8slab.doctor.probes import bind_error
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    try:
        assert "in use" in bind_error("127.0.0.1", s.getsockname()[1])
    finally:
        s.close()
    assert bind_error("127.0.0.1", 0) is None
