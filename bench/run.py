#!/usr/bin/env python3
"""The benchmark (issue 7): time to a verified lab, the no-op re-run, and the peers doing the
same work on the same VMs, in one harness session.

    sudo python bench/run.py            # from the repo root, as root; ~15-20 min under QEMU TCG
    python bench/run.py --rounds 2      # fewer tool/shell/Ansible rounds

It takes the real-VM harness's session lock (waits while another VM session runs), makes the
namespace `k8slabt` with libvirtd in it and the local Debian 12 box (tests/vm/conftest.py's
VmHost), and on ONE debian12 lab `k8slabt-bench` (the tutorial's three nodes, until etcd):
  1. `invoke up --until etcd` from nothing, split into boot / each stage / verify from the
     tool's own output (rest: render, doctor, SSH set-up, Python start-up);
  2. `invoke provision --until etcd` on the finished lab, 3 times (the no-op re-run; changes
     counted from provision.json), and `invoke up --until etcd` once more;
  3. the cost of one remote command through the tool (median of 50 Host.run("true"));
  4. ROUNDS rounds of, each from the same reset state (box-shipped /etc/hosts and
     /etc/default/etcd, etcd stopped, its data dir wiped): the tool (`invoke provision`), the
     shell way (bench/shell/provision.sh through `vagrant ssh NODE -c 'sudo bash -s'`, one VM
     after another) and the Ansible way (bench/ansible/playbook.yml, ansible-core from
     bench/.venv-ansible): first run and re-run each; after each, the VMs' state is compared
     with the tool's (files on every node, etcd active/enabled, the flannel key).
Then bench/stack.py: bare `vagrant up` against `invoke up`, the full stack and its no-op
re-runs, checkpoints and reset against rebuild for one copy and for two copies at once.
Prints a table and writes bench/results.json (and every command's output under bench/.work/).
Everything is removed at the end (the lab's VMs, then the harness's clean-up).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.lab import (Bench, StepFailed, ansible_version, changes_in, compare_states,  # noqa: E402
                       ensure_ansible, step_seconds)
from tests.harness import libvirt  # noqa: E402
from tests.vm.conftest import VmHost, missing_prerequisites  # noqa: E402

WORK = REPO / "bench" / ".work"
RESULTS = REPO / "bench" / "results.json"
console = Console(width=130)


def log(msg):
    console.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {msg}", highlight=False)


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    vagrant = subprocess.run(["vagrant", "--version"], capture_output=True, text=True).stdout.strip()
    qemu = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                          text=True).stdout.splitlines()[0]
    return {"nproc": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1), "cpu": cpu,
            "virtualization": "QEMU TCG (libvirt driver qemu: plain emulation, no KVM)",
            "kvm_device": os.path.exists("/dev/kvm"), "kernel": platform.release(),
            "vagrant": vagrant, "qemu": qemu, "ansible": ansible_version(),
            "vms": "3 x (768 MiB, 1 vCPU), Debian 12 box built by tests/harness"}


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def run_bench(b: Bench, rounds: int, cost_n: int) -> dict:
    res: dict = {}
    # 1. up from nothing
    log("invoke up --until etcd (from nothing)")
    seconds, phases, report = b.up("up-first")
    staged = sum(phases["stages_s"].values())
    phases["rest_s"] = seconds - (phases["boot_s"] or 0) - staged - (phases["verify_s"] or 0)
    res["up_first"] = {"wall_s": seconds, **phases, "changed": changes_in(report),
                       "step_seconds": step_seconds(report)}
    (b.out_dir / "up-first-provision.json").write_text(json.dumps(report, indent=1))
    tool_state = b.snapshot()
    b.save_originals(report, tool_state)
    log(f"  {seconds:.1f}s: boot {phases['boot_s']}s, stages {phases['stages_s']}, verify {phases['verify_s']}s")

    # 2. the no-op re-run
    noop = []
    for i in range(3):
        s, p, rep = b.provision(f"noop-{i}")
        noop.append({"wall_s": s, "stages_s": p["stages_s"], "changed": changes_in(rep)})
        log(f"invoke provision (no-op) {i + 1}/3: {s:.1f}s, {changes_in(rep)} changed")
    res["noop"] = {"runs": noop, "median_wall_s": med([r["wall_s"] for r in noop]),
                   "median_stages_s": med([sum(r["stages_s"].values()) for r in noop]),
                   "changed": max(r["changed"] for r in noop)}
    s, p, rep = b.up("up-again")
    res["up_again"] = {"wall_s": s, **p, "changed": changes_in(rep)}
    log(f"invoke up again: {s:.1f}s, {changes_in(rep)} changed")
    for task in ("render", "doctor"):
        _, s = b.invoke(task, task)
        res[f"{task}_s"] = s
    if b.snapshot() != tool_state:
        res["noop_state_changed"] = True

    # 3. one remote command
    res["cost"] = b.remote("cost", cost_n)
    log(f"Host.run('true'): median {res['cost']['host_run_true_median_s'] * 1000:.0f} ms over {cost_n}")

    # 4. tool vs shell vs Ansible, from the same reset state
    res["rounds"] = []
    for i in range(rounds):
        rnd: dict = {}
        b.reset()
        s1, p1, rep1 = b.provision(f"r{i}-tool-first")
        s2, p2, rep2 = b.provision(f"r{i}-tool-again")
        problems = compare_states(tool_state, b.snapshot())
        rnd["tool"] = {"first_s": s1, "first_stages_s": p1["stages_s"], "first_changed": changes_in(rep1),
                       "again_s": s2, "again_stages_s": p2["stages_s"], "again_changed": changes_in(rep2),
                       "state_problems": problems}
        b.reset()
        f, f_nodes = b.shell(f"r{i}-shell-first")
        a, a_nodes = b.shell(f"r{i}-shell-again")
        rnd["shell"] = {"first_s": f, "first_nodes_s": f_nodes, "again_s": a, "again_nodes_s": a_nodes,
                        "state_problems": compare_states(tool_state, b.snapshot())}
        b.reset()
        f, fc = b.ansible(f"r{i}-ansible-first")
        a, ac = b.ansible(f"r{i}-ansible-again")
        rnd["ansible"] = {"first_s": f, "first_changed": fc, "again_s": a, "again_changed": ac,
                          "state_problems": compare_states(tool_state, b.snapshot())}
        for peer in ("shell", "ansible"):
            rnd[f"ratio_first_{peer}"] = rnd["tool"]["first_s"] / rnd[peer]["first_s"]
            rnd[f"ratio_again_{peer}"] = rnd["tool"]["again_s"] / rnd[peer]["again_s"]
        res["rounds"].append(rnd)
        log(f"round {i + 1}/{rounds}: tool {s1:.1f}/{s2:.1f}s, shell {rnd['shell']['first_s']:.1f}/"
            f"{rnd['shell']['again_s']:.1f}s, ansible {f:.1f}/{a:.1f}s (first/again); state: "
            + ", ".join(f"{k} {'same' if not rnd[k]['state_problems'] else 'DIFFERENT'}"
                        for k in ("tool", "shell", "ansible")))
    b.close_ansible_masters()

    # medians and targets
    R = res["rounds"]
    m = {}
    for who in ("tool", "shell", "ansible"):
        for k in ("first_s", "again_s"):
            m[f"{who}_{k}"] = med([r[who][k] for r in R])
    for k in ("ratio_first_shell", "ratio_again_shell", "ratio_first_ansible", "ratio_again_ansible"):
        m[k] = med([r[k] for r in R])
    m["tool_first_changed"] = med([r["tool"]["first_changed"] for r in R])
    m["ansible_first_changed"] = med([r["ansible"]["first_changed"] for r in R])
    m["ansible_again_changed"] = max(r["ansible"]["again_changed"] for r in R) if R else None
    res["medians"] = m
    first_prov = m["tool_first_s"]
    res["targets"] = {
        "noop_le_fifth_of_first": res["noop"]["median_wall_s"] <= first_prov / 5 if first_prov else None,
        "noop_zero_changes": res["noop"]["changed"] == 0,
        **{f"{k}_le_half": (m[k] <= 0.5 if m[k] is not None else None)
           for k in ("ratio_first_shell", "ratio_again_shell", "ratio_first_ansible", "ratio_again_ansible")},
        "same_state": all(not r[w]["state_problems"] for r in R for w in ("tool", "shell", "ansible")),
    }
    return res


def table(res: dict) -> Table:
    t = Table(title="k8s-lab benchmark (debian12 lab, 3 nodes, until etcd)", show_lines=False)
    for col in ("measure", "k8s-lab", "shell (vagrant ssh)", "Ansible", "ours/shell", "ours/Ansible", "target"):
        t.add_column(col, justify="left" if col in ("measure", "target") else "right")
    f = lambda x: "—" if x is None else f"{x:.1f}s"  # noqa: E731
    r = lambda x: "—" if x is None else f"{x:.2f}"  # noqa: E731
    up = res["up_first"]
    t.add_row("up --until etcd from nothing (wall)", f(up["wall_s"]), "", "", "", "", "")
    t.add_row("  boot (VMs up in)", f(up["boot_s"]), "", "", "", "", "")
    for stage, s in up["stages_s"].items():
        t.add_row(f"  stage {stage}", f(s), "", "", "", "", "")
    t.add_row("  verify", f(up["verify_s"]), "", "", "", "", "")
    t.add_row("  rest (render, doctor, SSH set-up, start-up)", f(up["rest_s"]), "", "", "", "", "")
    n = res["noop"]
    t.add_row("provision again on the finished lab (median of 3)", f(n["median_wall_s"]), "", "", "", "",
              f"≤ 1/5 of first ({'met' if res['targets']['noop_le_fifth_of_first'] else 'NOT met'}); "
              f"{n['changed']} changes")
    t.add_row("up again on the finished lab", f(res["up_again"]["wall_s"]), "", "", "", "",
              f"{res['up_again']['changed']} changes")
    m = res["medians"]
    k = len(res["rounds"])
    t.add_row(f"provisioning from reset state, first run (median of {k})", f(m["tool_first_s"]),
              f(m["shell_first_s"]), f(m["ansible_first_s"]), r(m["ratio_first_shell"]),
              r(m["ratio_first_ansible"]), "ratios ≤ 0.5")
    t.add_row(f"provisioning re-run (median of {k})", f(m["tool_again_s"]), f(m["shell_again_s"]),
              f(m["ansible_again_s"]), r(m["ratio_again_shell"]), r(m["ratio_again_ansible"]), "ratios ≤ 0.5")
    c = res["cost"]
    t.add_row(f"one remote command, Host.run('true') (median of {c['host_run_true_n']})",
              f"{c['host_run_true_median_s'] * 1000:.0f} ms", "", "", "", "", "")
    t.add_row("  without sudo / a file read", f"{c['run_true_without_sudo_median_s'] * 1000:.0f} ms / "
              f"{c['host_read_median_s'] * 1000:.0f} ms", "", "", "", "", "")
    t.add_row("  vagrant ssh-config / open 3 connections", f"{c['vagrant_ssh_config_s']:.1f}s / "
              f"{c['open_connections_s']:.1f}s", "", "", "", "", "")
    t.add_row("invoke render / invoke doctor", f"{res['render_s']:.1f}s / {res['doctor_s']:.1f}s", "", "", "", "", "")
    same = res["targets"]["same_state"]
    t.add_row("baselines leave the tool's state", "", "same" if same else "DIFFERENT", "same" if same else "DIFFERENT",
              "", "", "files, etcd active/enabled, flannel key")
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="tool/shell/Ansible rounds (default 3)")
    ap.add_argument("--cost-runs", type=int, default=50, help="Host.run('true') samples (default 50)")
    ap.add_argument("--no-bare-vagrant", action="store_true",
                    help="skip the bare `vagrant up` of stack's part B")
    ap.add_argument("--only-stack", action="store_true",
                    help="only bench/stack.py's parts (bare Vagrant, full stack, resets, two copies)")
    args = ap.parse_args()
    missing = missing_prerequisites()
    if missing:
        sys.exit("bench needs: " + "; ".join(missing) + " (tests/harness/host-setup.sh installs the packages)")
    ensure_ansible(log)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    lock = libvirt.session_lock(log)
    host = VmHost(log=log)
    started = time.monotonic()
    res: dict = {"machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S %z")}
    bench = None
    try:
        host.setup()
        if not args.only_stack:
            bench = Bench(host, WORK, "bench", log=log)
            res.update(run_bench(bench, args.rounds, args.cost_runs))
            bench.close_ansible_masters()
            bench.destroy()   # its VMs would take CPU from the next parts
        from bench.stack import stack
        res["stack"] = stack(host, WORK, log, bare_vagrant=not args.no_bare_vagrant)
    except Exception as e:  # recorded in results.json; the clean-up below runs regardless
        import traceback
        res["error"] = str(e) if isinstance(e, StepFailed) else traceback.format_exc()
        console.print(f"bench: {res['error']}", style="red", markup=False)
    finally:
        try:
            if bench:
                bench.close_ansible_masters()
                bench.destroy()
            host.teardown()
        finally:
            lock.close()
    res["harness_s"] = host.timings
    res["total_s"] = time.monotonic() - started
    # --only-stack keeps the full run's results.json and writes its own beside it
    out = RESULTS.with_name("results-stack.json") if args.only_stack else RESULTS
    out.write_text(json.dumps(res, indent=1) + "\n")
    if "error" in res:
        sys.exit(1)
    if args.only_stack:
        from bench.markdown import stack_table
        (WORK / "table.md").write_text(stack_table(res["stack"]) + "\n")
        console.print(stack_table(res["stack"]), markup=False)
        return
    console.print(table(res))
    for r in res["rounds"]:
        for who in ("tool", "shell", "ansible"):
            for p in r[who]["state_problems"]:
                console.print(f"{who}: {p}", style="yellow", markup=False)
    from bench.markdown import render
    (WORK / "table.md").write_text(render(res))
    console.print(f"results: {RESULTS}; Markdown: {WORK / 'table.md'}; outputs: {WORK / 'out'}; total {res['total_s'] / 60:.1f} min")


if __name__ == "__main__":
    main()
