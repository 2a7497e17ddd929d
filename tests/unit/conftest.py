"""The lab every unit test uses: the real model, loaded from a lab file by provision.lab.load_lab
(the engine's loader, k8slab.config.load_lab, reading it as the tutorial's TutorialLab).

No test builds its own stand-in for Lab: a change in the model (a port in etcd_url, a default, a
derived value) must reach every test that depends on it. The file is written into tmp_path, so
anything the code creates next to it (.lab/<name>/) stays out of the checkout.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from provision.lab import load_lab

SHIPPED_LAB = Path(__file__).resolve().parents[2] / "lab.yaml"


@pytest.fixture
def lab_from_text(tmp_path):
    """lab_from_text(text) -> Lab: text written to tmp_path/lab.yaml and loaded."""
    def load(text):
        path = tmp_path / "lab.yaml"
        path.write_text(text)
        return load_lab(path)
    return load


@pytest.fixture
def lab_with(lab_from_text):
    """lab_with((old, new), ...) -> the shipped lab.yaml with each old text replaced by new.

    An old text that is not in the file fails the test: a silent no-op would test the shipped
    lab while claiming to test the variant."""
    def load(*edits):
        text = SHIPPED_LAB.read_text()
        for old, new in edits:
            assert old in text, f"{old!r} is not in {SHIPPED_LAB}"
            text = text.replace(old, new)
        return lab_from_text(text)
    return load


@pytest.fixture
def lab(lab_with):
    """The tutorial's lab: the shipped lab.yaml as it is."""
    return lab_with()


@pytest.fixture
def engine_lab(tmp_path):
    """A lab of the engine's own (engine_lab.py: its stages base and etcd, the tutorial lab's
    node names, nothing of provision/), for the engine's tests."""
    from tests.unit.engine.engine_lab import ENGINE_LAB, load_engine_lab
    path = tmp_path / "lab.yaml"
    path.write_text(ENGINE_LAB)
    return load_engine_lab(path)


@pytest.fixture(autouse=True)
def _local_shells_closed(monkeypatch):
    """Every local shell a test starts (a Host over invoke's Context runs a real bash) is
    stopped when the test ends, not left waiting on its stdin until pytest exits."""
    from k8slab import shell
    started = []
    init = shell._Process.__init__

    def tracked(self, argv):
        init(self, argv)
        started.append(self)
    monkeypatch.setattr(shell._Process, "__init__", tracked)
    yield
    for process in started:
        process.close()
