"""The lab every engine test uses: the engine's own (engine_lab.py's SmallLab: stages base and
etcd, roles server and worker, two reserved networks, the tutorial lab's node names and
addresses), loaded by the engine's loader (k8slab.config.load_lab). Nothing here, and nothing in
tests/unit/engine/, imports the tutorial (provision/): test_imports.py checks it.

The file is written into tmp_path, so anything the code creates next to it (.lab/<name>/) stays
out of the checkout.
"""
from __future__ import annotations

import pytest

from tests.unit.engine.engine_lab import ENGINE_LAB, ENGINE_LAB_FILE, load_engine_lab


@pytest.fixture
def lab_from_text(tmp_path):
    """lab_from_text(text) -> SmallLab: text written to tmp_path/lab.yaml and loaded."""
    def load(text):
        path = tmp_path / "lab.yaml"
        path.write_text(text)
        return load_engine_lab(path)
    return load


@pytest.fixture
def lab_with(lab_from_text):
    """lab_with((old, new), ...) -> ENGINE_LAB_FILE with each old text replaced by new.

    An old text that is not in the file fails the test: a silent no-op would test the engine's
    lab while claiming to test the variant."""
    def load(*edits):
        text = ENGINE_LAB_FILE
        for old, new in edits:
            assert old in text, f"{old!r} is not in engine_lab.ENGINE_LAB_FILE"
            text = text.replace(old, new)
        return lab_from_text(text)
    return load


@pytest.fixture
def lab(lab_with):
    """The engine's lab: ENGINE_LAB_FILE as it is."""
    return lab_with()


@pytest.fixture
def engine_lab(tmp_path):
    """The engine's lab from its short file (ENGINE_LAB): the same lab as `lab`."""
    path = tmp_path / "lab.yaml"
    path.write_text(ENGINE_LAB)
    return load_engine_lab(path)
