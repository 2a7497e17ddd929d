"""`invoke doctor`: is this host ready for the lab? Each check says pass / warn / fail and, when not
pass, the exact fix.

Every check is a small function that takes its inputs explicitly (version text, file text, JSON
from `ip -j`, numbers), so tests feed it real inputs; `run_doctor` gathers those inputs from the
host (files, `os.statvfs`, short subprocess calls) and never raises for a missing tool: a missing
tool is a finding. `blocking` returns the failures, which make `invoke up` stop before it touches
anything (`preflight`).
"""
from __future__ import annotations

import ipaddress
import json
import os
import platform as _platform
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path
from typing import Iterable, Optional

from .errors import LabError
from .providers import LIBVIRT_SOCKETS, vagrant_libvirt_installed
from .tutorial import management_network_name, private_network_name

PASS, WARN, FAIL = "pass", "warn", "fail"

MIB = 1024 * 1024
GIB = 1024 * MIB
HEADROOM_MIB = 1024          # for the host itself, on top of the VMs' memory
DISK_PER_VM = 3 * GIB        # a VM's disk image grows to about this during the tutorial
VBOX_NETWORKS_CONF = "/etc/vbox/networks.conf"
VBOX_DEFAULT_HOSTONLY = IPv4Network("192.168.56.0/21")   # allowed without networks.conf
VBOX_RESTRICTED_SINCE = (6, 1, 28)
LIBVIRT_IMAGES = "/var/lib/libvirt/images"
LIBVIRT_NETWORK_DIRS = ("/run/libvirt/network", "/var/run/libvirt/network",
                        "/etc/libvirt/qemu/networks")
HOME_LAN = IPv4Network("192.168.0.0/16")
# Rough download sizes of the platforms' boxes (compressed .box files), for the warning only.
BOX_SIZE_MIB = {"centos/7": 500, "debian/bookworm64": 400}
CLOUD_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
TIMEOUT = 30  # seconds for each command the doctor runs (vagrant starts slowly)


@dataclass
class Finding:
    check: str
    status: str           # pass | warn | fail
    detail: str
    fix: str = ""         # what to do; empty when status is pass


# ---- Vagrant and the providers ----

def check_vagrant(version_text: Optional[str]) -> Finding:
    """version_text: the output of `vagrant --version`, or None when vagrant is not installed."""
    fix = ("install Vagrant: ./setup.sh on Debian/Ubuntu, otherwise "
           "https://developer.hashicorp.com/vagrant/install")
    if version_text is None:
        return Finding("vagrant", FAIL, "vagrant is not installed (not on PATH)", fix)
    m = re.search(r"Vagrant\s+(\d+\.\d+\.\d+)", version_text)
    if not m:
        return Finding("vagrant", FAIL, f"`vagrant --version` printed {version_text.strip()!r}", fix)
    return Finding("vagrant", PASS, f"Vagrant {m.group(1)}")


