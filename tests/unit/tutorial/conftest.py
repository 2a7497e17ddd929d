"""The lab every tutorial test uses: the real model, loaded from a lab file by provision.lab.load_lab
(the engine's loader, k8slab.config.load_lab, reading it as the tutorial's TutorialLab).

No test builds its own stand-in for the tutorial's Lab: a change in the model (a port in
etcd_url, a default, a derived value) must reach every test that depends on it. The file is
written into tmp_path, so anything the code creates next to it (.lab/<name>/) stays out of the
checkout. The engine's tests have a lab of their own (tests/unit/engine/conftest.py).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from provision.lab import load_lab

SHIPPED_LAB = Path(__file__).resolve().parents[3] / "lab.yaml"


@pytest.fixture
def lab_from_text(tmp_path):
    """lab_from_text(text) -> TutorialLab: text written to tmp_path/lab.yaml and loaded."""
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
