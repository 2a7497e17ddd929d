"""Property-based test of the lab file loader: whatever the file holds, `load_lab` returns a Lab
whose derived values all work, or raises a ConfigError listing its problems. Never another
exception (a traceback for the instructor), never a hang, never a process started.

Three kinds of input: random YAML-ish text (invalid YAML, tabs, odd unicode, anchors, tags,
deep nesting), the shipped lab.yaml mutated structurally (keys deleted or added, values replaced
by values of other types, nodes duplicated, IPs shuffled, huge or empty strings, values nested)
and the shipped lab.yaml mutated as text (characters and lines deleted, inserted, replaced).

Budget: the suite runs a fixed, derandomized budget (the same examples every run, so CI is
deterministic; about 10 s here). For a long local hunt with fresh random examples, set
K8S_LAB_FUZZ=long (or K8S_LAB_FUZZ=<number of examples per test>):

    K8S_LAB_FUZZ=long python -m pytest tests/unit/tutorial/test_config_fuzz.py -q
"""
from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from provision.lab import TutorialLab as Lab, load_lab
from k8slab.errors import ConfigError

REPO = Path(__file__).resolve().parents[3]
SHIPPED_TEXT = (REPO / "lab.yaml").read_text(encoding="utf-8")
SHIPPED = yaml.safe_load(SHIPPED_TEXT)
HUGE = "x" * 100_000

_FUZZ = os.environ.get("K8S_LAB_FUZZ", "")
if _FUZZ == "long":
    EXAMPLES = 5000
elif _FUZZ.isdigit():
    EXAMPLES = int(_FUZZ)
else:
    EXAMPLES = None  # the CI budget given per test below


def budget(ci_examples: int):
    """CI: ci_examples, derandomized. A long local run: more examples, fresh randomness."""
    if EXAMPLES is None:
        return settings(max_examples=ci_examples, deadline=None, derandomize=True, database=None,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    return settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
                    suppress_health_check=list(HealthCheck))


# ---- the property ----

