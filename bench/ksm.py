#!/usr/bin/env python3
"""How many copies a lab server holds, with the kernel's same-page merging (KSM) off and on
(issue 24), and how long a class takes to come up from nothing on one server and on two.

    sudo python bench/ksm.py                  # from the repo root, as root; ~25 min under QEMU TCG
    sudo python bench/ksm.py --copies 4 --no-two-servers

In the real-VM harness's session (tests/vm/conftest.py's VmHost: the namespace, libvirtd, the
local Debian 12 box), a class of N copies of a one-VM lab (the master holds every role, 640 MiB,
until base) comes up on this host. Once the host's memory settles (MemAvailable steady), it
reads, KSM off: MemAvailable against before the boot, and each copy's QEMU processes' PSS and
RSS (/proc/PID/smaps_rollup). Then it switches KSM on (the harness: tests/harness/ksm.py; this
run is the request to), waits for two full scans and pages_sharing steady, reads the same again
with KSM's counters, and restores KSM as it found it. With --two-servers (the default) it then
destroys the class and brings it up again over this host and server 2 (tests/harness/server2.py),
half the copies on each, timed. Writes bench/results-ksm.json and prints a table; everything is
removed at the end.

Under plain emulation each QEMU also holds TCG's translation buffer (private, not mergeable):
the figures are this machine's, not a KVM server's.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.harness import ksm, libvirt, server2  # noqa: E402
from tests.vm.conftest import VmHost  # noqa: E402

NAME = f"{libvirt.PREFIX}-ksm"


def lab_text(box: str, copies: int, two_servers: bool) -> str:
    servers = ""
    if two_servers:
        servers = (f"servers:\n  - {{name: here, host: local, max_copies: {copies // 2}}}\n"
                   f"  - {{name: lab2, host: {server2.SERVER_IP}, user: root}}\n")
    return f"""\
name: {NAME}
platform: debian12
box: {box}
provider: libvirt
libvirt: {{driver: qemu, management_network: 192.168.121.0/24}}
defaults: {{memory: 640, cpus: 1}}
private_network: 192.168.0.0/24
until: base
copies: {copies}
{servers}nodes:
  - {{name: k8s-master, ip: 192.168.0.15, roles: [etcd, master, node], aliases: [k8s-etcd]}}
"""


def mem_available_kib() -> int:
    return int(re.search(r"^MemAvailable:\s+(\d+)", Path("/proc/meminfo").read_text(), re.M).group(1))


def qemu_pids(prefix: str) -> dict:
    """domain -> its QEMU's pid, from libvirt's pid files (the harness's libvirtd: this host's /run)."""
    out = {}
    for f in Path("/run/libvirt/qemu").glob(f"{prefix}*.pid"):
        out[f.stem] = int(f.read_text().split()[0])
    return out


def pss_rss_kib(pid: int) -> tuple:
    text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    get = lambda k: int(re.search(rf"^{k}:\s+(\d+) kB", text, re.M).group(1))   # noqa: E731
    return get("Pss"), get("Rss")


def settle_host(log, timeout=300) -> None:
    """Until MemAvailable changes less than 1 % in 30 s (the guests done booting and starting)."""
    deadline, last = time.monotonic() + timeout, mem_available_kib()
    while time.monotonic() < deadline:
        time.sleep(30)
        now = mem_available_kib()
        log(f"bench: MemAvailable {now // 1024} MiB (was {last // 1024})")
        if abs(now - last) < last / 100:
            return
        last = now


def measure(before_kib: int, copies: int) -> dict:
    pids = qemu_pids(NAME)
    per = {d: pss_rss_kib(p) for d, p in pids.items()}
    used = before_kib - mem_available_kib()
    return {"vms": len(per), "host_used_mib": used // 1024, "per_copy_host_mib": used // 1024 // copies,
            "pss_per_copy_mib": sum(p for p, _ in per.values()) // 1024 // copies,
            "rss_per_copy_mib": sum(r for _, r in per.values()) // 1024 // copies,
            "mem_available_mib": mem_available_kib() // 1024}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copies", type=int, default=4)
    ap.add_argument("--no-two-servers", dest="two", action="store_false")
    args = ap.parse_args()
    host = VmHost()
    results: dict = {"copies": args.copies, "memory_mib": 640, "thp":
                     Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text().strip()}
    folder = REPO / "bench" / ".work" / "ksm"
    folder.mkdir(parents=True, exist_ok=True)
    lab = folder / "lab.yaml"
    lock = libvirt.session_lock()
    host.setup()
    try:
        lab.write_text(lab_text(host.box, args.copies, False))
        before = mem_available_kib()
        results["mem_available_before_mib"] = before // 1024
        start = time.monotonic()
        r = host.run(host.invoke("up", "--config", str(lab)), capture_output=True, text=True)
        results["up_one_server_s"] = round(time.monotonic() - start, 1)
        (folder / "up-one.log").write_text(r.stdout + r.stderr)
        if r.returncode != 0:
            raise SystemExit(f"up failed, see {folder / 'up-one.log'}")
        settle_host(print)
        results["ksm_off"] = measure(before, args.copies)
        ksm.switch_on()
        try:
            results["ksm_settled"] = ksm.settle()
            results["ksm_on"] = {**measure(before, args.copies), "ksm": ksm.numbers()}
        finally:
            ksm.restore()
        host.run(host.invoke("destroy", "--yes", "--config", str(lab)), capture_output=True)
        if args.two:
            server2.start(host.ns)
            lab.write_text(lab_text(host.box, args.copies, True))
            start = time.monotonic()
            r = host.run(server2.controller_argv(host.invoke("up", "--config", str(lab))),
                         capture_output=True, text=True)
            results["up_two_servers_s"] = round(time.monotonic() - start, 1)
            (folder / "up-two.log").write_text(r.stdout + r.stderr)
            host.run(server2.controller_argv(host.invoke("destroy", "--yes", "--config", str(lab))),
                     capture_output=True)
            server2.remove()
    finally:
        host.teardown()
        lock.close()
    for key in ("ksm_off", "ksm_on"):
        m = results.get(key)
        if m:
            # what this host holds of such copies, its 1 GiB reserve kept (servers[].reserve_memory)
            m["copies_this_host_holds"] = (results["mem_available_before_mib"] - 1024) // max(1, m["per_copy_host_mib"])
    (REPO / "bench" / "results-ksm.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