def check_libvirt(socket_exists: bool, plugin_installed: bool, kvm_usable: bool, driver: str,
                  *, kvm_present: Optional[bool] = None,
                  socket_accessible: bool = True) -> list:
    """The libvirt provider: daemon socket, vagrant-libvirt plugin, KVM against libvirt.driver.

    kvm_usable: /dev/kvm exists and this user can open it read-write. kvm_present: /dev/kvm
    exists (defaults to kvm_usable); present but not ours to open is a warning, not a failure,
    because libvirt's QEMU runs as its own user (in group kvm) and can still use it.
    """
    kvm_present = kvm_usable if kvm_present is None else kvm_present
    out = []
    if not socket_exists:
        out.append(Finding("libvirt daemon", FAIL, "no libvirt socket ("
                           + " or ".join(LIBVIRT_SOCKETS) + "): libvirtd is not running",
                           "sudo apt-get install libvirt-daemon-system && "
                           "sudo systemctl enable --now libvirtd (or ./setup.sh); "
                           "or set provider: virtualbox in lab.yaml"))
    elif not socket_accessible:
        out.append(Finding("libvirt daemon", FAIL, "the libvirt socket exists but this user may "
                           "not use it", "sudo usermod -aG libvirt $USER, then log out and in "
                           "again (or run `newgrp libvirt`)"))
    else:
        out.append(Finding("libvirt daemon", PASS, "libvirt socket present"))
    if plugin_installed:
        out.append(Finding("vagrant-libvirt", PASS, "plugin installed"))
    else:
        out.append(Finding("vagrant-libvirt", FAIL, "the vagrant-libvirt plugin is not installed",
                           "sudo apt-get install vagrant-libvirt (Debian/Ubuntu packages), or "
                           "vagrant plugin install vagrant-libvirt"))
    qemu_fix = "set libvirt.driver: qemu in lab.yaml (plain emulation, slow)"
    if driver == "kvm":
        if kvm_usable:
            out.append(Finding("kvm", PASS, "/dev/kvm usable; libvirt.driver is kvm"))
        elif kvm_present:
            out.append(Finding("kvm", WARN, "/dev/kvm exists but this user cannot open it "
                               "read-write; libvirt's QEMU usually still can",
                               "if `up` fails with a KVM error: sudo usermod -aG kvm $USER and log "
                               f"in again, or {qemu_fix}"))
        else:
            out.append(Finding("kvm", FAIL, "no /dev/kvm (no hardware virtualization, disabled "
                               "in the firmware, or a VM without nested virtualization), but "
                               "libvirt.driver is kvm", qemu_fix))
    else:
        if kvm_usable or kvm_present:
            out.append(Finding("kvm", WARN, "libvirt.driver is qemu (plain emulation) although "
                               "/dev/kvm exists: kvm would be much faster",
                               "set libvirt.driver: kvm in lab.yaml"))
        else:
            out.append(Finding("kvm", WARN, "no KVM: VMs run under plain emulation "
                               "(libvirt.driver qemu), a boot takes minutes",
                               "use a host with hardware virtualization (enable VT-x/AMD-V in the "
                               "firmware) for speed; the lab works as it is"))
    return out


def parse_version(text: Optional[str]) -> Optional[tuple]:
    """(6, 1, 38) from '6.1.38r153438' or '7.0.10_Ubuntur158379'; None if there is none."""
    m = re.search(r"(\d+)\.(\d+)\.(\d+)", text or "")
    return tuple(int(x) for x in m.groups()) if m else None


def check_virtualbox(vboxmanage_version: Optional[str]) -> Finding:
    """vboxmanage_version: the output of `VBoxManage --version`, or None when it is missing."""
    fix = ("install VirtualBox (https://www.virtualbox.org/wiki/Downloads), or use libvirt: "
           "set provider: libvirt in lab.yaml")
    if vboxmanage_version is None:
        return Finding("virtualbox", FAIL, "VBoxManage is not installed (not on PATH)", fix)
    version = parse_version(vboxmanage_version)
    if version is None:
        return Finding("virtualbox", FAIL, "`VBoxManage --version` printed "
                       f"{vboxmanage_version.strip()!r} (is the vboxdrv kernel module loaded?)",
                       "sudo /sbin/vboxconfig, or reinstall VirtualBox")
    return Finding("virtualbox", PASS, f"VirtualBox {'.'.join(map(str, version))}")


def parse_vbox_networks_conf(text: str) -> list:
    """The IPv4 ranges of /etc/vbox/networks.conf: lines like `* 10.0.0.0/8 192.168.0.0/16`."""
    nets = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("*"):
            continue
        for token in line[1:].split():
            try:
                net = ipaddress.ip_network(token, strict=False)
            except ValueError:
                continue
            if isinstance(net, IPv4Network):
                nets.append(net)
    return nets


def check_vbox_networks(version: Optional[str], conf_text: Optional[str], subnet: IPv4Network,
                        system: str = "Linux", path: str = VBOX_NETWORKS_CONF) -> Finding:
    """VirtualBox 6.1.28+ on Linux/macOS allows host-only networks only in the ranges of
    networks.conf, or in 192.168.56.0/21 when the file does not exist (conf_text None)."""
    name = "vbox host-only range"
    v = parse_version(version)
    if system not in ("Linux", "Darwin") or v is None or v < VBOX_RESTRICTED_SINCE:
        return Finding(name, PASS, "no host-only range restriction for this VirtualBox/OS")
    allowed = parse_vbox_networks_conf(conf_text) if conf_text is not None \
        else [VBOX_DEFAULT_HOSTONLY]
    source = path if conf_text is not None else f"the default ({path} does not exist)"
    if any(subnet.subnet_of(a) for a in allowed):
        return Finding(name, PASS, f"{subnet} is allowed by {source}")
    line = f"* {subnet}"
    fix = (f"add the line `{line}` to {path}: sudo mkdir -p {Path(path).parent} && "
           f"echo '{line}' | sudo tee -a {path}")
    if conf_text is None:
        fix += (f" (the new file replaces the default {VBOX_DEFAULT_HOSTONLY}; add "
                f"`* {VBOX_DEFAULT_HOSTONLY}` too if other VMs use it), or move private_network "
                f"and the node IPs in lab.yaml into {VBOX_DEFAULT_HOSTONLY}")
    allowed_text = ", ".join(map(str, allowed)) or "nothing"
    return Finding(name, FAIL, f"VirtualBox {'.'.join(map(str, v))} allows host-only networks "
                   f"only in {allowed_text} ({source}); private_network is {subnet}", fix)