@contextlib.contextmanager
def no_processes():
    """Loading lab.yaml must never start anything (vagrant, a shell, a provider check): it runs
    before every task, including on a broken file, and only reads. Any attempt fails loudly."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"load_lab tried to start a process: {args!r}")
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.object(subprocess, "Popen", refuse))
        for name in ("execvp", "execv", "execve", "system", "posix_spawn", "posix_spawnp", "fork"):
            if hasattr(os, name):
                stack.enter_context(mock.patch.object(os, name, refuse))
        yield


@pytest.fixture(scope="module")
def lab_file(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "lab.yaml"


def check(path: Path, content) -> None:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    try:
        with no_processes():
            lab = load_lab(path)
    except ConfigError as e:
        assert e.problems, "a ConfigError must list at least one problem"
        for p in e.problems:
            assert isinstance(p.message, str) and p.message.strip(), f"empty problem: {p!r}"
            assert str(p).strip()
        assert str(e).strip()
        return
    # any other exception propagates and fails the test, with the input hypothesis shrank to
    assert isinstance(lab, Lab)
    assert lab.apiserver_url.startswith("http://") and lab.etcd_url.startswith("http://")
    assert lab.hosts_entries and all(ip and name for ip, name in lab.hosts_entries)
    assert lab.stages and lab.stages[-1] == lab.until
    assert lab.workdir == path.parent / ".lab" / lab.name
    assert lab.master.has("master") and lab.etcd.has("etcd")
    assert lab.with_role("node")
    assert lab.box and lab.platform_info
    for node in lab.nodes:
        assert node.memory >= 256 and node.cpus >= 1
        assert lab.node(node.name) is node


# ---- (a) random YAML-ish text ----

TOKENS = st.sampled_from([
    "name", "nodes", "ip", "roles", "aliases", "cluster", "libvirt", "defaults", "until",
    "platform", "box", "mirror", "provider", "private_network", "memory", "cpus",
    "k8s-master", "k8s-node1", "192.168.0.15", "192.168.0.0/24", "10.254.0.0/16", "etcd",
    "master", "node", "start", "centos7", "debian12", "yes", "no", "on", "off", "null", "~",
    "true", "0x1F", "0o17", "1e3", ".nan", "-.inf", "2024-01-01", "12:30:00", "0777",
    ":", ": ", "- ", "-", "?", "? ", ",", "[", "]", "{", "}", "#", "&a", "*a", "&b", "*b",
    "<<: *a", "<<", "!!str", "!!int", "!!binary", "!!python/object:os.system", "!local",
    "%YAML 1.1", "%TAG", "---", "...", "|", ">", "|-", "'", '"', "\\", "\t", "  ", "    ",
    "\r", "\x00", "\x85", "\u2028", "\ufeff", "\ud800", "é", "名前", "🙂", "\u200b",
])
LINE = st.lists(st.one_of(TOKENS, st.text(max_size=6)), max_size=8).map("".join)
YAMLISH = st.one_of(
    st.lists(LINE, max_size=25).map("\n".join),
    st.text(max_size=200),
    st.binary(max_size=200),
    st.tuples(st.sampled_from(["[", "{a: ", "- ", "a:\n  "]), st.integers(1, 1500)).map(
        lambda t: t[0] * t[1]),
)


@budget(250)
@given(text=YAMLISH)
@example(text="[" * 2000 + "]" * 2000)        # RecursionError in PyYAML's composer (fixed)
@example(text="a: " + "{a: " * 2000 + "1" + "}" * 2000)
@example(text="\n".join(["a0: &a0 [x,x,x,x,x,x,x,x,x,x]"]
                        + [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]"
                           for i in range(1, 9)]) + "\nnodes: []\n")  # alias bomb: 10^9 values
@example(text="!!int")                         # IndexError in PyYAML's int constructor (fixed)
@example(text="until: 2020-13-45\n")            # ValueError from an implicit timestamp (fixed)
@example(text="memory: " + "9" * 5000)          # ValueError: int() digit limit (fixed)
@example(text="{? !!bool x : 1}")
@example(text="nodes: &x\n  - *x\n")
@example(text="? [a]\n: b\n")
@example(text=b"\xff\xfename: x\n")
@example(text="\t name: x\n")
@example(text="")
def test_random_text(lab_file, text):
    check(lab_file, text)


# ---- (b) the shipped lab mutated structurally ----

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.floats(), st.text(max_size=20), st.binary(max_size=8), st.dates(),
    st.sampled_from(["", " ", HUGE, "192.168.0.15", "192.168.0.1", "192.168.0.255",
                     "10.0.0.0/8", "0.0.0.0/0", "192.168.0.0/33", "etcd", "master", "node",
                     "yes", "on", "k8s-master", "k8s-etcd", "/k8s/network", "http://x",
                     "centos7", "debian12", "base", "start", "256", "1024", "\t", "a b"]),
)
KEYS = st.one_of(st.text(max_size=12), st.integers(-5, 5), st.booleans(), st.none(),
                 st.sampled_from(sorted({*SHIPPED, "ip", "roles", "aliases", "memory", "cpus",
                                         "driver", "management_network", "service_range"})))
JSONISH = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=8)


def _paths(tree, prefix=()):
    """Every path to a value inside tree (not the root)."""
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) \
        else ()
    for k, v in items:
        yield prefix + (k,)
        yield from _paths(v, prefix + (k,))


def _get(tree, path):
    for k in path:
        tree = tree[k]
    return tree


@st.composite
def mutated_lab(draw):
    import copy
    tree = copy.deepcopy(SHIPPED)
    for _ in range(draw(st.integers(1, 6))):
        paths = list(_paths(tree))
        op = draw(st.sampled_from(["delete", "replace", "insert", "duplicate_node", "shuffle_ips",
                                   "string", "nest", "root"]))
        if op == "root":
            tree = draw(st.one_of(JSONISH, st.just(tree)))
            if not isinstance(tree, (dict, list)):
                break
            continue
        if op == "duplicate_node":
            nodes = tree.get("nodes") if isinstance(tree, dict) else None
            if isinstance(nodes, list) and nodes:
                nodes.insert(draw(st.integers(0, len(nodes))),
                             copy.deepcopy(draw(st.sampled_from(nodes))))
            continue
        if op == "shuffle_ips":
            nodes = tree.get("nodes") if isinstance(tree, dict) else None
            if isinstance(nodes, list):
                holders = [n for n in nodes if isinstance(n, dict) and "ip" in n]
                ips = draw(st.permutations([n["ip"] for n in holders]))
                if holders and draw(st.booleans()):
                    ips[0] = ips[-1]  # a duplicate address
                for n, ip in zip(holders, ips):
                    n["ip"] = ip
            continue
        if not paths:
            continue
        path = draw(st.sampled_from(paths))
        parent, key = _get(tree, path[:-1]), path[-1]
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(JSONISH)
        elif op == "insert":
            target = parent[key] if isinstance(parent[key], (dict, list)) else parent
            if isinstance(target, dict):
                target[draw(KEYS)] = draw(JSONISH)
            else:
                target.insert(draw(st.integers(0, len(target))), draw(JSONISH))
        elif op == "string":
            parent[key] = draw(st.sampled_from(["", " ", HUGE, "\u200b", "-", "é" * 70]))
        elif op == "nest":
            parent[key] = draw(st.sampled_from([
                lambda v: [v], lambda v: {"value": v}, lambda v: {str(key): v}, lambda v: [[v]],
            ]))(parent[key])
    try:
        return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError:  # e.g. a NaN or a date as a key that PyYAML cannot represent
        return yaml.safe_dump(str(tree))


@budget(300)
@given(text=mutated_lab())
@example(text=SHIPPED_TEXT)
@example(text=yaml.safe_dump({**SHIPPED, "nodes": [{**SHIPPED["nodes"][0], 1: 2}]}))
@example(text=yaml.safe_dump({**SHIPPED, None: 1, 1.5: 2}))
@example(text=yaml.safe_dump({**SHIPPED, "until": {"a": 1}, "platform": {}}))
@example(text=yaml.safe_dump({**SHIPPED, "nodes": [None, [1], "x"]}))
def test_mutated_structure(lab_file, text):
    check(lab_file, text)


# ---- (c) the shipped lab mutated as text ----

@st.composite
def mutated_text(draw):
    text = SHIPPED_TEXT
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["delete", "insert", "replace", "dup_line", "drop_line",
                                   "swap_lines", "indent", "dedent"]))
        lines = text.split("\n")
        if op in ("dup_line", "drop_line", "swap_lines", "indent", "dedent"):
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if op == "dup_line":
                lines.insert(j, lines[i])
            elif op == "drop_line":
                del lines[i]
            elif op == "swap_lines":
                lines[i], lines[j] = lines[j], lines[i]
            elif op == "indent":
                lines[i] = draw(st.sampled_from([" ", "  ", "\t", "    "])) + lines[i]
            else:
                lines[i] = lines[i].lstrip(" ")
            text = "\n".join(lines)
            continue
        pos = draw(st.integers(0, len(text)))
        if op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 40)):]
        elif op == "insert":
            text = text[:pos] + draw(st.one_of(TOKENS, st.text(max_size=5))) + text[pos:]
        else:
            text = text[:pos] + draw(st.one_of(TOKENS, st.characters())) + text[pos + 1:]
    return text


@budget(300)
@given(text=mutated_text())
@example(text=SHIPPED_TEXT.replace("  - name: k8s-node1", "\t- name: k8s-node1"))
@example(text=SHIPPED_TEXT + SHIPPED_TEXT)
@example(text=SHIPPED_TEXT.replace("192.168.0.16", "192.168.0.15"))
def test_mutated_text(lab_file, text):
    check(lab_file, text)


def test_the_guard_catches_a_process_start(tmp_path):
    """The no-process guard really fires (else the property above would prove nothing)."""
    with no_processes(), pytest.raises(AssertionError, match="start a process"):
        subprocess.run(["true"])
    with no_processes(), pytest.raises(AssertionError, match="start a process"):
        os.execvp("true", ["true"])
