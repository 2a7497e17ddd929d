"""The kernel's same-page merging (KSM) switched on for a measurement and restored after it.

Only the harness writes /sys/kernel/mm/ksm, and only when asked (bench/ksm.py: its running is
the request); k8s-lab itself only reads it. The values found are kept in the harness's state
file before anything is written, so a run killed half-way is restored by the next session's
clear_leftovers (libvirt.cleanup calls restore()).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

KSM = Path("/sys/kernel/mm/ksm")
SETTINGS = ("run", "pages_to_scan", "sleep_millisecs")
STATE = Path("/var/tmp/k8slab-test/ksm.json")


def read(name: str) -> int:
    return int((KSM / name).read_text())


def numbers() -> dict:
    """Every counter KSM has here (Debian 12's 6.1 kernel has fewer than newer ones)."""
    out = {}
    for f in KSM.iterdir():
        try:
            out[f.name] = int(f.read_text())
        except (OSError, ValueError):
            pass
    return out


def switch_on(pages_to_scan: int = 1000, log=print) -> dict:
    """KSM merging, scanning pages_to_scan pages each 20 ms (a full scan of a few GiB in tens of
    seconds, not minutes at the default 100). Returns the values found, also kept in STATE."""
    found = {s: read(s) for s in SETTINGS}
    if not STATE.exists():     # a state kept by a killed run holds the host's own values
        STATE.parent.mkdir(parents=True, exist_ok=True)
        STATE.write_text(json.dumps(found))
    (KSM / "pages_to_scan").write_text(str(pages_to_scan))
    (KSM / "run").write_text("1")
    log(f"harness: KSM on (pages_to_scan {pages_to_scan}); found {found}, restored at the end")
    return found


def settle(timeout: float = 600, log=print) -> bool:
    """Wait for two more full scans and pages_sharing steady (< 1 % change in 30 s)."""
    deadline, start = time.monotonic() + timeout, read("full_scans")
    while read("full_scans") < start + 2 and time.monotonic() < deadline:
        time.sleep(5)
    last = read("pages_sharing")
    while time.monotonic() < deadline:
        time.sleep(30)
        now = read("pages_sharing")
        log(f"harness: KSM pages_sharing {now} (was {last}), full scans {read('full_scans')}")
        if abs(now - last) <= max(1, last // 100):
            return True
        last = now
    return False


def restore(log=print) -> None:
    """Unmerge everything (run 2), then the values kept before switch_on."""
    if not STATE.exists():
        return
    kept = json.loads(STATE.read_text())
    (KSM / "run").write_text("2")
    for name in ("pages_to_scan", "sleep_millisecs", "run"):
        (KSM / name).write_text(str(kept[name]))
    STATE.unlink()
    log(f"harness: KSM restored to {kept}")
