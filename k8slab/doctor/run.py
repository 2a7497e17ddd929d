"""`invoke doctor` and `invoke up`'s preflight: gather the inputs from the host (probes.py),
run the checks on them (checks.py, networks.py); never raises for a missing tool."""
from __future__ import annotations

import os
import platform as _platform
import shutil
from ipaddress import IPv4Network
from pathlib import Path

from ..allocate.resources import DISK_PER_VM
from ..errors import LabError
from ..gateway import sshd
from ..providers import LIBVIRT_SOCKETS, vagrant_libvirt_installed
from . import probes
from .checks import (check_box, check_cpus, check_disk, check_gateway, check_libvirt, check_memory,
                     check_vagrant, check_virtualbox, parse_box_list)
from .finding import PASS, WARN, Finding, blocking
from .networks import VBOX_NETWORKS_CONF, check_subnet_clash, check_vbox_networks, host_networks
from .report import print_findings

def lab_ranges(lab, provider, copies=None) -> dict:
    """The subnets the lab puts on the host. Copies share private_network by design (each on an
    isolated network of its own); each has its own management network."""
    subnets = {"private_network": lab.private_network}
    if provider == "libvirt":
        if not copies or len(copies) == 1:
            subnets["libvirt.management_network"] = (copies or [lab])[0].libvirt.management_network
        else:
            for c in copies:
                subnets[f"{c.name}'s management network"] = c.libvirt.management_network
    return subnets


def run_doctor(lab, provider: str, copies=None, playbook=None) -> list:
    """Run every check for lab on this host with provider ("libvirt" or "virtualbox",
    i.e. providers.resolve_provider(lab)); returns the findings, never raises for a missing tool.
    copies: the lab's copies (k8slab.copies.expand) when it has several: memory, disk and CPUs
    count them all, and their own networks are no clash.
    playbook: what will provision the lab (provisioning.Playbook); its preflight(lab) adds the
    host checks its own steps need (k8s-lab's: gcc for the pause image), after the engine's
    memory, disk and CPUs."""
    copies = copies or [lab]
    system = _platform.system()
    findings = [check_vagrant(probes.run(["vagrant", "--version"]))]

    if provider == "libvirt":
        sockets = [s for s in LIBVIRT_SOCKETS if os.path.exists(s)]
        present, usable = probes.kvm_state()
        findings += check_libvirt(bool(sockets), vagrant_libvirt_installed(), usable,
                                  lab.libvirt.driver, kvm_present=present,
                                  socket_accessible=any(os.access(s, os.R_OK | os.W_OK)
                                                        for s in sockets))
    else:
        version = probes.run(["VBoxManage", "--version"])
        findings.append(check_virtualbox(version))
        if version is not None:
            conf = probes.read_text(VBOX_NETWORKS_CONF)
            findings.append(check_vbox_networks(version, conf, lab.private_network, system))

    # the host's networks
    addr, route = probes.run(["ip", "-j", "-4", "addr", "show"]), probes.run(["ip", "-j", "-4", "route", "show"])
    subnets = lab_ranges(lab, provider, copies)
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
            ignore = [b for c in copies for b in probes.lab_bridges(c.names)] if provider == "libvirt" else \
                [i for i, n in nets if i.startswith("vboxnet") and n == lab.private_network]
            avoid = [*(net for _, net in lab.reserved_networks()),
                     *(c.libvirt.management_network for c in copies)]
            prefer = [IPv4Network(f"192.168.{n}.0/24") for n in range(56, 64)] \
                if provider == "virtualbox" else ()
            findings += check_subnet_clash(subnets, nets, ignore=ignore, avoid=avoid,
                                           prefer=prefer, node_ips=[n.ip for n in lab.nodes])

    # memory, disk, CPUs of this host for the VMs not created yet; a copy placed on another
    # server is that server's (doctor/servers.py reads each server, commands/place.py places)
    here = [c for c in copies if not c.on_server.remote]
    todo = [n for c in here for n in c.nodes if n.name not in probes.created_nodes(c, provider)]
    findings.append(check_memory(probes.read_text("/proc/meminfo"), sum(n.memory for n in todo)))
    where = probes.LIBVIRT_IMAGES if provider == "libvirt" else str(Path.home())
    place = probes.nearest_existing(where)
    findings.append(check_disk(probes.free_bytes(place), DISK_PER_VM * len(todo), place))
    findings.append(check_cpus(os.cpu_count() or 1, [n for c in here for n in c.nodes] or lab.nodes))

    if playbook is not None and playbook.preflight is not None:
        findings += playbook.preflight(lab)

    if lab.gateway is not None:
        pid = sshd.running_pid(sshd.files(lab))
        findings += check_gateway(sshd.sshd_binary(), lab.gateway.port, str(lab.gateway.listen),
                                  None if pid else probes.bind_error(str(lab.gateway.listen),
                                                                     lab.gateway.port), pid)

    # the box
    listing = probes.run(["vagrant", "box", "list", "--machine-readable"])
    if listing is None and shutil.which("vagrant"):
        findings.append(Finding("box", WARN, "`vagrant box list` failed or timed out",
                                "run `vagrant box list` to see why"))
    elif listing is not None:
        findings.append(check_box(lab.box, provider, parse_box_list(listing), lab.box_source,
                                   lab.box_checksum, lab.box_size_mib(lab.box)))
    return findings


def preflight(lab, provider: str, copies=None, playbook=None) -> list:
    """For `invoke up`: run the checks (run_doctor's, the playbook's among them); print them when
    any did not pass; raise LabError when one failed, before anything is touched. Returns the
    findings."""
    findings = run_doctor(lab, provider, copies, playbook)
    if any(f.status != PASS for f in findings):
        print_findings(findings)
    failed = blocking(findings)
    if failed:
        raise LabError(f"{len(failed)} host check(s) failed ("
                       + ", ".join(f.check for f in failed)
                       + "); fix them as shown above (`invoke doctor` re-checks), nothing was "
                       "changed")
    return findings
