"""lab.yaml's servers: key (docs/design-several-servers.md, section 1): left out it is this host
alone, exactly as before; written, every rule of the design reports the key path, the line,
the value and what is wrong. The whole files are pinned in tests/golden/config/servers-*.txt
(tests/unit/tutorial/test_config.py); here each rule is checked on its own, with the engine's lab
model (engine_lab.py)."""
from __future__ import annotations

import pytest

from k8slab.allocate.resources import HEADROOM_MIB
from k8slab.config import load_lab as load_engine
from k8slab.config.schema import Lab
from k8slab.errors import ConfigError, LabError

NODES = """\
name: k8s-lab
nodes:
  - {name: k8s-master, ip: 192.168.0.15, roles: [server]}
  - {name: k8s-node1, ip: 192.168.0.16, roles: [worker]}
"""


def problems(lab_from_text, text) -> list:
    with pytest.raises(ConfigError) as info:
        lab_from_text(text)
    return [(p.path, p.line, p.message) for p in info.value.problems]


def test_a_lab_without_servers_is_this_host_alone_as_before(lab_from_text):
    plain = lab_from_text(NODES)
    assert [(s.name, s.host, s.remote, s.target) for s in plain.servers] == [
        ("local", "local", False, "this host")]
    written = lab_from_text(NODES + "servers:\n  - {name: local, host: local}\n")
    assert written.model_dump() == plain.model_dump()


def test_servers_are_read_with_their_defaults(lab_from_text):
    lab = lab_from_text(NODES + """\
provider: libvirt
servers:
  - {name: lab1, host: local, max_copies: 0, reserve_memory: 2048}
  - name: lab2
    host: lab2.school.example
    user: root
    port: 2222
    key: ~/.ssh/id_ed25519
    gateway_address: 203.0.113.7
  - {name: lab3, host: 192.0.2.10}
""")
    lab1, lab2, lab3 = lab.servers
    assert (lab1.remote, lab1.target, lab1.max_copies, lab1.reserve_memory) == (False, "this host", 0, 2048)
    assert (lab2.remote, lab2.target, lab2.key, lab2.gateway_address) == (
        True, "root@lab2.school.example:2222", "~/.ssh/id_ed25519", "203.0.113.7")
    # ssh's own defaults: no user, port 22; doctor's headroom; no cap
    assert (lab3.user, lab3.port, lab3.key, lab3.reserve_memory, lab3.max_copies) == (
        None, 22, None, HEADROOM_MIB, None)
    assert lab3.target == "192.0.2.10:22"
    assert lab.server("lab2") is lab2
    with pytest.raises(LabError, match="no server named lab9; servers are lab1, lab2, lab3"):
        lab.server("lab9")


def test_the_engines_own_lab_has_servers_too(tmp_path):
    path = tmp_path / "lab.yaml"
    path.write_text("nodes:\n  - {name: a, ip: 192.168.0.15, roles: [x]}\n"
                    "servers: [{name: lab1, host: local}, {name: lab2, host: lab2}]\n")
    assert [s.target for s in load_engine(path, Lab).servers] == ["this host", "lab2:22"]


