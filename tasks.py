"""k8s-lab: build, check and tear down the tutorial's Kubernetes teaching cluster.

Every task takes --config PATH (default: $K8S_LAB_CONFIG, else ./lab.yaml) and, for a lab file
with `copies: N`, --copy K (one copy, a list like 1,3, or all: the default).
"""
from __future__ import annotations

import functools
import inspect
import os
import sys

from invoke import Exit, task

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# Only Invoke and the exception tree here: `invoke --list` needs the tasks' names and help
# texts, nothing else. Each task imports its own module of k8slab/commands (and the lab file's
# model, the playbook, the class page) when it runs, so --list and the other tasks load none of
# what they do not use.
from k8slab.errors import LabError  # noqa: E402

CONFIG_HELP = {"config": "lab file (default: $K8S_LAB_CONFIG, else ./lab.yaml)",
               "copy": "with copies: N in the lab file: one copy (2), some (1,3) or all (default)"}


# Invoke's own options for the commands a task runs through c.run; these tasks run none that
# way, so each would be silently ignored: (config value set, flag, what to do instead).
CORE_OPTIONS = (
    (lambda c: c.config.run.dry, "--dry (-R)",
     "to see what would change without changing it: invoke plan (or provision --dry-run)"),
    (lambda c: c.config.run.echo, "--echo (-e)", "every command run on a node is in .lab/<name>/logs/<node>.log"),
    (lambda c: c.config.run.warn, "--warn-only (-w)", "a failing step stops its node; the others finish"),
    (lambda c: c.config.run.pty, "--pty (-p)", "invoke ssh NODE opens an interactive shell"),
    (lambda c: c.config.run.hide not in (None, False), "--hide", "the output is the report itself"),
    (lambda c: c.config.timeouts.command, "--command-timeout (-T)", "commands on the nodes have their own"),
    (lambda c: c.config.sudo.password, "--prompt-for-sudo-password", "k8s-lab asks for nothing"),
)


def refuse_core_options(c) -> None:
    """Stop before anything runs when one of Invoke's own options was given: it would do nothing."""
    given = [(flag, instead) for is_set, flag, instead in CORE_OPTIONS if is_set(c)]
    if given:
        raise Exit("; ".join(f"{flag} is Invoke's own option and does nothing for k8s-lab's tasks "
                             f"({instead})" for flag, instead in given), code=2)


def lab_task(*args, **kwargs):
    """@task whose LabErrors end as a message and exit code 1, never a traceback."""
    def wrap(fn):
        @functools.wraps(fn)
        def run(c, *a, **kw):
            refuse_core_options(c)
            try:
                return fn(c, *a, **kw)
            except LabError as e:
                raise Exit(f"error: {e}", code=1) from None
            except KeyboardInterrupt:
                raise Exit("interrupted: run the same command again to finish the job", code=130) from None
        params = inspect.signature(fn).parameters   # the class-wide tasks take no --copy
        shared = {k: v for k, v in CONFIG_HELP.items() if k in params}
        return task(*args, help={**shared, **kwargs.pop("help", {})}, auto_shortflags=False,
                    **kwargs)(run)
    return wrap


def lab_file(config):
    """The lab file, loaded and validated: a bad file is refused (ConfigError) before anything runs."""
    from k8slab.config import default_config_path
    from provision.lab import load_lab
    return load_lab(config or default_config_path())


def load(config, copy=""):
    """The lab file, and the copies of it a task works on (the lab itself for copies: 1)."""
    from k8slab import copies as class_copies
    lab = lab_file(config)
    return lab, class_copies.select(lab, class_copies.expand(lab), copy)


@lab_task()
def render(c, config="", copy=""):
    """Write the lab's Vagrantfile into its lab folder and print its path.

    Rendered from Vagrantfile.j2 (top level); rewritten only when it changes."""
    from k8slab import lifecycle
    for lab in load(config, copy)[1]:
        path, changed, provider = lifecycle.render(lab)
        print(f"{path} ({provider}, {'written' if changed else 'unchanged'})")


