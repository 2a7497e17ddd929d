"""bench/results.json as the Markdown tables of docs/benchmarks.md:  python bench/markdown.py"""
from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.json"


def s(x):
    return "—" if x is None else f"{x:.1f} s"


def r(x):
    return "—" if x is None else f"{x:.2f}"


def render(res: dict) -> str:
    m, up, n, c = res["medians"], res["up_first"], res["noop"], res["cost"]
    t = res["targets"]
    k = len(res["rounds"])
    mach = res["machine"]
    out = [f"Run {res['started']}; {mach['nproc']} CPUs, {mach['memory_gib']} GiB, {mach['cpu']}; "
           f"{mach['virtualization']}; {mach['vms']}; {mach['vagrant']}, {mach['qemu']}, {mach['ansible']}.",
           "",
           "| measure | k8s-lab | shell (vagrant ssh) | Ansible | ours/shell | ours/Ansible | target |",
           "|---|---:|---:|---:|---:|---:|---|",
           f"| `invoke up --until etcd` from nothing (wall) | {s(up['wall_s'])} | | | | | |",
           f"| &nbsp; boot (`VMs up in`) | {s(up['boot_s'])} | | | | | |"]
    out += [f"| &nbsp; stage {st} | {s(v)} | | | | | |" for st, v in up["stages_s"].items()]
    out += [f"| &nbsp; verify | {s(up['verify_s'])} | | | | | |",
            f"| &nbsp; rest (render, doctor, SSH set-up, Python start-up) | {s(up['rest_s'])} | | | | | |",
            f"| `invoke provision` on the finished lab (median of 3) | {s(n['median_wall_s'])} | | | | | "
            f"≤ 1/5 of first provisioning: {'met' if t['noop_le_fifth_of_first'] else '**not met**'}; "
            f"{n['changed']} changes |",
            f"| `invoke up` on the finished lab | {s(res['up_again']['wall_s'])} | | | | | "
            f"{res['up_again']['changed']} changes |",
            f"| provisioning from the reset state, first run (median of {k}) | {s(m['tool_first_s'])} | "
            f"{s(m['shell_first_s'])} | {s(m['ansible_first_s'])} | {r(m['ratio_first_shell'])} | "
            f"{r(m['ratio_first_ansible'])} | ≤ 0.5: shell {'met' if t['ratio_first_shell_le_half'] else '**not met**'}, "
            f"Ansible {'met' if t['ratio_first_ansible_le_half'] else '**not met**'} |",
            f"| provisioning re-run (median of {k}) | {s(m['tool_again_s'])} | {s(m['shell_again_s'])} | "
            f"{s(m['ansible_again_s'])} | {r(m['ratio_again_shell'])} | {r(m['ratio_again_ansible'])} | "
            f"≤ 0.5: shell {'met' if t['ratio_again_shell_le_half'] else '**not met**'}, "
            f"Ansible {'met' if t['ratio_again_ansible_le_half'] else '**not met**'} |",
            f"| one remote command, `Host.run(\"true\")` (median of {c['host_run_true_n']}) | "
            f"{c['host_run_true_median_s'] * 1000:.0f} ms | | | | | |",
            f"| &nbsp; the same without sudo / one file read | {c['run_true_without_sudo_median_s'] * 1000:.0f} ms / "
            f"{c['host_read_median_s'] * 1000:.0f} ms | | | | | |",
            *([f"| &nbsp; the first, which starts the node's root shell (SSH session, `sudo`, bash) | "
               f"{s(c['shell_start_s'])} | | | | | |"] if "shell_start_s" in c else []),
            f"| &nbsp; `vagrant ssh-config` / opening the 3 connections | {s(c['vagrant_ssh_config_s'])} / "
            f"{s(c['open_connections_s'])} | | | | | |",
            f"| `invoke render` / `invoke doctor` | {s(res['render_s'])} / {s(res['doctor_s'])} | | | | | |",
            f"| baselines leave the tool's state (files, etcd active/enabled, flannel key) | | "
            f"{'same' if t['same_state'] else '**different**'} | {'same' if t['same_state'] else '**different**'} | | | |",
            "", "Per round (seconds, first / re-run):", "",
            "| round | k8s-lab | shell | Ansible (changes) | ours/shell | ours/Ansible |",
            "|---|---:|---:|---:|---:|---:|"]
    for i, x in enumerate(res["rounds"], 1):
        out.append(f"| {i} | {x['tool']['first_s']:.1f} / {x['tool']['again_s']:.1f} | "
                   f"{x['shell']['first_s']:.1f} / {x['shell']['again_s']:.1f} | "
                   f"{x['ansible']['first_s']:.1f} ({x['ansible']['first_changed']}) / "
                   f"{x['ansible']['again_s']:.1f} ({x['ansible']['again_changed']}) | "
                   f"{x['ratio_first_shell']:.2f} / {x['ratio_again_shell']:.2f} | "
                   f"{x['ratio_first_ansible']:.2f} / {x['ratio_again_ansible']:.2f} |")
    if "stack" in res:
        out += ["", stack_table(res["stack"])]
    return "\n".join(out) + "\n"


def _met(ok) -> str:
    return "met" if ok else "**not met**"