# ---- the host's networks ----

def host_networks(ip_addr_json: str, ip_route_json: str) -> list:
    """[(interface, IPv4Network)] from `ip -j -4 addr show` and `ip -j -4 route show`.

    Addresses give their interface's subnet; routes give their destination (a bare address is a
    /32); the default route and routes without a device (blackhole, unreachable) are skipped.
    """
    out = []
    for link in json.loads(ip_addr_json or "[]"):
        for a in link.get("addr_info", []):
            if a.get("family", "inet") != "inet" or "local" not in a:
                continue
            net = IPv4Network(f"{a['local']}/{a.get('prefixlen', 32)}", strict=False)
            out.append((link.get("ifname", "?"), net))
    for r in json.loads(ip_route_json or "[]"):
        dst, dev = r.get("dst"), r.get("dev")
        if not dst or dst == "default" or not dev:
            continue
        try:
            net = IPv4Network(dst, strict=False)
        except ValueError:
            continue
        out.append((dev, net))
    seen, unique = set(), []
    for item in out:
        if item not in seen:
            seen.add(item)
            unique.append(item)
    return unique


def free_subnet(used: Iterable, prefer: Iterable = ()) -> Optional[IPv4Network]:
    """A /24 in 192.168.0.0/16 that overlaps none of used; those in prefer first."""
    used = list(used)
    candidates = list(prefer) + [IPv4Network(f"192.168.{n}.0/24") for n in range(1, 256)]
    for c in candidates:
        if not any(c.overlaps(u) for u in used):
            return c
    return None


def check_subnet_clash(lab_subnets: dict, networks: list, ignore: Iterable = (),
                       avoid: Iterable = (), prefer: Iterable = (), node_ips: Iterable = ()) -> list:
    """lab_subnets: {lab.yaml key: network}, e.g. {"private_network": ..., "libvirt.management_network": ...}.
    networks: host_networks(). ignore: interfaces the lab itself created (its libvirt bridges).
    avoid: other ranges the suggestion must not overlap (the lab's other ranges). prefer: /24s
    to suggest first. node_ips: the nodes' addresses, moved into the suggestion in the fix."""
    ignore, node_ips = set(ignore), list(node_ips)
    host = [(i, n) for i, n in networks if i not in ignore]
    out = []
    for key, subnet in lab_subnets.items():
        clashes = [(i, n) for i, n in host if n.overlaps(subnet)]
        if not clashes:
            out.append(Finding(f"{key} free", PASS, f"{subnet} overlaps no host network"))
            continue
        ifaces = []
        for i, n in clashes:
            if f"{i} ({n})" not in ifaces:
                ifaces.append(f"{i} ({n})")
        used = [n for _, n in networks] + list(avoid) + \
            [s for k, s in lab_subnets.items() if k != key]
        new = free_subnet(used, prefer)
        detail = f"{key} {subnet} overlaps the host's " + ", ".join(ifaces)
        if subnet == IPv4Network("192.168.0.0/24"):
            detail += " (192.168.0.0/24 is a common home and classroom LAN)"
        example = "192.168.<n>.0/24" if new is None else str(new)
        if key == "private_network":
            fix = f"change private_network and the node IPs in lab.yaml, e.g. to {example}"
            if new is not None and new.prefixlen == subnet.prefixlen and node_ips:
                moved = [str(new.network_address + (int(ip) - int(subnet.network_address)))
                         for ip in node_ips]
                fix += f" (node IPs {', '.join(moved)})"
        else:
            fix = f"change {key} in lab.yaml, e.g. to {example}"
        out.append(Finding(f"{key} free", FAIL, detail, fix))
    return out


