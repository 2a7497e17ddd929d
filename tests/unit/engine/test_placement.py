"""Placing a class's copies over lab servers (k8slab/allocate/placement.py): capacities, copies
kept where they are, a class that does not fit, a server not reached, max_copies, the vCPU
limit, and how the placement reads (table rows, ranges, the refusal)."""
from __future__ import annotations

import pytest

from k8slab import ui
from k8slab.allocate import capacity
from k8slab.allocate.capacity import Capacity
from k8slab.allocate.placement import (COLUMNS, PlacementError, ServerRoom, place, place_lab,
                                       ranges, table_rows, title)
from k8slab.allocate.resources import (DISK_PER_VM, GIB, HEADROOM_MIB, KSM_SAVED_PERCENT, VM_OVERHEAD_MIB,
                                       Resources, copy_cost, with_ksm)

# one copy: 3 VMs of 1 GiB (+ QEMU's overhead each), 9 GiB of disk, VMs of 1 vCPU
COST = Resources(vms=3, memory_mib=3 * (1024 + VM_OVERHEAD_MIB["kvm"]), cpus=3, disk_bytes=3 * DISK_PER_VM,
                 max_vm_cpus=1)
PER_COPY = COST.memory_mib   # 3522 MiB


def server(name, mem_copies=None, *, mem=None, cpus=8, disk=1000 * GIB, reserve=HEADROOM_MIB,
           max_copies=None, target=None):
    """A reached server; mem_copies: free memory for exactly that many copies after the reserve."""
    if mem is None:
        mem = reserve + mem_copies * PER_COPY + PER_COPY // 2
    return ServerRoom(name, target or f"root@{name}:22", Capacity(mem, cpus, disk), "", reserve,
                      max_copies)


def down(name, reason="ssh: connect to host lab3 port 22: No route to host"):
    return ServerRoom(name, f"root@{name}:22", None, reason)


def where(p) -> dict:
    """server -> (kept, new) of a placement."""
    return {s.name: (s.kept, s.new) for s in p.servers}


# ---- the cost of a copy ----

def test_a_copys_cost_counts_qemus_overhead_and_its_checkpoints_memory(engine_lab):
    # the engine lab: 3 nodes of defaults.memory 1024 MiB, 1 vCPU
    plain = copy_cost(engine_lab.nodes, engine_lab.defaults)
    assert plain == Resources(3, 3 * 1024 + 3 * VM_OVERHEAD_MIB["kvm"], 3, 3 * DISK_PER_VM, 1)
    # under plain emulation each QEMU also holds TCG's translation buffer (bench/ksm.py measured it)
    emulated = copy_cost(engine_lab.nodes, engine_lab.defaults, driver="qemu")
    assert emulated.memory_mib == 3 * 1024 + 3 * VM_OVERHEAD_MIB["qemu"] > plain.memory_mib
    # an internal snapshot with memory keeps the guests' RAM in the qcow2 files
    two = copy_cost(engine_lab.nodes, engine_lab.defaults, ["base", "etcd"])
    assert two.disk_bytes == 3 * DISK_PER_VM + 2 * 3 * GIB and two.memory_mib == plain.memory_mib


# ---- capacities ----

def test_room_is_what_free_memory_holds_after_the_reserve():
    p = place("k8s-lab", 2, COST, [server("lab1", 2)])
    s = p.servers[0]
    assert (s.room, s.limit, s.new) == (2, "memory", (1, 2)) and p.fits
    # exactly reserve + 2 copies still holds 2; one MiB less holds 1
    exact = HEADROOM_MIB + 2 * PER_COPY
    assert place("x", 2, COST, [server("a", mem=exact)]).servers[0].room == 2
    assert place("x", 2, COST, [server("a", mem=exact - 1)]).servers[0].room == 1


def test_a_servers_own_reserve_is_kept_free():
    mem = 4096 + 3 * PER_COPY
    assert place("x", 3, COST, [server("a", mem=mem, reserve=4096)]).servers[0].room == 3
    assert place("x", 3, COST, [server("a", mem=mem, reserve=4097)]).servers[0].room == 2
    assert place("x", 3, COST, [server("a", mem=mem, reserve=0)]).servers[0].room == 4


def test_disk_bounds_the_room_too():
    p = place("x", 3, COST, [server("lab1", 10, disk=20 * GIB)])
    s = p.servers[0]
    assert (s.room, s.limit, s.detail) == (2, "disk", "disk: 20.0 GiB free in pool default")
    assert s.new == (1, 2) and p.unplaced == (3,)


