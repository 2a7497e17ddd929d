"""A server's capacity from the texts it prints (k8slab/allocate/capacity.py), on captured texts
only (tests/captured/README.md says where each comes from)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from k8slab.allocate.capacity import (Capacity, Ksm, capacity, ksm_state, nodeinfo_cpus,
                                      pool_available_bytes)

REPO = Path(__file__).resolve().parents[3]
CAPTURED = REPO / "tests" / "captured"
# a real libvirt server's outputs, captured in a VM session (README.md there)
HOST_NODEINFO = CAPTURED / "virsh-nodeinfo.txt"
HOST_POOL_INFO = CAPTURED / "virsh-pool-info-bytes.txt"


def captured(name: str) -> str:
    return (CAPTURED / name).read_text()


def ksm_files(folder: str) -> dict:
    return {p.name: p.read_text() for p in (CAPTURED / folder).iterdir()}


def test_memory_is_meminfos_memavailable():
    text = captured("proc-meminfo-host.txt")
    kib = int(re.search(r"^MemAvailable:\s+(\d+) kB$", text, re.M).group(1))
    assert capacity(text, None, None).mem_available_mib == kib // 1024 == 23504


def test_cpus_from_virsh_nodeinfo():
    assert nodeinfo_cpus(captured("virsh-test-driver-nodeinfo.txt")) == 16
    # "CPU socket(s):" and "CPU frequency:" share the prefix and are not taken for it
    assert nodeinfo_cpus("CPU socket(s):      2\n") is None
    assert nodeinfo_cpus("") is None and nodeinfo_cpus(None) is None


def test_disk_from_virsh_pool_info_bytes():
    assert pool_available_bytes(captured("virsh-test-driver-pool-info-bytes.txt")) == 100 * 1024 ** 3
    # a stopped pool prints no sizes; a missing pool only an error on stderr
    assert pool_available_bytes(captured("virsh-test-driver-pool-info-bytes-inactive.txt")) is None
    assert pool_available_bytes(captured("virsh-test-driver-pool-info-missing-stderr.txt")) is None
    assert pool_available_bytes("\n") is None


def test_pool_info_without_bytes_is_not_taken_for_a_number():
    # the default output rounds ("Available:      100.00 GiB"): the placement needs --bytes
    text = captured("virsh-test-driver-pool-info-bytes.txt").replace(
        "Available:      107374182400", "Available:      100.00 GiB")
    assert pool_available_bytes(text) is None


def test_ksm_off_as_this_machine_has_it():
    ksm = ksm_state(ksm_files("sys-kernel-mm-ksm-off"))
    assert ksm == Ksm(run=0, pages_shared=0, pages_sharing=0, full_scans=0)
    assert not ksm.on and ksm.saved_bytes == 0


def test_ksm_files_that_a_kernel_lacks():
    files = ksm_files("sys-kernel-mm-ksm-off")
    older = {k: v for k, v in files.items() if k not in ("general_profit", "full_scans")}
    assert ksm_state(older) == Ksm(0, 0, 0, None)
    assert ksm_state({k: v for k, v in files.items() if k != "run"}) is None   # no KSM at all
    assert ksm_state({}) is None and ksm_state(None) is None
    assert ksm_state({**files, "run": "\n"}) is None


def test_ksm_saved_memory_is_pages_sharing():
    # the arithmetic only (KSM is never switched on here): pages_sharing pages of page_size
    ksm = Ksm(run=1, pages_shared=10, pages_sharing=471_000, full_scans=37)
    assert ksm.on and ksm.saved_bytes == 471_000 * 4096
    assert Ksm(1, 1, 2, page_size=65536).saved_bytes == 131072


def test_a_whole_capacity_and_the_disk_fallback():
    got = capacity(captured("proc-meminfo-host.txt"), captured("virsh-test-driver-nodeinfo.txt"),
                   captured("virsh-test-driver-pool-info-bytes.txt"), ksm_files("sys-kernel-mm-ksm-off"))
    assert got == Capacity(23504, 16, 107374182400, Ksm(0, 0, 0, 0), "pool default")
    # no pool default yet (vagrant-libvirt makes it): df of the nearest existing folder
    got = capacity(None, None, captured("virsh-test-driver-pool-info-bytes-inactive.txt"),
                   df_available=5 * 1024 ** 3, df_where="/var/lib")
    assert (got.mem_available_mib, got.cpus, got.disk_available_bytes, got.disk_where, got.ksm) == (
        None, None, 5 * 1024 ** 3, "/var/lib", None)


@pytest.mark.skipif(not HOST_NODEINFO.exists(), reason="capture pending")
def test_cpus_of_a_real_libvirt_server():
    text = HOST_NODEINFO.read_text()
    cpus = nodeinfo_cpus(text)
    assert cpus is not None and cpus >= 1
    # what the CPU(s) line counts: sockets x cores x threads x NUMA cells, or fewer online
    numbers = dict(re.findall(r"^(CPU socket\(s\)|Core\(s\) per socket|Thread\(s\) per core|"
                              r"NUMA cell\(s\)):\s+(\d+)$", text, re.M))
    assert len(numbers) == 4
    total = 1
    for n in numbers.values():
        total *= int(n)
    assert cpus <= total


@pytest.mark.skipif(not HOST_POOL_INFO.exists(), reason="capture pending")
def test_disk_of_a_real_libvirt_servers_pool():
    text = HOST_POOL_INFO.read_text()
    available = pool_available_bytes(text)
    assert re.search(r"^State:\s+running$", text, re.M) and available is not None
    size = int(re.search(r"^Capacity:\s+(\d+)$", text, re.M).group(1))
    used = int(re.search(r"^Allocation:\s+(\d+)$", text, re.M).group(1))
    # a dir pool is statvfs: capacity = used + available + the blocks reserved for root
    assert 0 < available <= size - used


def test_no_code_of_k8slab_writes_ksm_settings():
    """KSM is host-wide: k8s-lab reads it and never switches it (design section 7)."""
    writes = re.compile(r"\.write\(|write_text|write_bytes|write_atomic|open\([^)]*['\"][wa+]|\btee\b")
    for path in (REPO / "k8slab").rglob("*.py"):
        text = path.read_text()
        if "mm/ksm" in text:
            assert not writes.search(text), f"{path} names KSM's files and writes something"
