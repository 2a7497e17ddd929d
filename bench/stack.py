"""The benchmark's later parts (issues 11 and 13), after bench/run.py's etcd-lab rounds, in the
same harness session:

  B. a bare `vagrant up` of the tool's own Vagrantfile against `invoke up --until etcd` from
     nothing, on a fresh three-node lab (the box already in the pool for both);
  C. the same lab on to the full stack: `invoke up --until start` (stages, the wait for Ready,
     verify), then the no-op re-runs of all six stages: `invoke provision` and `invoke up`;
  D. reset against rebuild for one copy: checkpoints after etcd and start, `invoke reset --to
     etcd` and `--to start` (verify after each), against B's up from nothing;
  E. two copies at once: a class of two copies of a two-node lab up from nothing to etcd with
     checkpoints, then `invoke reset --to base` of both at once, against that rebuild.
Every figure is a whole command's wall time as the user waits for it.
"""
from __future__ import annotations

import re
import statistics
import sys

from bench.lab import BENCH, Bench, parse_up


def _reset_seconds(out: str) -> dict:
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r"lab (\S+): reset to \w+ in ([\d.]+)s", out)}


def _checkpoints(out: str) -> dict:
    return {f"{m.group(1) or 'lab'}/{m.group(2)}": {"seconds": float(m.group(3)), "mib": int(m.group(4))}
            for m in re.finditer(r"(?:\[(\S+)\] )?checkpoint (\w+): taken in ([\d.]+)s, (\d+) MiB", out)}


# each line of Vagrant's output with the time it was printed (bash's EPOCHREALTIME)
STAMPED_VAGRANT_UP = ("vagrant up --no-provision --provider libvirt 2>&1 | while IFS= read -r line; "
                      "do printf '%s %s\\n' \"$EPOCHREALTIME\" \"$line\"; done; exit ${PIPESTATUS[0]}")


def _upload_seconds(stamped: str) -> float:
    """From the first "Uploading base box image" to the first "Creating image" after it (0: none)."""
    start = None
    for line in stamped.split("\n"):   # not splitlines(): Vagrant's progress lines hold \r
        stamp, _, text = line.partition(" ")
        try:
            at = float(stamp.replace(",", "."))
        except ValueError:
            continue
        if start is None and "Uploading base box image" in text:
            start = at
        elif start is not None and "Creating image" in text:
            return at - start
    return 0.0


def stack(vmhost, folder, log, bare_vagrant: bool = True) -> dict:
    res: dict = {}
    b = Bench(vmhost, folder / "stack", "stack", log=log,
              sizes={"k8s-master": {"memory": 1536, "cpus": 2}})
    try:
        # B. bare Vagrant, then the tool, on the same Vagrantfile
        b.invoke("render", "render")
        if bare_vagrant:
            log("bare `vagrant up --no-provision --provider libvirt` of the tool's Vagrantfile")
            r, res["vagrant_up_s"] = b._run("vagrant-up", ["bash", "-c", STAMPED_VAGRANT_UP], cwd=b.lab_dir)
            # the first `vagrant up` of a box uploads it into the pool; the tool's run after it
            # finds it there, so the comparison leaves the upload out
            res["vagrant_upload_s"] = _upload_seconds(r.stdout)
            b._run("vagrant-destroy", ["vagrant", "destroy", "--force"], cwd=b.lab_dir)
        log("invoke up --until etcd from nothing")
        r, s = b.invoke("up-etcd", "up", "--until", "etcd")
        res["up_etcd"] = {"wall_s": s, **parse_up(r.stdout)}
        if bare_vagrant:
            res["up_vs_vagrant"] = s / (res["vagrant_up_s"] - res["vagrant_upload_s"])
        log(f"  invoke up --until etcd {s:.0f}s")

        # C. on to the full stack, with checkpoints after etcd and start from here on
        b.lab.write_text(b.lab.read_text() + "checkpoints: [etcd, start]\n")
        log("invoke up --until start (checkpoints etcd, start)")
        r, s = b.invoke("up-start", "up", "--until", "start")
        res["up_start"] = {"wall_s": s, **parse_up(r.stdout), "checkpoints": _checkpoints(r.stdout)}
        ready = re.search(r"kubectl get nodes on k8s-master: passed after (\d+)s", r.stdout)
        res["up_start"]["ready_wait_s"] = int(ready.group(1)) if ready else 0
        noop = []
        for i in range(3):
            r, s = b.invoke(f"noop-all-{i}", "provision", "--until", "start")
            noop.append({"wall_s": s, "changed": parse_up(r.stdout)["changed_printed"]})
        res["noop_provision_all"] = noop
        r, s = b.invoke("noop-up-all", "up", "--until", "start")
        res["noop_up_all"] = {"wall_s": s, **parse_up(r.stdout)}
        log(f"  no-op provision (6 stages) {[round(x['wall_s'], 1) for x in noop]}s, no-op up {s:.1f}s")
        # the floor in the same minutes (this machine's speed changes from day to day): start,
        # connect, one command per node; the no-op runs as ratios to it
        floors = [b._run(f"floor-{i}", [sys.executable, str(BENCH / "remote.py"), "floor", str(b.lab)])[1]
                  for i in range(3)]
        res["noop_floor_s"] = floors
        floor = statistics.median(floors)
        res["noop_up_over_floor"] = s / floor
        res["noop_provision_over_floor"] = statistics.median(x["wall_s"] for x in noop) / floor
        log(f"  no-op floor {[round(x, 1) for x in floors]}s: up {res['noop_up_over_floor']:.2f}x, "
            f"provision {res['noop_provision_over_floor']:.2f}x")

        # D. reset vs rebuild, one 3-VM copy
        for stage in ("etcd", "start"):
            r, s = b.invoke(f"reset-{stage}", "reset", "--to", stage)
            v, vs = b.invoke(f"verify-after-reset-{stage}", "verify", check=False)
            res[f"reset_{stage}"] = {"wall_s": s, "printed_s": _reset_seconds(r.stdout),
                                     "verify_exit": v.returncode, "verify_s": vs,
                                     "verify": parse_up(v.stdout)}
            log(f"  reset --to {stage}: {s:.1f}s (verify exit {v.returncode})")

        # E'. the night: suspend the 3-VM copy (managed save), then `up` resumes and verifies
        r, s = b.invoke("suspend", "suspend")
        res["suspend_s"] = s
        r, s = b.invoke("resume-up", "up", "--until", "start")
        resumed = re.search(r"resumed from their saved state in ([\d.]+)s", r.stdout)
        res["resume_up"] = {"wall_s": s, "start_s": float(resumed.group(1)) if resumed else None,
                            **parse_up(r.stdout)}
        log(f"  suspend {res['suspend_s']:.1f}s, up resuming it {s:.1f}s")
    finally:
        b.destroy()

    # E. two copies at once
    c = Bench(vmhost, folder / "bclass", "bclass", log=log, nodes=2,
              extra="copies: 2\ncheckpoints: [base, etcd]\n")
    try:
        log("class of 2 copies x 2 VMs: invoke up --until etcd from nothing")
        r, s = c.invoke("class-up", "up", "--until", "etcd")
        res["class_up_s"] = s
        res["class_checkpoints"] = _checkpoints(r.stdout)
        r, s = c.invoke("class-reset", "reset", "--to", "base")
        res["class_reset"] = {"wall_s": s, "printed_s": _reset_seconds(r.stdout)}
        log(f"  class up {res['class_up_s']:.0f}s, reset of both to base {s:.1f}s")
    finally:
        c.destroy()
    return res
