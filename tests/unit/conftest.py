"""What every unit test shares, the engine's (engine/) and the tutorial's (tutorial/): local shells
are stopped. Each folder's conftest.py gives its tests their lab: the engine's own model
(engine/engine_lab.py) or the tutorial's (provision.lab)."""
from __future__ import annotations

import pytest


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
