"""What a lab server has for the class's copies, read from the texts the server itself prints
(docs/design-several-servers.md, section 3): memory from /proc/meminfo's MemAvailable, CPUs
from `virsh nodeinfo`, disk from `virsh pool-info default --bytes`, and the state of KSM from
/sys/kernel/mm/ksm. Only parsing: who reads the texts (this host, or a server over SSH) is the
caller's business, so the same code serves both and tests feed it captured texts.

virsh translates its labels ("CPU(s):", "Available:"): run it with LC_ALL=C.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Optional

PAGE_SIZE = 4096   # KSM counts pages; x86_64's size (read `getconf PAGESIZE` where it matters)


@dataclass(frozen=True)
class Ksm:
    """Kernel same-page merging, as /sys/kernel/mm/ksm says (Documentation/ABI/testing/
    sysfs-kernel-mm-ksm). Read only, never written. Where it is on, placement counts a copy
    as bench/ksm.py measured it (resources.KSM_SAVED_PERCENT less, taken low: merged pages come
    apart again when the guests write them)."""
    run: int                  # 0: stopped, 1: merging, 2: stopped and everything unmerged
    pages_shared: int         # pages kept once for all their sharers
    pages_sharing: int        # the pages that share them: how much is saved
    full_scans: Optional[int] = None
    page_size: int = PAGE_SIZE

    @property
    def on(self) -> bool:
        return self.run == 1

    @property
    def saved_bytes(self) -> int:
        return self.pages_sharing * self.page_size


@dataclass(frozen=True)
class Capacity:
    """One server's free resources; None where a text could not be read or parsed."""
    mem_available_mib: Optional[int]
    cpus: Optional[int]
    disk_available_bytes: Optional[int]
    ksm: Optional[Ksm] = None
    # where the disk figure comes from, for messages: the pool Vagrant writes into, or the
    # folder df measured when the server has no pool "default" yet (vagrant-libvirt makes it)
    disk_where: str = "pool default"


def mem_available_mib(meminfo_text: str) -> Optional[int]:
    """MemAvailable of /proc/meminfo in MiB: the kernel's estimate of what can be given to new
    programs without swapping, page cache included (virsh freecell's MemFree leaves it out)."""
    m = re.search(r"^MemAvailable:\s+(\d+)\s*kB", meminfo_text, re.M)
    return int(m.group(1)) // 1024 if m else None


def nodeinfo_cpus(text: Optional[str]) -> Optional[int]:
    """CPU(s) of `virsh nodeinfo` (virsh-host.c cmdNodeinfo: "%-20s %d\\n", "CPU(s):")."""
    m = re.search(r"^CPU\(s\):\s+(\d+)\s*$", text or "", re.M)
    return int(m.group(1)) if m else None


def pool_available_bytes(text: Optional[str]) -> Optional[int]:
    """Available of `virsh pool-info POOL --bytes` (virsh-pool.c cmdPoolInfo: "%-15s %llu\\n").
    virsh prints the sizes only for a running or degraded pool: None for an inactive one, a
    missing one (an error on stderr, nothing here) or a text without --bytes' plain number."""
    m = re.search(r"^Available:\s+(\d+)\s*$", text or "", re.M)
    return int(m.group(1)) if m else None


def ksm_state(files: Optional[Mapping[str, str]], page_size: int = PAGE_SIZE) -> Optional[Ksm]:
    """files: the texts of /sys/kernel/mm/ksm/<name> by name, those that exist (kernels differ:
    Debian 12's 6.1 has no general_profit). None without run, pages_shared and pages_sharing:
    a kernel built without KSM has no such folder."""
    def number(name):
        text = (files or {}).get(name)
        try:
            return int(text.strip()) if text is not None else None
        except ValueError:
            return None
    run, shared, sharing = number("run"), number("pages_shared"), number("pages_sharing")
    if run is None or shared is None or sharing is None:
        return None
    return Ksm(run, shared, sharing, number("full_scans"), page_size)


def capacity(meminfo: Optional[str], nodeinfo: Optional[str], pool_info: Optional[str],
             ksm_files: Optional[Mapping[str, str]] = None, df_available: Optional[int] = None,
             df_where: str = "") -> Capacity:
    """A server's Capacity from its texts (None: not read). df_available: the free bytes of the
    nearest existing folder of the pool's path, used when the pool gives no figure."""
    disk, where = pool_available_bytes(pool_info), "pool default"
    if disk is None and df_available is not None:
        disk, where = df_available, df_where or "/var/lib/libvirt/images"
    return Capacity(mem_available_mib(meminfo or ""), nodeinfo_cpus(nodeinfo), disk,
                    ksm_state(ksm_files), where)
