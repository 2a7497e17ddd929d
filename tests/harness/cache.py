"""Builds the harness caches by the content of their recipe: the test box and the cluster
components it carries. A recipe is a set of files; change one byte and the hash, so the cached
artefact's name, changes.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

CACHE_DIR = Path("/var/cache/k8s-lab-test")


class BuildError(RuntimeError):
    pass


def files_hash(paths, extra: str = "") -> str:
    """sha256 over the files (folders: every file below them, by relative path), 12 hex digits."""
    h = hashlib.sha256()
    for root in paths:
        root = Path(root)
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for p in files:
            rel = p.relative_to(root) if root.is_dir() else Path(p.name)
            h.update(str(rel).encode() + b"\0" + p.read_bytes() + b"\0")
            h.update(b"x" if os.access(p, os.X_OK) else b"-")
    h.update(extra.encode())
    return h.hexdigest()[:12]


def remove(path: Path) -> None:
    """A cached artefact or a half-built one: a folder (components) or a file (the box)."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no build log)"


def run_build(what: str, script: Path, out: Path, build_log: Path, env: dict, log=print) -> Path:
    """Run `bash script TMP` and rename TMP to out on success (a killed build leaves no `out`).
    The whole output goes to build_log, which is kept; a failure raises with its last lines."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    t0 = time.monotonic()
    log(f"{what}: building {out} (log {build_log})")
    # bash reads a script as it runs: editing the recipe during a half-hour build would feed it
    # a mix of old and new lines. It runs from a snapshot of its folder instead.
    with tempfile.TemporaryDirectory(prefix="k8slab-recipe.") as snap:
        recipe = Path(snap) / "recipe"
        shutil.copytree(script.parent, recipe, symlinks=True)
        with open(build_log, "w") as lf:
            r = subprocess.run(["bash", str(recipe / script.name), str(tmp)], stdout=lf,
                               stderr=subprocess.STDOUT, env={**os.environ, **env})
    if r.returncode != 0:
        remove(tmp)
        raise BuildError(f"{what} build failed (exit {r.returncode}), log {build_log}:\n"
                         + tail(build_log))
    os.replace(tmp, out)
    log(f"{what}: built in {time.monotonic() - t0:.0f} s")
    return out
