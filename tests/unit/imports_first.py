"""Every module of a package imports first, on its own: no import cycle waits for the one order
of imports that happens to work (copies -> doctor -> doctor.run -> the gateway -> copies was one,
held off by an import inside a function; doctor now asks gateway/sshd.py, which needs no copies).
Shared by tests/unit/engine/test_imports.py (k8slab) and tests/unit/tutorial/test_imports.py
(provision)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# In one interpreter (starting one per module costs a second each): before each module, every
# module of the project is forgotten, so that module is the first of them to be imported, as
# when a task, a test or a tool starts with it. Third-party modules stay loaded: their order
# is theirs. The package is named on the command line.
FIRST = r"""
import importlib, pkgutil, sys, traceback
OURS = ("k8slab", "provision")
package = importlib.import_module(sys.argv[1])
names = sorted(m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + "."))
names = [n for n in names if ".templates" not in n]
print("modules:", len(names))
for name in names:
    for loaded in [m for m in sys.modules if m.split(".")[0] in OURS]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        print(f"FIRST {name}:", traceback.format_exc(limit=-3).strip().replace("\n", " | "))
"""


def assert_each_module_imports_first(package: str, at_least: int) -> None:
    """Every module of package (more than at_least of them: the walk found the package) imports
    first, on its own."""
    r = subprocess.run([sys.executable, "-c", FIRST, package], cwd=REPO, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout.split("modules:")[1].split()[0]) > at_least
    assert "FIRST" not in r.stdout, r.stdout