def test_copies_fill_the_first_server_then_the_next_in_file_order():
    p = place("k8s-lab", 7, COST, [server("lab1", 3), server("lab2", 10), server("lab3", 10)])
    assert where(p) == {"lab1": ((), (1, 2, 3)), "lab2": ((), (4, 5, 6, 7)), "lab3": ((), ())}
    assert p.server_of == {1: "lab1", 2: "lab1", 3: "lab1", 4: "lab2", 5: "lab2", 6: "lab2", 7: "lab2"}
    # memory after: what the new copies take from MemAvailable
    lab1 = p.servers[0]
    assert lab1.mem_after_mib == lab1.mem_free_mib - 3 * PER_COPY
    assert lab1.disk_after_bytes == 1000 * GIB - 3 * COST.disk_bytes


def test_unknown_figures_place_nothing_there():
    room = ServerRoom("a", capacity=Capacity(None, 8, 100 * GIB))
    s = place("x", 1, COST, [room]).servers[0]
    assert (s.room, s.detail) == (0, "memory: MemAvailable not read")
    s = place("x", 1, COST, [ServerRoom("a", capacity=Capacity(99999, None, 100 * GIB))]).servers[0]
    assert (s.room, s.detail) == (0, "CPUs: not read")
    s = place("x", 1, COST, [ServerRoom("a", capacity=Capacity(99999, 8, None))]).servers[0]
    assert (s.room, s.detail) == (0, "disk: free space not read")


# ---- copies kept where they are ----

def test_kept_copies_never_move_and_are_not_rechecked():
    # lab1 has no memory left (its copies run and use it), lab2 plenty: 1-2 stay on lab1, 3 on
    # lab2 stays too although lab1 comes first; the new copy 4 goes where there is room
    kept = {1: "lab1", 2: "lab1", 3: "lab2"}
    p = place("k8s-lab", 4, COST, [server("lab1", 0), server("lab2", 5)], kept=kept,
              running=[1, 2, 3], created=[1, 2, 3])
    assert where(p) == {"lab1": ((1, 2), ()), "lab2": ((3,), (4,))} and p.fits


def test_kept_copies_not_running_still_need_their_memory_back():
    # lab1 holds 3 copies' memory; its 2 kept copies are saved (not running): room for 1 more
    servers = [server("lab1", 3), server("lab2", 5)]
    p = place("k8s-lab", 4, COST, servers, kept={1: "lab1", 2: "lab1"}, created=[1, 2])
    assert where(p) == {"lab1": ((1, 2), (3,)), "lab2": ((), (4,))}
    lab1 = p.servers[0]
    assert lab1.mem_after_mib == lab1.mem_free_mib - 3 * PER_COPY
    # running, their memory is already out of MemAvailable: room for 3
    p = place("k8s-lab", 4, COST, servers, kept={1: "lab1", 2: "lab1"}, running=[1, 2], created=[1, 2])
    assert where(p) == {"lab1": ((1, 2), (3, 4)), "lab2": ((), ())}


def test_kept_copies_not_created_still_need_their_disk():
    servers = [server("lab1", 10, disk=30 * GIB), server("lab2", 10)]
    p = place("x", 3, COST, servers, kept={1: "lab1", 2: "lab1"}, running=[1, 2])
    assert p.servers[0].room == 1 and p.servers[0].detail.endswith("after its copies not created yet")
    p = place("x", 3, COST, servers, kept={1: "lab1", 2: "lab1"}, running=[1, 2], created=[1, 2])
    assert p.servers[0].room == 3


def test_only_the_wanted_copies_are_placed_and_the_kept_ones_count():
    # `up --copy 4`: copies 1-3 kept on lab1 (not running), 5 unplaced and not asked for
    p = place("k8s-lab", 5, COST, [server("lab1", 4), server("lab2", 4)],
              kept={1: "lab1", 2: "lab1", 3: "lab1"}, wanted=[4])
    assert where(p) == {"lab1": ((1, 2, 3), (4,)), "lab2": ((), ())} and p.fits
    assert 5 not in p.server_of


def test_kept_entries_past_the_class_size_are_not_the_classs():
    p = place("k8s-lab", 2, COST, [server("lab1", 4)], kept={1: "lab1", 5: "lab1"})
    assert p.server_of == {1: "lab1", 2: "lab1"}


def test_a_kept_copy_on_a_server_no_longer_listed_is_refused():
    with pytest.raises(PlacementError) as e:
        place("k8s-lab", 6, COST, [server("lab1", 10)], kept={1: "lab1", 5: "lab2", 6: "lab2", 4: "lab9"})
    assert str(e.value) == (
        "class.json places copy 4 on lab9, which lab.yaml no longer lists: put lab9 back under "
        "servers:, or destroy those copies first (invoke destroy --copy 4); class.json places "
        "copies 5-6 on lab2, which lab.yaml no longer lists: put lab2 back under servers:, or "
        "destroy those copies first (invoke destroy --copy 5,6)")


