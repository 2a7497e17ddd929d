"""The user's command line, run by the VM tests inside the harness's namespace."""
from __future__ import annotations


def invoke(vmhost, *args, check=True):
    """`invoke ARGS` as a user runs it; printed (pytest shows it on failure); with check, exit 0."""
    r = vmhost.run(vmhost.invoke(*args), capture_output=True, text=True)
    print(r.stdout, r.stderr)
    if check:
        assert r.returncode == 0, f"invoke {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}"
    return r


def on_node(vmhost, lab, node, command):
    """`invoke ssh NODE --command COMMAND` on the lab file `lab`."""
    return invoke(vmhost, "ssh", node, "--config", str(lab), "--command", command, check=False)