def lab_bridges(lab_name: str, dirs: Iterable = LIBVIRT_NETWORK_DIRS) -> list:
    """The bridges of this lab's own libvirt networks (<name>-private, <name>-mgmt), read from
    libvirt's network XML files; they carry the lab's subnets and are no clash."""
    bridges = []
    for d in dirs:
        for network in (private_network_name(lab_name), management_network_name(lab_name)):
            f = Path(d) / f"{network}.xml"
            try:
                root = ET.parse(f).getroot()
            except (OSError, ET.ParseError):
                continue
            for b in root.iter("bridge"):
                if b.get("name") and b.get("name") not in bridges:
                    bridges.append(b.get("name"))
    return bridges


# ---- memory, disk, CPUs ----

def mem_available_mib(meminfo_text: str) -> Optional[int]:
    m = re.search(r"^MemAvailable:\s+(\d+)\s*kB", meminfo_text, re.M)
    return int(m.group(1)) // 1024 if m else None


def check_memory(meminfo_text: Optional[str], vm_mib: int,
                 headroom_mib: int = HEADROOM_MIB) -> Finding:
    """meminfo_text: /proc/meminfo; vm_mib: the memory of the VMs still to start."""
    avail = mem_available_mib(meminfo_text or "")
    needed = vm_mib + headroom_mib
    fix_lower = "lower defaults.memory (or nodes[].memory) in lab.yaml"
    if avail is None:
        return Finding("memory", WARN, "cannot read MemAvailable from /proc/meminfo",
                       f"make sure {needed} MiB are free ({vm_mib} MiB for the VMs + "
                       f"{headroom_mib} MiB headroom)")
    if vm_mib == 0:
        return Finding("memory", PASS, f"{avail} MiB available; no VM to start")
    if avail < vm_mib:
        return Finding("memory", FAIL, f"{avail} MiB available, the VMs need {vm_mib} MiB "
                       f"(+ {headroom_mib} MiB headroom)",
                       f"free {needed - avail} MiB (close programs, stop other VMs) or {fix_lower}")
    if avail < needed:
        return Finding("memory", WARN, f"{avail} MiB available: {vm_mib} MiB for the VMs leaves "
                       f"less than {headroom_mib} MiB for the host",
                       f"free {needed - avail} MiB or {fix_lower}")
    return Finding("memory", PASS, f"{avail} MiB available, {needed} MiB needed "
                   f"({vm_mib} for the VMs + {headroom_mib} headroom)")


def nearest_existing(path) -> Path:
    p = Path(path).expanduser()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_disk(free_bytes: Optional[int], needed_bytes: int, where) -> Finding:
    """free_bytes: statvfs f_bavail * f_frsize of where (None if unknown)."""
    if free_bytes is None:
        return Finding("disk", WARN, f"cannot read the free space of {where}",
                       f"make sure {needed_bytes / GIB:.1f} GiB are free in {where}")
    free, need = free_bytes / GIB, needed_bytes / GIB
    if free_bytes < needed_bytes:
        return Finding("disk", FAIL, f"{free:.1f} GiB free in {where}, the VMs need about "
                       f"{need:.1f} GiB", f"free {need - free:.1f} GiB in {where} "
                       "(or `invoke destroy` old labs, `vagrant box prune` old boxes)")
    return Finding("disk", PASS, f"{free:.1f} GiB free in {where}, about {need:.1f} GiB needed")


def check_cpus(nproc: int, nodes) -> Finding:
    """nodes: objects with .name and .cpus (lab.nodes)."""
    total = sum(n.cpus for n in nodes)
    too_big = [n for n in nodes if n.cpus > nproc]
    if too_big:
        names = ", ".join(f"{n.name} ({n.cpus})" for n in too_big)
        return Finding("cpus", FAIL, f"the host has {nproc} CPU(s); {names} asks for more",
                       f"set cpus to at most {nproc} for {', '.join(n.name for n in too_big)} "
                       "in lab.yaml (nodes[].cpus or defaults.cpus)")
    if total > nproc:
        return Finding("cpus", WARN, f"the VMs have {total} vCPUs on {nproc} host CPU(s): they "
                       "will compete (slower, but it works)",
                       "lower defaults.cpus or nodes[].cpus in lab.yaml, if it is too slow")
    return Finding("cpus", PASS, f"{total} vCPUs on {nproc} host CPU(s)")


