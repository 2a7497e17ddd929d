"""Vagrantfile.j2 lives at the repository's top level, and a built package still renders it.

The sdist carries the top-level file; a package built from that sdist carries it as
k8slab/templates/Vagrantfile.j2 (setup.py's build step); and k8slab imported from that build,
with no checkout around it, renders the engine's lab byte for byte as the checkout does (the
tutorial's lab, rendered from the checkout, is pinned by golden files:
tests/unit/tutorial/test_render.py). The build is run as
pip runs it: the sdist from a copy of the checkout, then the package from the unpacked sdist.
A wheel needs the `wheel` package under setuptools < 70.1, which the project's .venv need not
have: without it the package is built by build_py, the step whose output a wheel packs.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import jinja2
import pytest

from k8slab import render

REPO = Path(__file__).resolve().parents[3]
ENGINE_LAB_PY = Path(__file__).resolve().parent / "engine_lab.py"
PROVIDERS = ("libvirt", "virtualbox")
PACKAGES = ("k8slab", "provision")   # [tool.setuptools.packages.find] in pyproject.toml
PACKAGED = Path("k8slab", "templates", "Vagrantfile.j2")

pytest.importorskip("setuptools")


def can_build_wheels() -> bool:
    return (importlib.util.find_spec("setuptools.command.bdist_wheel") is not None
            or importlib.util.find_spec("wheel") is not None)


def test_the_template_lives_at_the_top_level():
    assert (REPO / "Vagrantfile.j2").is_file()
    assert not (REPO / PACKAGED).exists()     # one template, not a copy beside the other ones
    assert render.CHECKOUT == REPO
    assert isinstance(render.template_loader(), jinja2.FileSystemLoader)


def run(args, cwd, **env):
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120,
                       env={**os.environ, **env})
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    """The unpacked sdist, built from a copy of what a build reads: the top-level files and the
    packages (not tests/ or a lab folder, which a checkout may hold and a build never reads)."""
    tmp = tmp_path_factory.mktemp("sdist")
    src = tmp / "src"
    src.mkdir()
    for path in REPO.iterdir():
        if path.is_file():
            shutil.copy2(path, src / path.name)
    for package in PACKAGES:
        shutil.copytree(REPO / package, src / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    name = run([sys.executable, "-c", "from setuptools import build_meta as b; "
                "print(b.build_sdist('dist'))"], cwd=src).split()[-1]
    with tarfile.open(src / "dist" / name) as tar:
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(tmp / "unpacked", **safe)
    (unpacked,) = (tmp / "unpacked").iterdir()
    return unpacked


def test_the_sdist_carries_the_top_level_template(sdist):
    assert (sdist / "Vagrantfile.j2").read_bytes() == (REPO / "Vagrantfile.j2").read_bytes()


@pytest.fixture(scope="module", params=["build_py", "wheel"])
def installed(request, sdist, tmp_path_factory) -> Path:
    """The package built from the sdist, laid out as pip installs it (a site-packages folder)."""
    site = tmp_path_factory.mktemp(f"site-{request.param}")
    if request.param == "wheel":
        if not can_build_wheels():
            pytest.skip("no bdist_wheel here (setuptools < 70.1 without the wheel package)")
        dist = tmp_path_factory.mktemp("wheel")
        name = run([sys.executable, "-c", "import sys; from setuptools import build_meta as b; "
                    "print(b.build_wheel(sys.argv[1]))", str(dist)], cwd=sdist).split()[-1]
        with zipfile.ZipFile(dist / name) as wheel:
            assert PACKAGED.as_posix() in wheel.namelist()
            assert "Vagrantfile.j2" not in wheel.namelist()   # nothing at site-packages' top
            wheel.extractall(site)
    else:
        run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(site)], cwd=sdist)
    return site


# k8slab from the built package only: PYTHONPATH holds it, then a folder with nothing but the
# engine's lab model (engine_lab.py, which imports k8slab: the built one), and the current folder
# is elsewhere (an editable install's finder comes after PYTHONPATH).
RENDER = """
import sys
from pathlib import Path
import k8slab, k8slab.render as render
from engine_lab import load_engine_lab
site, lab_file, out = map(Path, sys.argv[1:])
assert Path(k8slab.__file__).parent == site / "k8slab", k8slab.__file__
assert isinstance(render.template_loader(), render.jinja2.PackageLoader)
lab = load_engine_lab(lab_file)
for provider in {providers!r}:
    (out / f"Vagrantfile.{{provider}}").write_text(render.render_vagrantfile(lab, provider))
""".format(providers=PROVIDERS)


def test_the_built_package_renders_the_same_vagrantfiles(installed, lab, tmp_path):
    assert (installed / PACKAGED).read_bytes() == (REPO / "Vagrantfile.j2").read_bytes()
    assert not (installed / "Vagrantfile.j2").exists()
    lab_file = tmp_path / "lab" / "lab.yaml"
    lab_file.parent.mkdir()
    shutil.copy(lab.path, lab_file)
    model = tmp_path / "model"
    model.mkdir()
    shutil.copy(ENGINE_LAB_PY, model / "engine_lab.py")
    out = tmp_path / "out"
    out.mkdir()
    run([sys.executable, "-c", RENDER, str(installed), str(lab_file), str(out)], cwd=tmp_path,
        PYTHONPATH=os.pathsep.join([str(installed), str(model)]))
    for provider in PROVIDERS:
        text = (out / f"Vagrantfile.{provider}").read_text()
        assert text == render.render_vagrantfile(lab, provider)
        assert 'config.vm.box = "small/box"' in text and '"engine-lab-' in text   # the engine's lab