@lab_task(help={"until": "last stage to apply (base, etcd, master, network, nodes, start); "
                         "default: the lab file's `until`",
                "verify": "run `verify` at the end (default on)",
                "pods": "verify with the pods check too (a pod on each node, pinging the other)"})
def up(c, config="", until="", verify=True, copy="", pods=False):
    """Boot the VMs, apply the stages up to --until, verify. Safe to re-run.

    Renders the Vagrantfile, boots what is not running, provisions (checkpoints after the stages
    the lab file lists), then verifies. Several copies come up side by side."""
    from k8slab import copies as class_copies
    from k8slab.commands import up as command
    from provision import TUTORIAL
    lab = lab_file(config)
    everyone = class_copies.expand(lab)
    copies = class_copies.select(lab, everyone, copy)
    _exit_for(command.up(lab, copies, TUTORIAL, until, verify, with_pods=pods, everyone=everyone))


@lab_task(help={"until": "last stage to apply (default: the lab file's `until`)",
                "dry_run": "print per node the diff of each file and each command, change nothing"})
def provision(c, config="", until="", dry_run=False, copy=""):
    """Apply the tutorial's configuration to running VMs, stage by stage (changed/ok)."""
    from k8slab.commands import provision as command
    from provision import TUTORIAL
    lab, copies = load(config, copy)
    command.provision(lab, copies, TUTORIAL, until, dry_run)


@lab_task(help={"until": "last stage to plan (default: the lab file's `until`)"})
def plan(c, config="", until="", copy=""):
    """Show what provisioning would change, and change nothing (= provision --dry-run)."""
    provision(c, config=config, until=until, dry_run=True, copy=copy)


def _exit_for(verdict):
    """verify's Verdict as the task's exit code (0 passed, 1 a check failed, 3 nothing checked)."""
    from k8slab.checks.runner import Verdict   # loaded already: the task has just verified
    if verdict == Verdict.FAILED:
        raise Exit("verify: some checks failed (see the table above and the report)", code=int(verdict))
    if verdict == Verdict.NOTHING_CHECKED:
        raise Exit("verify: nothing was checked (the reason is above)", code=int(verdict))


@lab_task(help={"stage": "check these stages (repeatable) instead of the applied ones",
                "pods": "also run a pod on each node, ping pod to pod across the overlay, delete them"},
          iterable=["stage"])
def verify(c, config="", stage=None, copy="", pods=False):
    """Run the tutorial's smoke tests for the applied stages (exit 1: one failed, 3: none ran)."""
    from k8slab.commands import verify as command
    from provision import TUTORIAL
    _exit_for(command.verify(load(config, copy)[1], TUTORIAL, stages=stage or None, with_pods=pods))


@lab_task()
def suspend(c, config="", copy=""):
    """Stop the copies for the night: each running VM saved to disk, its memory freed.

    libvirt's managed save (a VM that cannot be saved is shut down instead); `invoke up`
    resumes them as they were, clocks stepped to now, checkpoints kept."""
    from k8slab.commands import suspend as command
    command.suspend(load(config, copy)[1])


@lab_task(help={"to": "required: the stage whose checkpoint to go back to (base, etcd, master, "
                      "network, nodes, start)"})
def reset(c, to, config="", copy=""):
    """Put the copies back to the moment stage --to finished, from their checkpoint.

    VMs, stages and status agree afterwards; the guests' clocks are set to now, the students'
    keys put back."""
    from k8slab.commands import reset as command
    lab, copies = load(config, copy)
    command.reset(lab, copies, to)