# ---- a server not reached ----

def test_an_unreachable_server_keeps_its_copies_and_takes_no_new_one():
    p = place("k8s-lab", 4, COST, [down("lab1"), server("lab2", 5)], kept={1: "lab1", 2: "lab1"})
    assert where(p) == {"lab1": ((1, 2), ()), "lab2": ((), (3, 4))} and p.fits
    lab1 = p.servers[0]
    assert (lab1.room, lab1.limit, lab1.unreachable) == (
        0, "unreachable", "ssh: connect to host lab3 port 22: No route to host")
    assert table_rows(p)[0] == ("lab1", "root@lab1:22", "1-2 (kept), unreachable: ssh: connect to "
                                "host lab3 port 22: No route to host", "", "", "", "")


# ---- max_copies and the vCPU limit ----

def test_max_copies_0_keeps_the_servers_copies_and_places_none_there():
    p = place("k8s-lab", 3, COST, [server("lab1", 10, max_copies=0), server("lab2", 10)],
              kept={1: "lab1"}, running=[1], created=[1])
    assert where(p) == {"lab1": ((1,), ()), "lab2": ((), (2, 3))}
    assert (p.servers[0].room, p.servers[0].detail) == (0, "max_copies: 0, 1 kept there")


def test_max_copies_caps_kept_and_new_together():
    p = place("k8s-lab", 5, COST, [server("lab1", 10, max_copies=3), server("lab2", 10)],
              kept={1: "lab1"}, running=[1], created=[1])
    assert where(p) == {"lab1": ((1,), (2, 3)), "lab2": ((), (4, 5))}
    assert (p.servers[0].room, p.servers[0].limit) == (2, "max_copies")


def test_a_vm_with_more_vcpus_than_the_server_places_nothing_there():
    big = Resources(3, 3 * 1174, 6, 3 * DISK_PER_VM, max_vm_cpus=4)
    p = place("k8s-lab", 2, big, [server("lab1", 10, cpus=2), server("lab2", 10, cpus=4)])
    assert where(p) == {"lab1": ((), ()), "lab2": ((), (1, 2))}
    assert (p.servers[0].room, p.servers[0].detail) == (0, "CPUs: the server has 2, a VM has 4")


# ---- a class that does not fit ----

def test_a_class_that_does_not_fit_says_what_is_where_and_what_limits_each_server():
    servers = [server("lab1", 0, target="this host"), server("lab2", 4), down("lab3")]
    p = place("k8s-lab", 12, COST, servers, kept={k: "lab1" for k in range(1, 7)},
              running=range(1, 7), created=range(1, 7))
    assert not p.fits and p.unplaced == (11, 12)
    assert where(p)["lab2"] == ((), (7, 8, 9, 10))
    assert p.refusal == (
        "12 copies: 1-6 kept on lab1; 6 new need 6 × (3.4 GiB memory, 9.0 GiB disk). lab1 holds 0 "
        "more (memory: 1.7 GiB left after reserve 1.0 GiB), lab2 holds 4 more (memory), lab3 is "
        "unreachable (ssh: connect to host lab3 port 22: No route to host): 2 copies do not fit "
        "(11-12). Add a server, lower copies, or lower defaults.memory; invoke doctor shows each "
        "server.")
    with pytest.raises(PlacementError) as e:
        p.check()
    assert str(e.value) == p.refusal
    assert table_rows(p)[-1] == ("(none)", "", "11-12 (do not fit)", "", "", "", "")


def test_one_copy_that_does_not_fit_anywhere():
    p = place("lab", 1, COST, [server("lab1", 0, max_copies=0)])
    assert p.refusal == (
        "1 copy: 1 new need 1 × (3.4 GiB memory, 9.0 GiB disk). lab1 holds 0 more (max_copies: 0): "
        "1 copy does not fit (1). Add a server, lower copies, or lower defaults.memory; invoke "
        "doctor shows each server.")


def test_a_class_that_fits_has_no_refusal():
    p = place("lab", 2, COST, [server("lab1", 2)])
    assert p.fits and p.refusal == "" and p.check() is p


# ---- how it reads ----

def test_ranges_compress_runs():
    assert ranges([1, 2, 3, 5, 7, 8]) == "1-3, 5, 7-8"
    assert ranges([4]) == "4" and ranges([]) == "" and ranges([3, 1, 2, 2]) == "1-3"


