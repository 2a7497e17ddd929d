"""The Vagrant box the VM tests boot: built here from Debian packages, cached by recipe.

recipe_hash()  sha256 over tests/harness/box/* (sorted by name), first 12 hex digits
box_name()     "k8slabt/debian12-<hash>"
ensure_box()   the box is in `vagrant box list` afterwards (built and added if needed)
"""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from . import components
from .cache import CACHE_DIR, BuildError, files_hash, run_build

RECIPE_DIR = Path(__file__).resolve().parent / "box"
# CentOS 7's default /etc/kubernetes/* and /etc/sysconfig/flanneld: the one copy, also the
# starting point of the file-edit golden tests
DEFAULTS_DIR = Path(__file__).resolve().parents[1] / "golden" / "centos7" / "defaults"
BOX_PREFIX = "k8slabt/debian12-"
SUITE = "bookworm"
DEFAULT_SOURCES = (
    sorted(Path("/etc/apt/sources.list.d").glob("*.sources"))
    + [Path("/etc/apt/sources.list")]
)


class BoxBuildError(BuildError):
    pass


def recipe_hash(folder: Path | str | None = None) -> str:
    """The box folder (build.sh and the packages under debs/), CentOS's default files the
    packages carry, and the components' own recipe."""
    return files_hash([Path(folder) if folder is not None else RECIPE_DIR, DEFAULTS_DIR],
                      extra=components.recipe_hash())


def box_name(folder: Path | str | None = None) -> str:
    return BOX_PREFIX + recipe_hash(folder)


def _deb822_mirror(text: str, suite: str) -> str | None:
    for stanza in re.split(r"\n[ \t]*\n", text):
        fields: dict[str, str] = {}
        key = None
        for line in stanza.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line[0] in " \t" and key:          # continuation line
                fields[key] += " " + line.strip()
                continue
            if ":" in line:
                key, val = line.split(":", 1)
                key = key.strip().lower()
                fields[key] = val.strip()
        if fields.get("enabled", "yes").lower() == "no":
            continue
        if "deb" not in fields.get("types", "deb").split():
            continue
        if suite in fields.get("suites", "").split() and fields.get("uris"):
            return fields["uris"].split()[0]
    return None


def _sources_list_mirror(text: str, suite: str) -> str | None:
    for line in text.splitlines():
        line = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0])
        words = line.split()
        if len(words) >= 3 and words[0] == "deb" and words[2] == suite:
            return words[1]
    return None


def host_debian_mirror(paths=None, suite: str = SUITE) -> str:
    """The Debian mirror the host's own apt uses for `suite` (deb822 first, then sources.list)."""
    paths = [Path(p) for p in (paths if paths is not None else DEFAULT_SOURCES)]
    deb822 = [p for p in paths if p.suffix == ".sources"]
    classic = [p for p in paths if p.suffix != ".sources"]
    for p in deb822 + classic:
        try:
            text = p.read_text()
        except OSError:
            continue
        m = (_deb822_mirror if p.suffix == ".sources" else _sources_list_mirror)(text, suite)
        if m:
            return m.rstrip("/")
    raise BoxBuildError(f"no '{suite}' mirror in the host's apt sources: {[str(p) for p in paths]}")


def _vagrant_home() -> Path:
    return Path(os.environ.get("VAGRANT_HOME") or Path.home() / ".vagrant.d")


def _box_dir(name: str) -> Path:
    return _vagrant_home() / "boxes" / name.replace("/", "-VAGRANTSLASH-")


def _box_installed(name: str) -> bool:
    return any(_box_dir(name).glob("*/libvirt/metadata.json"))


def _vagrant_env() -> dict:
    env = dict(os.environ)
    env["VAGRANT_CHECKPOINT_DISABLE"] = "1"
    return env


def _installed_test_boxes() -> list[str]:
    boxes = _vagrant_home() / "boxes"
    prefix = BOX_PREFIX.replace("/", "-VAGRANTSLASH-")
    if not boxes.is_dir():
        return []
    return [d.name.replace("-VAGRANTSLASH-", "/") for d in boxes.iterdir()
            if d.name.startswith(prefix)]


def _remove_stale(name: str, h: str, log) -> None:
    for old in _installed_test_boxes():
        if old != name:
            # the box folder is all `vagrant box list` knows of it; deleting it directly is
            # what `vagrant box remove --force --all` does, without starting Vagrant
            log(f"box: removing stale box {old}")
            shutil.rmtree(_box_dir(old), ignore_errors=True)
    if CACHE_DIR.is_dir():
        for f in list(CACHE_DIR.glob("debian12-*.box*")) + list(CACHE_DIR.glob("build-*.log")):
            if h not in f.name:
                log(f"box: removing stale {f}")
                f.unlink(missing_ok=True)


def build_box(out: Path, components_dir: Path, log=print) -> Path:
    """Run build.sh into `out` (atomically), with the components built by components.py."""
    h = recipe_hash()
    env = {"DEBIAN_MIRROR": os.environ.get("DEBIAN_MIRROR") or host_debian_mirror(),
           "DEB_CACHE": os.environ.get("DEB_CACHE") or str(CACHE_DIR / "debs"),
           "K8SLAB_COMPONENTS": str(components_dir), "K8SLAB_DEFAULTS": str(DEFAULTS_DIR)}
    build_log = out.parent / f"build-{h}.log"
    try:
        run_build("box", RECIPE_DIR / "build.sh", Path(out), build_log, env, log)
    except BuildError as e:
        raise BoxBuildError(str(e)) from None
    for line in build_log.read_text(errors="replace").splitlines():
        if "took" in line or "total" in line:
            log("box: " + line)
    log(f"box: {Path(out).stat().st_size / 2**20:.0f} MiB")
    return Path(out)


def ensure_box(log=print) -> str:
    """Make sure `vagrant box list` has box_name(); build/add it if needed. Returns the name."""
    name = box_name()
    if _box_installed(name):
        return name
    h = recipe_hash()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    with open(CACHE_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)          # one builder at a time
        if time.monotonic() - t0 > 1:
            log(f"box: waited {time.monotonic() - t0:.0f} s for another ensure_box")
        if _box_installed(name):
            return name
        _remove_stale(name, h, log)
        boxfile = CACHE_DIR / f"debian12-{h}.box"
        if boxfile.exists():
            log(f"box: using cached {boxfile}")
        else:
            build_box(boxfile, components.ensure_components(log), log)
        t1 = time.monotonic()
        r = subprocess.run(["vagrant", "box", "add", "--force", "--name", name,
                            "--provider", "libvirt", str(boxfile)],
                           env=_vagrant_env(), capture_output=True, text=True)
        if r.returncode != 0:
            raise BoxBuildError(f"vagrant box add {name} failed:\n{r.stdout}\n{r.stderr}")
        log(f"box: added {name} in {time.monotonic() - t1:.0f} s "
            f"(ensure_box total {time.monotonic() - t0:.0f} s)")
    return name


if __name__ == "__main__":
    print(ensure_box())