@lab_task()
def doctor(c, config="", copy=""):
    """Check the host for the lab and all its copies; each problem with its fix.

    Vagrant, the provider, KVM, networks, memory, disk, CPUs, the box, the students' gateway;
    with servers: each server (reached? its memory, CPUs, disk, KSM; the subnets of the copies
    placed there free?) and where `up` would place the copies."""
    from k8slab import __version__
    from k8slab import copies as class_copies
    from k8slab import doctor as checks
    from k8slab.commands import place
    from k8slab.doctor import server_networks, servers
    from k8slab.providers import resolve_provider
    from provision import TUTORIAL
    lab = lab_file(config)
    everyone = class_copies.expand(lab)
    copies = class_copies.select(lab, everyone, copy)
    print(f"k8s-lab {__version__}, lab file {lab.path}")
    findings = checks.run_doctor(lab, resolve_provider(lab), copies, TUTORIAL)
    reads = place.read_servers(lab) if place.needs_placing(lab) else {}
    # where the copies are, or where `up` would put those not placed yet (nothing written here)
    try:
        proposed = place.propose(lab, copies, everyone, reads) if reads else None
    except LabError:
        checks.print_findings(findings + servers.findings(lab, reads))   # what was found, then why
        raise
    findings += servers.findings(lab, reads) if reads else \
        [servers.room_here(lab, servers.read_server(lab, lab.servers[0]))] \
        if resolve_provider(lab) == "libvirt" else []
    findings += server_networks.findings(lab, copies, reads, proposed.server_of) if proposed else []
    checks.print_findings(findings)
    if proposed:
        place.show(proposed)
    if checks.blocking(findings):
        raise Exit("doctor: some checks failed; each has its fix above", code=1)


@lab_task(help={"json": "print the same facts as JSON (for an instructor's own scripts), no tables"})
def status(c, config="", copy="", json=False):
    """Show each copy's VMs, stage, last verify and student; write the class page.

    The same facts as one static HTML page (.lab/<name>/class.html), or with --json as JSON."""
    from k8slab.commands import status as command
    from provision import TUTORIAL
    lab, copies = load(config, copy)
    command.status(lab, copies, TUTORIAL, as_json=json)


@lab_task(help={"yes": "do not ask for confirmation"})
def destroy(c, config="", yes=False, copy=""):
    """Delete the VMs, checkpoints and networks of the lab, or of the --copy given. Asks first.

    The other copies are untouched. Succeeds when there is nothing to delete."""
    from k8slab.commands import destroy as command
    lab, copies = load(config, copy)
    names = ", ".join(x.name for x in copies)
    if not yes:
        if not sys.stdin.isatty():
            raise Exit(f"destroy: refusing to delete lab {names} without --yes (no terminal to ask on)")
        answer = input(f"Destroy the VMs of lab {names} ({', '.join(n.name for n in lab.nodes)})? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise Exit("destroy: cancelled", code=1)
    command.destroy(lab, copies)


@lab_task(help={"stop": "stop the gateway instead (the students' keys stay on the VMs)"})
def gateway(c, config="", stop=False):
    """Start the students' SSH gateway or bring it up to date; --stop stops it.

    Every student's key goes on their copy's running VMs, the gateway's keys file follows the
    VMs' addresses, and each student's handout is written (class folder, handouts/)."""
    from k8slab.commands import gateway as command
    lab = lab_file(config)
    command.require(lab)
    if stop:
        command.stop(lab)
        return
    command.gateway(lab)


@lab_task(help={"revoke": "close this student's way in (the gateway at once, their VMs next)",
                "reissue": "give this student a new key (or their lab-file key) and handout, "
                           "and open their way in again"})
def students(c, config="", revoke="", reissue=""):
    """Show the class roster, or revoke or re-issue one student's key.

    Each student's copy, key, whether it is installed on their VMs, and their handout.

    --revoke NAME or --reissue NAME changes that one student and nobody else."""
    from k8slab.commands import gateway as command
    lab = lab_file(config)
    command.require(lab)
    if revoke and reissue:
        raise Exit("students: give --revoke or --reissue, not both", code=1)
    command.students(lab, revoke or reissue, revoke=bool(revoke))


@lab_task(help={"node": "the node, given as is: invoke ssh k8s-master",
                "command": "run this command instead of a shell"})
def ssh(c, node, config="", command="", copy=""):
    """Open a shell on NODE (or run --command there): invoke ssh k8s-master."""
    from k8slab.commands import ssh as session
    base, copies = load(config, copy)
    if len(copies) != 1:
        raise Exit(f"ssh: lab {base.name} has {base.copies} copies: say which with --copy "
                   f"(1..{base.copies})", code=1)
    lab = copies[0]
    if command:
        raise Exit(code=session.run_command(lab, node, command))
    session.shell(lab, node)
