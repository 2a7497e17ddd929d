"""Reading the host: short commands, /dev/kvm, free space, libvirt's network files, the lab's
created VMs. A missing tool or file is None (a finding for the checks), never an exception."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable, Optional

from ..vagrant import machine_ids

LIBVIRT_IMAGES = "/var/lib/libvirt/images"
LIBVIRT_NETWORK_DIRS = ("/run/libvirt/network", "/var/run/libvirt/network",
                        "/etc/libvirt/qemu/networks")
TIMEOUT = 30  # seconds for each command the doctor runs (vagrant starts slowly)


def run(argv, timeout=TIMEOUT) -> Optional[str]:
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
    """Nodes whose VM Vagrant already created (it recorded an id in the lab folder)."""
    try:
        return set(machine_ids(lab, provider)) & {n.name for n in lab.nodes}
    except Exception:  # no path (lab not loaded from a file)
        return set()


def nearest_existing(path) -> Path:
    p = Path(path).expanduser()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p

def lab_bridges(names, dirs: Iterable = LIBVIRT_NETWORK_DIRS) -> list:
    """The bridges of a lab's own libvirt networks (names: its allocate.Names), read from
    libvirt's network XML files; they carry the lab's subnets and are no clash."""
    bridges = []
    for d in dirs:
        for network in (names.private_network, names.management_network):
            f = Path(d) / f"{network}.xml"
            try:
                root = ET.parse(f).getroot()
            except (OSError, ET.ParseError):
                continue
            for b in root.iter("bridge"):
                if b.get("name") and b.get("name") not in bridges:
                    bridges.append(b.get("name"))
    return bridges


def read_text(path) -> Optional[str]:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def bind_error(address: str, port: int) -> Optional[str]:
    """Why a TCP listener on address:port cannot be had (None: it can), tried and let go."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((address, port))
        return None
    except OSError as e:
        return e.strerror or str(e)
    finally:
        s.close()