# ---- the box ----

def parse_box_list(text: str) -> list:
    """[(name, provider, version)] from `vagrant box list --machine-readable`."""
    boxes, cur = [], {}
    for line in (text or "").splitlines():
        parts = line.split(",", 3)
        if len(parts) < 4:
            continue
        kind, value = parts[2], parts[3].replace("%!(VAGRANT_COMMA)", ",").strip()
        if kind == "box-name":
            if cur.get("name"):
                boxes.append((cur["name"], cur.get("provider", ""), cur.get("version", "")))
            cur = {"name": value}
        elif kind == "box-provider":
            cur["provider"] = value
        elif kind == "box-version":
            cur["version"] = value
    if cur.get("name"):
        boxes.append((cur["name"], cur.get("provider", ""), cur.get("version", "")))
    return boxes


def check_box(box: str, provider: str, local_boxes: list) -> Finding:
    """local_boxes: parse_box_list() output."""
    here = [v for n, p, v in local_boxes if n == box and p == provider]
    if here:
        return Finding("box", PASS, f"{box} ({provider}, version {here[-1]}) is present locally")
    others = sorted({p for n, p, _ in local_boxes if n == box})
    other_note = f" (present only for {', '.join(others)})" if others else ""
    if CLOUD_NAME_RE.match(box):
        size = BOX_SIZE_MIB.get(box)
        size_text = f"about {size} MiB" if size else "several hundred MiB"
        return Finding("box", WARN, f"{box} is not present for {provider}{other_note}: it will be "
                       f"downloaded on first up ({size_text}) if Vagrant Cloud has it for "
                       f"{provider}", f"in a classroom, `vagrant box add {box} --provider "
                       f"{provider}` it once beforehand")
    return Finding("box", FAIL, f"{box} is not present for {provider}{other_note} and is not a "
                   "Vagrant Cloud name (org/name) Vagrant could fetch",
                   f"vagrant box add --name {box} --provider {provider} PATH-OR-URL-OF-THE-.box, "
                   "or set box: in lab.yaml to a box `vagrant box list` shows")


# ---- gathering the inputs from the host ----

def _run(argv, timeout=TIMEOUT) -> Optional[str]:
    """stdout of argv, or None when the tool is missing, fails or hangs."""
    if not shutil.which(argv[0]):
        return None
    env = dict(os.environ, VAGRANT_CHECKPOINT_DISABLE="1")  # no version check over the network
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                           stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout if r.returncode == 0 else None


def kvm_state(dev="/dev/kvm") -> tuple:
    """(present, usable): /dev/kvm exists; this user can open it read-write."""
    present = os.path.exists(dev)
    return present, present and os.access(dev, os.R_OK | os.W_OK)


def free_bytes(path) -> Optional[int]:
    try:
        st = os.statvfs(nearest_existing(path))
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def created_nodes(lab, provider) -> set:
    """Nodes whose VM Vagrant already created (its id file exists in the lab folder)."""
    try:
        machines = lab.workdir / ".vagrant" / "machines"
        return {n.name for n in lab.nodes if (machines / n.name / provider / "id").exists()}
    except Exception:  # no path (lab not loaded from a file)
        return set()


def lab_ranges(lab, provider) -> dict:
    subnets = {"private_network": lab.private_network}
    if provider == "libvirt":
        subnets["libvirt.management_network"] = lab.libvirt.management_network
    return subnets