def test_the_placement_table():
    servers = [server("lab1", mem=13312, cpus=16, disk=210 * GIB, target="this host"),
               server("lab2", mem=15462, cpus=8, disk=180 * GIB, target="root@lab2.school:22"),
               server("lab3", 0)]
    p = place("k8s-lab", 12, COST, servers, kept={k: "lab1" for k in range(1, 7)},
              running=range(1, 7), created=range(1, 7))
    assert title(p) == "placement of k8s-lab (12 copies; each 3 VMs, 3.4 GiB memory, 9.0 GiB disk):"
    assert table_rows(p) == [
        ("lab1", "this host", "1-6 (kept), 7-9 (new)", "9 (memory)", "13.0 → 2.7 GiB", "210 → 183 GiB", "16"),
        ("lab2", "root@lab2.school:22", "10-12 (new)", "4 (memory)", "15.1 → 4.8 GiB", "180 → 153 GiB", "8"),
        ("lab3", "root@lab3:22", "none", "0 (memory)", "2.7 → 2.7 GiB", "1000 → 1000 GiB", "8")]


def test_the_table_prints_through_ui_table(capsys):
    p = place("k8s-lab", 3, COST, [server("lab1", 2, target="this host"), down("lab2")],
              kept={3: "lab2"})
    ui.table(title(p), COLUMNS, table_rows(p))
    out = capsys.readouterr().out
    assert "placement of k8s-lab (3 copies" in out and "1-2 (new)" in out
    assert "3 (kept), unreachable: ssh: connect" in out


# ---- from a lab ----

def test_place_lab_reads_the_servers_and_the_cost_from_the_lab_file(lab_from_text):
    lab = lab_from_text("""\
name: k8s-lab
provider: libvirt
copies: 3
checkpoints: [base]
nodes:
  - {name: k8s-master, ip: 192.168.0.15, roles: [server]}
  - {name: k8s-node1, ip: 192.168.0.16, roles: [worker]}
servers:
  - {name: lab1, host: local, max_copies: 1}
  - {name: lab2, host: lab2.school.example, user: root, reserve_memory: 2048}
  - {name: lab3, host: lab3.school.example}
""")
    per_copy = copy_cost(lab.nodes, lab.defaults, lab.checkpoints)
    assert per_copy.memory_mib == 2 * (1024 + VM_OVERHEAD_MIB["kvm"])
    assert per_copy.disk_bytes == 2 * DISK_PER_VM + 2048 * 1024 ** 2
    roomy = Capacity(64 * 1024, 8, 500 * GIB)
    p = place_lab(lab, {"lab1": roomy, "lab2": Capacity(2048 + per_copy.memory_mib, 8, 500 * GIB),
                        "lab3": "ssh: Connection refused"})
    assert where(p) == {"lab1": ((), (1,)), "lab2": ((), (2,)), "lab3": ((), ())}
    assert [s.target for s in p.servers] == ["this host", "root@lab2.school.example:22",
                                              "lab3.school.example:22"]
    assert p.unplaced == (3,) and "lab3 is unreachable (ssh: Connection refused)" in p.refusal
    # a server nothing was read from is not reached
    assert place_lab(lab, {"lab1": roomy}).servers[2].unreachable == "not read"
    # the lab file's own name in the message about a server it no longer lists
    with pytest.raises(PlacementError, match="which lab.yaml no longer lists"):
        place_lab(lab, {}, kept={1: "gone"})


# ---- KSM ----

def test_a_server_with_ksm_on_counts_the_measured_smaller_copy_and_holds_more():
    """KSM_SAVED_PERCENT is bench/ksm.py's measurement (docs/benchmarks.md); the KSM texts are
    what Debian 12's /sys/kernel/mm/ksm shows with merging on and off."""
    assert 0 < KSM_SAVED_PERCENT < 100
    small = with_ksm(PER_COPY)
    mem = HEADROOM_MIB + 6 * small        # exactly six copies at the KSM figure
    on = capacity.ksm_state({"run": "1", "pages_shared": "1200", "pages_sharing": "90000"})
    off = capacity.ksm_state({"run": "0", "pages_shared": "0", "pages_sharing": "0"})
    merged, plain = (ServerRoom("a", "this host", Capacity(mem, 8, 1000 * GIB, ksm)) for ksm in (on, off))
    p_on, p_off = place("x", 8, COST, [merged]), place("x", 8, COST, [plain])
    assert p_on.servers[0].room == 6 and p_on.servers[0].copy_mib == small
    assert p_off.servers[0].room == (6 * small) // PER_COPY < 6
    assert p_on.servers[0].mem_after_mib == mem - 6 * small
    assert table_rows(p_on)[0][3] == f"6 (memory, KSM on: {small / 1024:.1f} GiB a copy)"
    assert table_rows(p_off)[0][3] == f"{p_off.servers[0].room} (memory)"
