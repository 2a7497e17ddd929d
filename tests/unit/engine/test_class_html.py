"""The class view's HTML page: what it says (parsed with html.parser) and, in headless Chromium,
what it shows and prints (one copy per A4 page)."""
from __future__ import annotations

import re

import dataclasses
import os
import subprocess
import time
from html.parser import HTMLParser

import pytest

from k8slab.classview import CheckView, VerifyView, render_html, write_html
from tests.harness.classview import (APT, FLANNELD_HINT, T0, chromium, unbuilt_copy, missing_tools,
                                     sample_view)


class Page(HTMLParser):
    """The page's elements and its text as a reader sees it, the whole and per copy card."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.style, self.text, self.cards = [], "", [], {}
        self._card = self._tag = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self._gap()
        self._tag = tag
        if tag == "section" and "card" in attrs.get("class", ""):
            self._card = attrs["id"]
            self.cards[self._card] = []

    def handle_endtag(self, tag):
        self._gap()
        if tag == "section":
            self._card = None

    def _gap(self):
        """Cells and blocks read apart (no element of the page splits a word)."""
        self.handle_data(" ")

    def handle_data(self, data):
        if self._tag == "style":
            self.style += data
            return
        self.text.append(data)
        if self._card:
            self.cards[self._card].append(data)

    def said(self, card=None):
        """The text, whitespace collapsed (the way it reads)."""
        return " ".join("".join(self.cards[card] if card else self.text).split())


def with_copy(view, index, **changes):
    copies = tuple(dataclasses.replace(c, **changes) if c.index == index else c for c in view.copies)
    return dataclasses.replace(view, copies=copies)


@pytest.fixture
def berlin(monkeypatch):
    """Local time is Central European (POSIX rule: no tzdata needed)."""
    monkeypatch.setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_detail_from_command_output_shows_as_text():
    hostile = "<script>alert(1)</script>"
    view = with_copy(sample_view(), 1, verify=VerifyView(T0, 0, 1, (
        CheckView("base", "kubectl get nodes", "k8s-master", False, hostile, hint=f"{hostile} & more"),)))
    html = render_html(view)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = Page(html)
    assert "script" not in [tag for tag, _ in page.tags]
    assert hostile in page.said("copy-1")
    assert f"hint: {hostile} & more" in page.said("copy-1")


def test_page_is_self_contained():
    page = Page(render_html(sample_view()))
    assert not [t for t, _ in page.tags if t in ("script", "link", "img", "iframe", "object")]
    assert not [(t, a) for t, a in page.tags if "src" in a]
    # links go to the page's own cards, or to a student's handout beside it in the class folder
    links = [a["href"] for t, a in page.tags if "href" in a]
    assert links and all(re.fullmatch(r"#copy-\d+|handouts/[a-z0-9._-]+/handout\.html", h) for h in links), links
    assert "url(" not in page.style and "@import" not in page.style


def test_copy_without_verify_says_not_verified():
    page = Page(render_html(with_copy(sample_view(), 2, verify=None)))
    assert "not verified not verified" not in page.said("copy-1")
    assert "copy 2 of 2 not verified" in page.said("copy-2")      # the badge
    assert "Last verify not verified" in page.said("copy-2")
    assert "2 copies: 1 healthy, 1 not verified" in page.said()


def test_failed_check_shows_with_its_hint_on_its_copy_only():
    page = Page(render_html(sample_view()))
    card = page.said("copy-2")
    assert "copy 2 of 2 1 failed" in card
    assert "2 passed, 1 failed" in card
    assert "FAIL flanneld active k8s-node2 flanneld inactive" in card
    assert f"hint: {FLANNELD_HINT}" in card
    assert "FAIL" not in page.said("copy-1") and "hint:" not in page.said("copy-1")
    assert "copy 1 of 2 verify passed" in page.said("copy-1")
    assert "2 copies: 1 healthy, 1 failing" in page.said()


def test_stopped_vms_outrank_the_last_verify():
    view = sample_view()
    stopped = tuple(dataclasses.replace(n, state="shutoff") if n.name == "k8s-node1" else n
                    for n in view.copies[0].nodes)
    page = Page(render_html(with_copy(view, 1, nodes=stopped)))
    assert "copy 1 of 2 VMs not running" in page.said("copy-1")
    assert "k8s-node1 node 192.168.0.16 shutoff 10.255.23.1/24" in page.said("copy-1")
    assert "2 copies: 1 failing, 1 not running" in page.said()


def test_topology_stage_checkpoints_and_access():
    html = render_html(sample_view())
    page = Page(html)
    one, two = page.said("copy-1"), page.said("copy-2")
    assert "k8s-master etcd, master 192.168.0.15 running 10.255.84.1/24" in one
    assert "k8s-node2 node 192.168.0.17 running 10.255.61.1/24" in one
    assert "k8s-master etcd, master 192.168.0.15 running —" in two   # lease not seen yet
    assert "stage start (applied: base → etcd → master → network → nodes → start)" in one
    assert "stage base (applied: base)" in two
    assert "790.0 MiB" in two and "812.0 MiB" in one
    assert "management network 192.168.123.0/24" in two
    assert "reset to base at 11:12" in two and "reset" not in one
    # each command in a <code> block of its own, to copy whole
    assert "<code>invoke ssh k8s-master --copy 2</code>" in html
    assert "ssh to the master invoke ssh k8s-master --copy 2 plain ssh ssh -p 22 -i" in two


def test_times_are_local_and_readable(berlin):
    page = Page(render_html(sample_view()))
    assert "generated Tue 04 Jun 2024 13:42" in page.said()                 # 11:42 UTC
    assert "2 passed, 1 failed, Tue 04 Jun 2024 13:07" in page.said("copy-2")
    assert "base Tue 04 Jun 2024 12:42 790.0 MiB" in page.said("copy-2")


def test_write_html_writes_only_a_change(tmp_path):
    path = tmp_path / "class.html"
    view = sample_view()
    assert write_html(view, path) is True
    assert path.read_text() == render_html(view)
    assert write_html(view, path) is False
    assert write_html(with_copy(view, 2, note="reset to etcd"), path) is True
    assert "reset to etcd" in path.read_text()


@pytest.fixture
def browser():
    missing = missing_tools()
    if missing:
        message = f"the class view's browser test needs {', '.join(missing)}: {APT}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def test_chromium_prints_one_copy_per_page(browser, tmp_path):
    """What a browser shows and prints, not what the HTML says: the A4 handouts, one per copy.

    Copies 3 and 4 are short cards that would share a page without the page break."""
    view = sample_view()
    view = dataclasses.replace(view, copies=view.copies + (unbuilt_copy(3), unbuilt_copy(4)))
    page, pdf = tmp_path / "class.html", tmp_path / "class.pdf"
    write_html(view, page)
    chromium(page, tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          timeout=120, check=True).stdout
    pages = [" ".join(p.split()) for p in text.split("\f") if p.strip()]
    assert [f"k8s-lab-{i} copy {i} of 4" in p for i, p in enumerate(pages, 1)] == [True] * 4, pages
    for copy, printed in zip(view.copies, pages):
        for node in copy.nodes:
            assert f"{node.name} {', '.join(node.roles)} {node.ip} {node.state}" in printed
    for copy, printed in zip(view.copies[:2], pages):
        assert f"invoke ssh k8s-master --copy {copy.index}" in printed
        # a long command may wrap inside its box: compare without the white space
        assert "".join(dict(copy.access)["plain ssh"].split()) in "".join(printed.split())
    assert "FAIL flanneld active k8s-node2 flanneld inactive" in pages[1]
    assert " ".join(f"hint: {FLANNELD_HINT}".split()) in pages[1]
    assert ["FAIL" in p for p in pages] == [False, True, False, False]


def test_status_json_holds_the_same_facts_as_the_page():
    import json
    from k8slab.classview.build import as_json
    data = json.loads(as_json(sample_view()))
    assert [c["lab"] for c in data["copies"]] == ["k8s-lab-1", "k8s-lab-2"]
    assert data["copies"][1]["verify"]["failed"] == 1 and data["copies"][1]["note"] == "reset to base at 11:12"
    assert data["copies"][0]["nodes"][0]["flannel_subnet"] == "10.255.84.1/24" and "node_column" not in data


def test_the_nodes_extra_column_is_the_one_the_checks_declare():
    """The page names no check nor column: the nodes' extra column is the CheckSet's NodeColumn
    (the tutorial's: flannel subnet, sample_view's), or none."""
    import json
    from k8slab.checks.check import NodeColumn
    from k8slab.classview.build import as_json
    own = dataclasses.replace(sample_view(), node_column=NodeColumn("own value", "own check", "v"))
    page = Page(render_html(own))
    assert "node roles private IP VM own value" in page.said() and "flannel subnet" not in page.said()
    assert "k8s-master etcd, master 192.168.0.15 running 10.255.84.1/24" in page.said("copy-1")
    node = json.loads(as_json(own))["copies"][0]["nodes"][0]
    assert node["own_value"] == "10.255.84.1/24" and "flannel_subnet" not in node
    none = dataclasses.replace(sample_view(), node_column=None)
    said = Page(render_html(none)).said("copy-1")
    assert "node roles private IP VM k8s-master etcd, master 192.168.0.15 running k8s-node1" in said
    assert "column" not in json.loads(as_json(none))["copies"][0]["nodes"][0]
