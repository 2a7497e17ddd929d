"""Every module imports first, on its own: no import cycle waits for the one order of imports
that happens to work (copies -> doctor -> doctor.run -> the gateway -> copies was one, held
off by an import inside a function; doctor now asks gateway/sshd.py, which needs no copies)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

# In one interpreter (starting one per module costs a second each): before each module, every
# module of the project is forgotten, so that module is the first of them to be imported, as
# when a task, a test or a tool starts with it. Third-party modules stay loaded: their order
# is theirs.
FIRST = r"""
import importlib, pkgutil, sys, traceback
import k8slab, provision
OURS = ("k8slab", "provision")
names = sorted(m.name for pkg in (k8slab, provision)
               for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."))
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


def test_every_module_imports_first_on_its_own():
    r = subprocess.run([sys.executable, "-c", FIRST], cwd=REPO, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout.split("modules:")[1].split()[0]) > 50   # the walk found the packages
    assert "FIRST" not in r.stdout, r.stdout


# The engine imports nothing of a tutorial: every module of k8slab, imported in one interpreter,
# loads no module of provision/ (the tutorial hands the engine its Lab subclass and playbook).
ENGINE_ALONE = r"""
import importlib, pkgutil, sys
import k8slab
for m in pkgutil.walk_packages(k8slab.__path__, "k8slab."):
    if ".templates" not in m.name:
        importlib.import_module(m.name)
print("tutorial:", sorted(m for m in sys.modules if m.split(".")[0] == "provision"))
"""


def test_the_engine_imports_nothing_of_the_tutorial():
    r = subprocess.run([sys.executable, "-c", ENGINE_ALONE], cwd=REPO, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "tutorial: []" in r.stdout, r.stdout