# Each rule of the design, with the problem it reports: (key path, line, message).
RULES = {
    "empty": ("servers: []\n", [
        ("servers", 5, "is empty; list at least one server, or leave servers out (this host only)")]),
    "name-twice": ("servers:\n  - {name: lab1, host: local}\n  - {name: lab1, host: lab2}\n", [
        ("servers[1].name", 7, "lab1 is also servers[0]'s name (line 6); give each server its own "
         "(it names the server in status and in .lab/<name>/class.json)")]),
    "server-twice": ("servers:\n  - {name: lab1, host: lab2.school.example, user: root}\n"
                     "  - {name: lab2, host: lab2.school.example, user: root, port: 22}\n", [
        ("servers[1]", 7, "root@lab2.school.example:22 is also servers[0] (line 6); list each "
         "server once")]),
    "local-twice": ("servers:\n  - {name: lab1, host: local}\n  - {name: lab2, host: local}\n", [
        ("servers[1]", 7, "local is also servers[0] (line 6); list each server once")]),
    "local-with-user": ("servers:\n  - {name: lab1, host: local, user: root}\n", [
        ("servers[0].user", 6, "host local is reached without SSH; remove user (and port, key)")]),
    "local-with-port": ("servers:\n  - {name: lab1, host: local, port: 22}\n", [
        ("servers[0].port", 6, "host local is reached without SSH; remove port (and user, key)")]),
    "local-with-key": ("servers:\n  - name: lab1\n    host: local\n    key: ~/.ssh/id\n", [
        ("servers[0].key", 8, "host local is reached without SSH; remove key (and user, port)")]),
    "host-with-space": ("servers:\n  - {name: lab2, host: lab 2}\n", [
        ("servers[0].host", 6, "'lab 2' is not a host name or IPv4 address; write local, or the "
         "name ssh reaches (e.g. lab2.school.example)")]),
    "host-with-user": ("servers:\n  - {name: lab2, host: root@lab2}\n", [
        ("servers[0].host", 6, "'root@lab2' is not a host name or IPv4 address; write local, or the "
         "name ssh reaches (e.g. lab2.school.example); the user goes under user:")]),
    "needs-libvirt": ("provider: virtualbox\nservers:\n  - {name: lab2, host: lab2}\n", [
        ("servers", 6, "needs the libvirt provider (a copy on another server is a libvirt "
         "connection over SSH); set provider: libvirt")]),
    "one-gateway-address": ("gateway: {address: lab1.school.example}\n"
                            "servers:\n  - {name: lab1, host: local}\n  - {name: lab2, host: lab2}\n", [
        ("gateway.address", 5, "with several servers each has its own address for students; "
         "set servers[k].gateway_address instead")]),
    "max-copies-negative": ("servers:\n  - {name: lab1, host: local, max_copies: -1}\n", [
        ("servers[0].max_copies", 6, "-1 must be 0 or more")]),
    "reserve-negative": ("servers:\n  - {name: lab1, host: local, reserve_memory: -1}\n", [
        ("servers[0].reserve_memory", 6, "-1 must be 0 or more")]),
    "bad-name": ("servers:\n  - {name: 2nd, host: local}\n", [
        ("servers[0].name", 6, "'2nd' is not a valid server name: lowercase letters, digits and '-', "
         "starting with a letter, at most 20 characters (it names the server in status and in "
         ".lab/<name>/class.json)")]),
    "bad-user": ("servers:\n  - {name: lab2, host: lab2, user: Root}\n", [
        ("servers[0].user", 6, "'Root' is not a user name of the lab server (lowercase letters, "
         "digits, '_' and '-', at most 32 characters)")]),
    "bad-gateway-address": ("servers:\n  - {name: lab2, host: lab2, gateway_address: 'lab 2'}\n", [
        ("servers[0].gateway_address", 6, "'lab 2' is not a host name or IPv4 address students "
         "can type (like lab1.school.example or 203.0.113.7)")]),
    "host-missing": ("servers:\n  - {name: lab2}\n", [("servers[0].host", 6, "is required")]),
    "unknown-key": ("servers:\n  - {name: lab2, host: lab2, max_copy: 3}\n", [
        ("servers[0].max_copy", 6, "unknown key 'max_copy'; did you mean 'max_copies'?")]),
    "not-a-list": ("servers: lab2\n", [
        ("servers", 5, "expected a list, got 'lab2' (a string)")]),
}


@pytest.mark.parametrize("name", RULES)
def test_each_servers_rule_names_the_key_line_value_and_fix(lab_from_text, name):
    text, expected = RULES[name]
    assert problems(lab_from_text, NODES + text) == expected


def test_one_server_keeps_gateway_address_and_any_provider(lab_from_text):
    lab = lab_from_text(NODES + "provider: virtualbox\nservers: [{name: here, host: local}]\n")
    assert lab.servers[0].name == "here"
    lab = lab_from_text(NODES + "gateway: {address: lab1.school.example}\n"
                        "servers: [{name: here, host: local}]\n")
    assert lab.gateway.address == "lab1.school.example"


def test_different_users_or_ports_are_different_servers(lab_from_text):
    lab = lab_from_text(NODES + "servers:\n  - {name: a, host: lab2}\n  - {name: b, host: lab2, "
                        "user: root}\n  - {name: c, host: lab2, port: 2222}\n")
    assert [s.target for s in lab.servers] == ["lab2:22", "root@lab2:22", "lab2:2222"]