def stack_table(st: dict) -> str:
    """bench/stack.py's parts: bare Vagrant vs the tool, the full stack, reset vs rebuild."""
    up, full = st["up_etcd"], st["up_start"]
    noop = st["noop_provision_all"]
    noop_med = sorted(x["wall_s"] for x in noop)[len(noop) // 2]
    noop_up = st["noop_up_all"]
    rows = [
        "Full stack, copies and resets (bench/stack.py, same session):", "",
        "| measure | seconds | target |", "|---|---:|---|",
        f"| bare `vagrant up --no-provision` of the tool's Vagrantfile (3 VMs) | {s(st.get('vagrant_up_s'))} | |",
        f"| &nbsp; of which the box's upload into the pool (the tool's run finds it there) | "
        f"{s(st.get('vagrant_upload_s'))} | left out of the ratio |",
        f"| `invoke up --until etcd` from nothing, same VMs (boot {s(up['boot_s'])}, stages "
        f"{', '.join(f'{k} {v:.1f}' for k, v in up['stages_s'].items())}, verify {s(up['verify_s'])}) | "
        f"{s(up['wall_s'])} | ≤ 1.15 × vagrant up: "
        + (f"{r(st['up_vs_vagrant'])}, {_met(st['up_vs_vagrant'] <= 1.15)} |" if "up_vs_vagrant" in st
           else "not measured in this run |"),
        f"| on to the full stack: `invoke up --until start` (stages "
        f"{', '.join(f'{k} {v:.1f}' for k, v in full['stages_s'].items())}; Ready after {full['ready_wait_s']} s "
        f"of verify's wait; verify {s(full['verify_s'])}; {full['verify_passed']} passed, "
        f"{full['verify_failed']} failed) | {s(full['wall_s'])} | |",
        f"| from nothing to both nodes Ready and verified (the two rows above) | "
        f"{s(up['wall_s'] + full['wall_s'])} | |",
        f"| no-op `invoke provision`, all six stages (median of {len(noop)}; changes "
        f"{max(x['changed'] or 0 for x in noop)}) | {s(noop_med)} | ≤ 4 s: {_met(noop_med <= 4)} |",
        f"| no-op `invoke up`, all six stages and verify ({noop_up['changed_printed']} changes; verify "
        f"{noop_up['verify_passed']} passed, {noop_up['verify_failed']} failed, {s(noop_up['verify_s'])}) | "
        f"{s(noop_up['wall_s'])} | ≤ 8 s: {_met(noop_up['wall_s'] <= 8)} |",
    ]
    if "noop_floor_s" in st:   # runs before the floor was measured have no ratios
        rows += [
            f"| the no-op floor, same minutes: start, connect, one command per node (median of "
            f"{', '.join(f'{x:.1f}' for x in st['noop_floor_s'])}) | "
            f"{s(sorted(st['noop_floor_s'])[len(st['noop_floor_s']) // 2])} | |",
            f"| no-op `invoke up` / floor | {r(st['noop_up_over_floor'])} | ≤ 1.5: "
            f"{_met(st['noop_up_over_floor'] <= 1.5)} |",
            f"| no-op `invoke provision` / floor | {r(st['noop_provision_over_floor'])} | |",
        ]
    for stage in ("etcd", "start"):
        rs = st[f"reset_{stage}"]
        rows.append(f"| `invoke reset --to {stage}` of the 3-VM copy (then verify: exit "
                    f"{rs['verify_exit']}, {rs['verify']['verify_passed']} passed) | {s(rs['wall_s'])} | "
                    f"≤ 10 s: {_met(rs['wall_s'] <= 10)} |")
    for name, cp in full.get("checkpoints", {}).items():
        rows.append(f"| checkpoint after {name.split('/')[-1]} (3 VMs paused together; disk "
                    f"{cp['mib']} MiB) | {s(cp['seconds'])} | disk reported |")
    rebuild = up["wall_s"]
    if "suspend_s" in st:
        ru = st["resume_up"]
        rows += [f"| `invoke suspend` of the 3-VM copy (managed save: memory to disk, QEMU stopped) | "
                 f"{s(st['suspend_s'])} | |",
                 f"| `invoke up` resuming it (VMs started from their saved state in {s(ru['start_s'])}; "
                 f"verify {ru['verify_passed']} passed, {ru['verify_failed']} failed) | {s(ru['wall_s'])} | |"]
    rows.append(f"| reset to etcd / rebuild to etcd from nothing | {r(st['reset_etcd']['wall_s'] / rebuild)} | "
                f"≤ 0.1: {_met(st['reset_etcd']['wall_s'] / rebuild <= 0.1)} |")
    rows.append(f"| two copies of a 2-VM lab, `invoke up --until etcd` from nothing (the rebuild) | "
                f"{s(st['class_up_s'])} | |")
    cr = st["class_reset"]
    rows.append(f"| `invoke reset --to base` of both copies at once (each: "
                f"{', '.join(f'{k} {v:.1f} s' for k, v in cr['printed_s'].items())}) | {s(cr['wall_s'])} | "
                f"ratio to the rebuild {r(cr['wall_s'] / st['class_up_s'])} |")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.stdout.write(render(json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else RESULTS).read_text())))
