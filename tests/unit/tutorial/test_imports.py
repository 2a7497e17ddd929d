"""Every module of the tutorial (provision/) imports first, on its own (the engine's modules:
tests/unit/engine/test_imports.py)."""
from __future__ import annotations

from tests.unit.imports_first import assert_each_module_imports_first


def test_every_module_imports_first_on_its_own():
    assert_each_module_imports_first("provision", 10)
