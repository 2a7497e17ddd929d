"""The tutorial's rendered Vagrantfile, pinned by golden files for the shipped lab.yaml on both
providers. What the engine's rendering does with any lab: tests/unit/engine/test_render.py."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from k8slab.render import render_vagrantfile

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "tests" / "golden" / "vagrant"


@pytest.mark.parametrize("provider", ["libvirt", "virtualbox"])
def test_vagrantfile_matches_golden(lab, provider):
    text = render_vagrantfile(lab, provider)
    golden = GOLDEN / f"Vagrantfile.{provider}"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()
