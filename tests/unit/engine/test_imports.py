"""The engine's imports: every module of k8slab imports first, on its own; the engine imports
nothing of a tutorial; and its tests import nothing of the tutorial either (the tutorial's own
modules: tests/unit/tutorial/test_imports.py)."""
from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.unit.imports_first import REPO, assert_each_module_imports_first

ENGINE_TESTS = Path(__file__).resolve().parent
TUTORIAL = "provision"


def test_every_module_imports_first_on_its_own():
    assert_each_module_imports_first("k8slab", 40)


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


# ---- the engine's tests import nothing of the tutorial ----
#
# Read, not run: each file's syntax tree (a comment or a docstring naming provision/ is no import).
# What counts as importing: an import statement, importlib.import_module("...") or
# __import__("...") with a written name, and the same inside Python source held in a string (a
# script a test runs with `python -c`). A module of the test suite a file imports (tests.harness.*,
# tests.unit.*) is read the same way, and what it imports counts too.

def _imported(tree: ast.AST, package: str) -> list:
    """The modules tree imports (package: the one it is in, for relative imports)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found += [base] + [f"{base}.{a.name}" for a in node.names]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and (getattr(node.func, "attr", None) == "import_module"
                   or getattr(node.func, "id", None) in ("__import__", "import_module"))):
            found.append(node.args[0].value)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "import" in node.value:
            try:
                script = ast.parse(textwrap.dedent(node.value))
            except (SyntaxError, ValueError):
                continue   # prose, a shell line, a YAML file: not Python
            found += _imported(script, package)
    return found


def _module_file(name: str):
    """The file of a module of the test suite (tests.*), or None."""
    if name.split(".")[0] != "tests":
        return None
    path = REPO.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def tutorial_imports(path: Path, seen=None) -> list:
    """Each way path reaches the tutorial: [path, ..., module of provision/] chains."""
    seen = set() if seen is None else seen
    if path in seen:
        return []
    seen.add(path)
    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    chains = []
    for name in _imported(ast.parse(path.read_text(), str(path)), package):
        if name.split(".")[0] == TUTORIAL:
            chains.append([path.relative_to(REPO).as_posix(), name])
        elif (helper := _module_file(name)) is not None:
            chains += [[path.relative_to(REPO).as_posix(), *c] for c in tutorial_imports(helper, seen)]
    return chains


def test_the_engines_tests_import_nothing_of_the_tutorial():
    files = sorted(ENGINE_TESTS.rglob("*.py"))
    assert ENGINE_TESTS / "conftest.py" in files and len(files) > 20
    reached = [" -> ".join(chain) for f in files for chain in tutorial_imports(f)]
    assert reached == [], "tests/unit/engine/ must use its own lab, checks and steps:\n" + \
        "\n".join(reached)
    # the reading itself finds each way of importing (else the assertion above proves nothing);
    # the sample is written with PKG for the tutorial's name, so this file's text imports nothing
    sample = ['"""Not an import: from PKG.lab import load_lab."""',
              "# nor this: import PKG",
              "import PKG.checks",
              "from PKG import TUTORIAL",
              "importlib.import_module('PKG.lab')",
              "SCRIPT = '''",
              "    import sys",
              "    from PKG.lab import load_lab",
              "'''"]
    caught = ast.parse("\n".join(sample).replace("PKG", TUTORIAL))
    found = [n for n in _imported(caught, "tests.unit.engine") if n.split(".")[0] == TUTORIAL]
    assert sorted(found) == ["provision", "provision.TUTORIAL", "provision.checks", "provision.lab",
                             "provision.lab", "provision.lab.load_lab"], found
