"""ssh.py reads `vagrant ssh-config` as Vagrant prints it. For a copy on another lab server the
text is a real capture (tests/captured/vagrant-ssh-config-remote-libvirt.txt, from the two-server
VM test): vagrant-libvirt's ProxyCommand through that server, with %h and %p, which the tool's
connections and `invoke ssh` must both use (the VM's address exists only on that server).
The VM test itself runs the class page's line through a real second server."""
from __future__ import annotations

from pathlib import Path

from k8slab.commands import ssh as ssh_command
from k8slab.ssh import connect, parse_ssh_config

CAPTURED = Path(__file__).resolve().parents[2] / "captured"
REMOTE = (CAPTURED / "vagrant-ssh-config-remote-libvirt.txt").read_text()


def test_a_remote_vm_is_reached_through_its_server():
    t = parse_ssh_config(REMOTE)["k8s-master"]
    assert (t.host, t.port, t.user) == ("192.168.123.198", 22, "vagrant")
    assert t.proxy == "ssh '172.30.98.2' -l 'root' -W 192.168.123.198:22"   # %h:%p expanded
    # Fabric takes a str gateway as the ProxyCommand to open the connection through
    assert connect(t).gateway == t.proxy


def test_invoke_ssh_passes_the_proxy_on(monkeypatch):
    monkeypatch.setattr(ssh_command, "ssh_targets", lambda lab, vagrant: parse_ssh_config(REMOTE))
    monkeypatch.setattr(ssh_command, "Vagrant", lambda lab: None)

    class Lab:
        def node(self, name):
            return type("Node", (), {"name": name})()
    argv = ssh_command.ssh_argv(Lab(), "k8s-master")
    assert argv[argv.index("ProxyCommand=ssh '172.30.98.2' -l 'root' -W 192.168.123.198:22") - 1] == "-o"
    assert argv[-1] == "vagrant@192.168.123.198"


def test_a_vm_on_this_host_has_no_proxy():
    local = "\n".join(line for line in REMOTE.splitlines() if "ProxyCommand" not in line)
    t = parse_ssh_config(local)["k8s-master"]
    assert t.proxy is None and connect(t).gateway is None