def run_doctor(lab, provider: str) -> list:
    """Run every check for lab on this host with provider ("libvirt" or "virtualbox",
    i.e. providers.resolve_provider(lab)); returns the findings, never raises for a missing tool."""
    system = _platform.system()
    findings = [check_vagrant(_run(["vagrant", "--version"]))]

    if provider == "libvirt":
        sockets = [s for s in LIBVIRT_SOCKETS if os.path.exists(s)]
        present, usable = kvm_state()
        findings += check_libvirt(bool(sockets), vagrant_libvirt_installed(), usable,
                                  lab.libvirt.driver, kvm_present=present,
                                  socket_accessible=any(os.access(s, os.R_OK | os.W_OK)
                                                        for s in sockets))
    else:
        version = _run(["VBoxManage", "--version"])
        findings.append(check_virtualbox(version))
        if version is not None:
            try:
                conf = Path(VBOX_NETWORKS_CONF).read_text(encoding="utf-8", errors="replace")
            except OSError:
                conf = None
            findings.append(check_vbox_networks(version, conf, lab.private_network, system))

    # the host's networks
    addr, route = _run(["ip", "-j", "-4", "addr", "show"]), _run(["ip", "-j", "-4", "route", "show"])
    subnets = lab_ranges(lab, provider)
    if addr is None or route is None:
        findings.append(Finding("host networks", WARN, "cannot read the host's networks with "
                                "`ip -j -4 addr/route show` (iproute2 missing or too old)",
                                f"check by hand that {', '.join(map(str, subnets.values()))} "
                                "is not used on this host (`ip addr`, `netstat -rn`)"))
    else:
        try:
            nets = host_networks(addr, route)
        except (ValueError, TypeError, AttributeError) as e:
            nets = None
            findings.append(Finding("host networks", WARN, f"cannot parse `ip -j` output: {e}",
                                    "check by hand with `ip addr`"))
        if nets is not None:
            ignore = lab_bridges(lab.name) if provider == "libvirt" else \
                [i for i, n in nets if i.startswith("vboxnet") and n == lab.private_network]
            avoid = [lab.cluster.service_range, lab.cluster.flannel_network,
                     lab.libvirt.management_network]
            prefer = [IPv4Network(f"192.168.{n}.0/24") for n in range(56, 64)] \
                if provider == "virtualbox" else ()
            findings += check_subnet_clash(subnets, nets, ignore=ignore, avoid=avoid,
                                           prefer=prefer, node_ips=[n.ip for n in lab.nodes])

    # memory, disk, CPUs for the VMs not created yet
    created = created_nodes(lab, provider)
    todo = [n for n in lab.nodes if n.name not in created]
    try:
        meminfo = Path("/proc/meminfo").read_text()
    except OSError:
        meminfo = None
    findings.append(check_memory(meminfo, sum(n.memory for n in todo)))
    where = LIBVIRT_IMAGES if provider == "libvirt" else str(Path.home())
    place = nearest_existing(where)
    findings.append(check_disk(free_bytes(place), DISK_PER_VM * len(todo), place))
    findings.append(check_cpus(os.cpu_count() or 1, lab.nodes))

    # the box
    listing = _run(["vagrant", "box", "list", "--machine-readable"])
    if listing is None and shutil.which("vagrant"):
        findings.append(Finding("box", WARN, "`vagrant box list` failed or timed out",
                                "run `vagrant box list` to see why"))
    elif listing is not None:
        findings.append(check_box(lab.box, provider, parse_box_list(listing)))
    return findings


def blocking(findings) -> list:
    """The failures: any of them makes `invoke up` stop before it touches anything."""
    return [f for f in findings if f.status == FAIL]


STYLE = {PASS: "[green]pass[/]", WARN: "[yellow]warn[/]", FAIL: "[red]fail[/]"}


def print_findings(findings, console=None) -> None:
    """A table (check, status, detail), then the fix of each finding that did not pass."""
    from rich.markup import escape
    from rich.table import Table

    from .ui import console as default_console
    console = console or default_console
    t = Table(title="doctor", title_justify="left")
    for c in ("check", "status", "detail"):
        t.add_column(c)
    for f in findings:
        t.add_row(escape(f.check), STYLE.get(f.status, escape(f.status)), escape(f.detail))
    console.print(t)
    for f in findings:
        if f.status != PASS and f.fix:
            console.print(f"{STYLE[f.status]} {escape(f.check)}: fix: {escape(f.fix)}")


def preflight(lab, provider: str) -> list:
    """For `invoke up`: run the checks; print them when any did not pass; raise LabError when
    one failed, before anything is touched. Returns the findings."""
    findings = run_doctor(lab, provider)
    if any(f.status != PASS for f in findings):
        print_findings(findings)
    failed = blocking(findings)
    if failed:
        raise LabError(f"{len(failed)} host check(s) failed ("
                       + ", ".join(f.check for f in failed)
                       + "); fix them as shown above (`invoke doctor` re-checks), nothing was "
                       "changed")
    return findings
