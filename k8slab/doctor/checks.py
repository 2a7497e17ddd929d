"""The host checks, each a pure function of its inputs (version text, file text, numbers),
so tests feed them real inputs: Vagrant, the providers, memory, disk, CPUs, the box."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

# shared with the placement over servers, which reads the same figures of every server
from ..allocate.capacity import mem_available_mib
from ..allocate.resources import HEADROOM_MIB
from ..providers import LIBVIRT_SOCKETS
from .finding import FAIL, PASS, WARN, Finding

MIB = 1024 * 1024
GIB = 1024 * MIB
CLOUD_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")


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


# ---- memory, disk, CPUs ----

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


def check_box(box: str, provider: str, local_boxes: list, box_url: Optional[str] = None,
              checksum: Optional[str] = None, size_mib: Optional[int] = None) -> Finding:
    """local_boxes: parse_box_list() output; box_url: lab.yaml's, a local path made absolute;
    size_mib: the box's download size as the lab knows it (Lab.box_size_mib), None: not known."""
    here = [v for n, p, v in local_boxes if n == box and p == provider]
    if here:
        return Finding("box", PASS, f"{box} ({provider}, version {here[-1]}) is present locally")
    if box_url and "://" not in box_url and not Path(box_url).is_file():
        return Finding("box", FAIL, f"{box} is not present for {provider}, and box_url {box_url} "
                       "is no file", "put the .box file there, or correct box_url in lab.yaml")
    if box_url:
        return Finding("box", PASS, f"{box} is not present for {provider}: the first up adds it "
                       f"from {box_url}" + (f" and checks its {checksum.split(':')[0]}" if checksum
                                            else " (no box_checksum: not checked)"))
    others = sorted({p for n, p, _ in local_boxes if n == box})
    other_note = f" (present only for {', '.join(others)})" if others else ""
    if CLOUD_NAME_RE.match(box):
        size_text = f" (about {size_mib} MiB)" if size_mib else ""
        return Finding("box", WARN, f"{box} is not present for {provider}{other_note}: it will be "
                       f"downloaded on first up{size_text} if Vagrant Cloud has it for "
                       f"{provider}", f"in a classroom, `vagrant box add {box} --provider "
                       f"{provider}` it once beforehand")
    return Finding("box", FAIL, f"{box} is not present for {provider}{other_note} and is not a "
                   "Vagrant Cloud name (org/name) Vagrant could fetch",
                   f"vagrant box add --name {box} --provider {provider} PATH-OR-URL-OF-THE-.box, "
                   "or set box: in lab.yaml to a box `vagrant box list` shows")


# ---- the students' gateway ----

def check_gateway(sshd_path: Optional[str], port: int, listen: str, bind_error: Optional[str],
                  running_pid: Optional[int]) -> list:
    """The gateway (lab.yaml `gateway:`): OpenSSH's sshd installed, its port free.
    bind_error: what binding listen:port said (None: it is free); running_pid: this class's
    gateway already runs (then the port is taken by it, as it should be)."""
    out = []
    if sshd_path:
        out.append(Finding("gateway sshd", PASS, f"{sshd_path} (the gateway runs its own instance)"))
    else:
        out.append(Finding("gateway sshd", FAIL, "OpenSSH's sshd is not installed",
                           "sudo apt-get install openssh-server (k8s-lab starts its own sshd; "
                           "the server's own is not changed)"))
    if running_pid:
        out.append(Finding("gateway port", PASS, f"{listen}:{port} is this class's gateway (pid {running_pid})"))
    elif bind_error is None:
        out.append(Finding("gateway port", PASS, f"{listen}:{port} is free"))
    else:
        out.append(Finding("gateway port", FAIL, f"cannot listen on {listen}:{port}: {bind_error}",
                           f"set gateway.port to a free port in lab.yaml, or stop what listens "
                           f"there (see `ss -ltnp 'sport = :{port}'`)"))
    return out

