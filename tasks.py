"""k8s-lab: build, check and tear down the tutorial's Kubernetes teaching cluster.

Every task takes --config PATH (default: $K8S_LAB_CONFIG, else ./lab.yaml).
"""
from __future__ import annotations

import functools
import os
import sys

from invoke import Exit, task

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from k8slab import lifecycle, workflow  # noqa: E402
from k8slab.errors import LabError  # noqa: E402

CONFIG_HELP = {"config": "lab file (default: $K8S_LAB_CONFIG, else ./lab.yaml)"}


def lab_task(*args, **kwargs):
    """@task whose LabErrors end as a message and exit code 1, never a traceback."""
    def wrap(fn):
        @functools.wraps(fn)
        def run(c, *a, **kw):
            try:
                return fn(c, *a, **kw)
            except LabError as e:
                raise Exit(f"error: {e}", code=1) from None
            except KeyboardInterrupt:
                raise Exit("interrupted: run the same command again to finish the job", code=130) from None
        return task(*args, help={**CONFIG_HELP, **kwargs.pop("help", {})}, auto_shortflags=False,
                    **kwargs)(run)
    return wrap


@lab_task()
def render(c, config=""):
    """Write the lab's Vagrantfile (from k8slab/templates/Vagrantfile.j2) into its lab folder and print its path."""
    lab = lifecycle.load(config)
    path, changed, provider = lifecycle.render(lab)
    print(f"{path} ({provider}, {'written' if changed else 'unchanged'})")


@lab_task(help={"until": "last stage to apply (base, etcd, master, network, nodes, start); "
                         "default: the lab file's `until`",
                "verify": "run `verify` at the end (default on)"})
def up(c, config="", until="", verify=True):
    """Render, boot the VMs, provision the stages up to --until, then verify. Safe to re-run."""
    from provision import TUTORIAL
    _exit_for(workflow.up(lifecycle.load(config), TUTORIAL, until, verify))


@lab_task(help={"until": "last stage to apply (default: the lab file's `until`)",
                "dry_run": "print per node the diff of each file and each command, change nothing"})
def provision(c, config="", until="", dry_run=False):
    """Apply the tutorial's configuration to running VMs, stage by stage; reports changed/ok."""
    from provision import TUTORIAL
    workflow.provision(lifecycle.load(config), TUTORIAL, until, dry_run)


@lab_task(help={"until": "last stage to plan (default: the lab file's `until`)"})
def plan(c, config="", until=""):
    """Same as `provision --dry-run`: show what provisioning would change, change nothing."""
    provision(c, config=config, until=until, dry_run=True)


def _exit_for(verdict):
    """verify's Verdict as the task's exit code (0 passed, 1 a check failed, 3 nothing checked)."""
    from k8slab.checks.runner import Verdict
    if verdict == Verdict.FAILED:
        raise Exit("verify: some checks failed (see the table above and the report)", code=int(verdict))
    if verdict == Verdict.NOTHING_CHECKED:
        raise Exit("verify: nothing was checked (the reason is above)", code=int(verdict))


@lab_task(help={"stage": "check these stages (repeatable) instead of the applied ones"},
          iterable=["stage"])
def verify(c, config="", stage=None):
    """Run the tutorial's smoke tests for the applied stages; exit 1 if one fails, 3 if none could run."""
    from k8slab.checks.runner import verify as run_checks
    _exit_for(run_checks(lifecycle.load(config), stages=stage or None))


@lab_task()
def doctor(c, config=""):
    """Check the host for the lab: Vagrant, the provider, KVM, networks, memory, disk, CPUs, box."""
    from k8slab import doctor as checks
    lab = lifecycle.load(config)
    findings = checks.run_doctor(lab, lifecycle.provider(lab))
    checks.print_findings(findings)
    if checks.blocking(findings):
        raise Exit("doctor: some checks failed; each has its fix above", code=1)


@lab_task()
def status(c, config=""):
    """Show each node's roles, IP and VM state, and the stages applied."""
    lifecycle.status(lifecycle.load(config))


@lab_task(help={"yes": "do not ask for confirmation"})
def destroy(c, config="", yes=False):
    """Delete this lab's VMs and networks (asks first). Succeeds when there is nothing to delete."""
    lab = lifecycle.load(config)
    if not yes:
        if not sys.stdin.isatty():
            raise Exit(f"destroy: refusing to delete lab {lab.name} without --yes (no terminal to ask on)")
        answer = input(f"Destroy the VMs of lab {lab.name} ({', '.join(n.name for n in lab.nodes)})? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise Exit("destroy: cancelled", code=1)
    workflow.destroy(lab)


@lab_task(help={"node": "node name, e.g. k8s-master", "command": "run this command instead of a shell"})
def ssh(c, node, config="", command=""):
    """Open a shell on NODE (or run --command there) over the lab's SSH settings."""
    lab = lifecycle.load(config)
    if command:
        raise Exit(code=lifecycle.ssh_command(lab, node, command))
    argv = lifecycle.ssh_argv(lab, node)
    os.execvp(argv[0], argv)
