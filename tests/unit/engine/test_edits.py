"""k8slab.edits: KEY="value" edits in place, and the tutorial's /etc/hosts."""
from __future__ import annotations

from pathlib import Path

import pytest

from k8slab.edits import get_key, hosts_file, set_key

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
DEFAULTS = GOLDEN / "centos7" / "defaults"
EXPECTED = GOLDEN / "centos7" / "expected"

# The tutorial's table (section "拓扑结构", printed under `cat /etc/hostname`).
ENTRIES = [("192.168.0.15", "k8s-master"), ("192.168.0.15", "k8s-etcd"),
           ("192.168.0.16", "k8s-node1"), ("192.168.0.17", "k8s-node2")]
TUTORIAL_HOSTS = """\
127.0.0.1   localhost localhost.localdomain localhost4 localhost4.localdomain4
::1         localhost localhost.localdomain localhost6 localhost6.localdomain6
192.168.0.15 k8s-master
192.168.0.15 k8s-etcd
192.168.0.16 k8s-node1
192.168.0.17 k8s-node2
"""


# --- set_key / get_key -------------------------------------------------------------------

def test_replaces_the_active_line_in_place():
    text = '# comment\nA="1"\nB="2"\n# tail\n'
    assert set_key(text, "A", "x") == '# comment\nA="x"\nB="2"\n# tail\n'


def test_keeps_every_other_byte():
    text = (DEFAULTS / "apiserver").read_text()
    out = set_key(text, "KUBE_API_ADDRESS", "--insecure-bind-address=0.0.0.0")
    before, after = text.splitlines(True), out.splitlines(True)
    assert len(before) == len(after)
    assert [i for i, (a, b) in enumerate(zip(before, after)) if a != b] == [7]


def test_uncomments_the_first_commented_line_in_place():
    text = '# Any additional options\n#FLANNEL_OPTIONS=""\n#FLANNEL_OPTIONS="again"\n'
    assert set_key(text, "FLANNEL_OPTIONS", "--iface=eth1") == \
        '# Any additional options\nFLANNEL_OPTIONS="--iface=eth1"\n#FLANNEL_OPTIONS="again"\n'
    assert set_key('# KUBE_API_PORT="--port=8080"\n', "KUBE_API_PORT", "--port=8081") == \
        'KUBE_API_PORT="--port=8081"\n'


def test_prose_mentioning_the_key_is_not_uncommented():
    text = "## Use environment to override, for example: ETCD_NAME=default\n"
    assert set_key(text, "ETCD_NAME", "default") == text + 'ETCD_NAME="default"\n'


def test_active_line_wins_over_a_commented_one():
    text = '#A="old"\nA="1"\n'
    assert set_key(text, "A", "2") == '#A="old"\nA="2"\n'


def test_appends_when_absent_and_adds_the_missing_newline():
    assert set_key("", "A", "1") == 'A="1"\n'
    assert set_key("B=2", "A", "1") == 'B=2\nA="1"\n'
    assert set_key("B=2\n", "A", "1") == 'B=2\nA="1"\n'


def test_other_keys_with_the_same_prefix_are_untouched():
    text = 'KUBELET_PORT="x"\nKUBE_API_PORT="y"\n'
    assert set_key(text, "KUBE_API", "z") == text + 'KUBE_API="z"\n'


def test_keeps_crlf_endings():
    assert set_key('A="1"\r\nB="2"\r\n', "A", "3") == 'A="3"\r\nB="2"\r\n'


def test_idempotent_and_quoted():
    text = (DEFAULTS / "flanneld").read_text()
    once = set_key(text, "FLANNEL_OPTIONS", "--iface=eth1")
    assert set_key(once, "FLANNEL_OPTIONS", "--iface=eth1") is once     # no change: same text
    assert set_key("A=1\n", "A", 'say "hi"') == 'A="say \\"hi\\""\n'
    assert get_key(set_key("", "A", 'a\\b "c"'), "A") == 'a\\b "c"'


def test_rejects_bad_keys_and_multiline_values():
    with pytest.raises(ValueError):
        set_key("", "A B", "1")
    with pytest.raises(ValueError):
        set_key("", "A", "1\n2")


def test_get_key():
    text = (DEFAULTS / "kubelet").read_text()
    assert get_key(text, "KUBELET_ADDRESS") == "--address=127.0.0.1"
    assert get_key(text, "KUBELET_ARGS") == ""
    assert get_key(text, "KUBELET_PORT") is None          # only commented out
    assert get_key(text, "NOPE") is None
    assert get_key("A='x y'\nB=plain # note\nexport C=\"3\"\n", "A") == "x y"
    assert get_key("B=plain # note\n", "B") == "plain"
    assert get_key('export C="3"\n', "C") == "3"
    assert get_key('A="1"\nA="2"\n', "A") == "2"          # the shell's last one wins


# --- hosts_file ------------------------------------------------------------------------

def test_vagrant_mangled_hosts_become_the_tutorials_table():
    # CentOS 7's two localhost lines with both of Vagrant's additions: its redhat guest
    # capability prepends `127.0.0.1<TAB>name<TAB>basename`; its GuestHosts helper appends
    # `127.0.1.1 name basename` (hashicorp/vagrant plugins/guests/redhat/cap/change_host_name.rb,
    # lib/vagrant/util/guest_hosts.rb).
    mangled = (DEFAULTS / "hosts.vagrant").read_text()
    assert "127.0.0.1\tk8s-node1\tk8s-node1" in mangled
    out = hosts_file(mangled, ENTRIES, "k8s-node1")
    assert out == TUTORIAL_HOSTS == (EXPECTED / "hosts").read_text()
    assert hosts_file(out, ENTRIES, "k8s-node1") is out


def test_hostname_removed_from_loopback_but_localhost_kept():
    text = "127.0.0.1 k8s-master localhost\n::1 localhost k8s-master\n127.0.1.1 k8s-master\n"
    out = hosts_file(text, ENTRIES, "k8s-master")
    assert out.splitlines()[:2] == ["127.0.0.1 localhost", "::1 localhost"]
    assert "127.0.1.1" not in out


def test_stale_entries_removed_and_order_kept():
    text = ("127.0.0.1 localhost\n# my notes\n10.0.0.9 k8s-node2 other\n"
            "192.168.0.16 k8s-node1\n\n")
    out = hosts_file(text, ENTRIES, "k8s-node1")
    assert out == ("127.0.0.1 localhost\n# my notes\n10.0.0.9 other\n\n"
                   "192.168.0.15 k8s-master\n192.168.0.15 k8s-etcd\n"
                   "192.168.0.16 k8s-node1\n192.168.0.17 k8s-node2\n")
    assert hosts_file(out, ENTRIES, "k8s-node1") == out
    assert [l for l in out.splitlines() if l.endswith(" k8s-node1")] == ["192.168.0.16 k8s-node1"]


def test_hosts_without_final_newline():
    out = hosts_file("127.0.0.1 localhost", ENTRIES[:1], "k8s-master")
    assert out == "127.0.0.1 localhost\n192.168.0.15 k8s-master\n"
