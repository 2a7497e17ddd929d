"""The cluster components the test box runs that no registry ships as packages (Kubernetes
v1.19.16 server binaries, flanneld v0.17.0), built from their Go modules by
components/build.sh, cached by the content of that recipe.

ensure_components()  the folder holding bin/ and libexec/ (built first if needed)
"""
from __future__ import annotations

from pathlib import Path

from .cache import CACHE_DIR, files_hash, remove, run_build

RECIPE_DIR = Path(__file__).resolve().parent / "components"
PREFIX = "components-"


def recipe_hash(folder: Path | str | None = None) -> str:
    return files_hash([folder or RECIPE_DIR])


def ensure_components(log=print) -> Path:
    """Callers hold the cache lock (box.ensure_box does)."""
    h = recipe_hash()
    out = CACHE_DIR / f"{PREFIX}{h}"
    if (out / "VERSIONS").exists():
        log(f"components: using cached {out}")
        return out
    for old in CACHE_DIR.glob(PREFIX + "*"):
        if h not in old.name or ".tmp" in old.name:
            log(f"components: removing stale {old}")
            remove(old)
    run_build("components", RECIPE_DIR / "build.sh", out, CACHE_DIR / f"{PREFIX}{h}.log", {}, log)
    log("components: " + (out / "VERSIONS").read_text().replace("\n", "; "))
    return out
