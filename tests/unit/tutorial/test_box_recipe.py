"""Fast checks of the box recipe (no build, no VM)."""
import shutil
import subprocess

import pytest

from tests.harness import box


def test_hash_is_stable_and_changes_with_recipe(tmp_path):
    copy = tmp_path / "box"
    shutil.copytree(box.RECIPE_DIR, copy)
    h = box.recipe_hash(copy)
    assert h == box.recipe_hash() and len(h) == 12
    assert box.box_name(copy) == "k8slabt/debian12-" + h
    script = copy / "build.sh"
    script.write_text(script.read_text() + "\n# changed\n")
    assert box.recipe_hash(copy) != h
    (copy / "extra.conf").write_text("x\n")
    assert len({h, box.recipe_hash(copy)}) == 2


DEB822 = """\
Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror-a.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror-a.example/debian-security
Suites: bookworm-security
Components: main
"""

DEB822_SECURITY_FIRST = """\
Types: deb
URIs: http://mirror-b.example/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm

Enabled: no
Types: deb
URIs: http://disabled.example/debian
Suites: bookworm

Types: deb
URIs: http://mirror-b.example/debian/
Suites: bookworm
Components: main
"""

SOURCES_LIST = """\
# deb http://commented.example/debian bookworm main
deb http://mirror-c.example/debian-security bookworm-security main
deb [arch=amd64 signed-by=/x.gpg] http://mirror-c.example/debian bookworm main contrib
"""


def test_mirror_from_deb822(tmp_path):
    f = tmp_path / "debian.sources"
    f.write_text(DEB822)
    assert box.host_debian_mirror([f]) == "http://mirror-a.example/debian"
    f.write_text(DEB822_SECURITY_FIRST)
    assert box.host_debian_mirror([f]) == "http://mirror-b.example/debian"


def test_mirror_from_sources_list(tmp_path):
    f = tmp_path / "sources.list"
    f.write_text(SOURCES_LIST)
    assert box.host_debian_mirror([tmp_path / "missing.sources", f]) == "http://mirror-c.example/debian"


def test_deb822_wins_over_sources_list(tmp_path):
    a = tmp_path / "sources.list"
    a.write_text(SOURCES_LIST)
    b = tmp_path / "debian.sources"
    b.write_text(DEB822)
    assert box.host_debian_mirror([a, b]) == "http://mirror-a.example/debian"


def test_no_mirror_raises(tmp_path):
    f = tmp_path / "sources.list"
    f.write_text("deb http://x.example/debian bullseye main\n")
    with pytest.raises(box.BoxBuildError):
        box.host_debian_mirror([f])


def test_build_script_parses():
    subprocess.run(["bash", "-n", str(box.RECIPE_DIR / "build.sh")], check=True)


def test_build_script_reads_mirror_like_box_py(tmp_path):
    """build.sh's own fallback parser (used when run by hand) agrees with box.py."""
    script = (box.RECIPE_DIR / "build.sh").read_text()
    start = script.index("host_mirror() {")
    end = script.index("\n}\n", start) + 3
    func = script[start:end]
    d = tmp_path / "sources.list.d"
    d.mkdir()
    (d / "debian.sources").write_text(DEB822_SECURITY_FIRST)
    func = func.replace("/etc/apt/sources.list.d", str(d)).replace(
        "/etc/apt/sources.list", str(tmp_path / "sources.list"))
    out = subprocess.run(["bash", "-c", 'SUITE=bookworm\n' + func + "\nhost_mirror"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out.rstrip("/") == "http://mirror-b.example/debian"
    (d / "debian.sources").unlink()
    (tmp_path / "sources.list").write_text(SOURCES_LIST)
    out = subprocess.run(["bash", "-c", 'SUITE=bookworm\n' + func + "\nhost_mirror"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == "http://mirror-c.example/debian"


def test_box_hash_follows_the_components_and_the_centos_defaults(tmp_path, monkeypatch):
    """The box carries the components' binaries and CentOS's default files: a change in either
    recipe must name a new box, or an old box would be reused with stale contents."""
    from tests.harness import components
    h, original = box.recipe_hash(), box.DEFAULTS_DIR
    defaults = tmp_path / "defaults"
    shutil.copytree(box.DEFAULTS_DIR, defaults)
    monkeypatch.setattr(box, "DEFAULTS_DIR", defaults)
    assert box.recipe_hash() == h
    (defaults / "kubelet").write_text((defaults / "kubelet").read_text() + "# changed\n")
    assert box.recipe_hash() != h
    monkeypatch.setattr(box, "DEFAULTS_DIR", original)
    assert box.recipe_hash() == h
    recipe = tmp_path / "components"
    shutil.copytree(components.RECIPE_DIR, recipe)
    assert components.recipe_hash(recipe) == components.recipe_hash()
    (recipe / "build.sh").write_text((recipe / "build.sh").read_text() + "\n# changed\n")
    monkeypatch.setattr(components, "RECIPE_DIR", recipe)
    assert box.recipe_hash() != h


def test_components_script_parses():
    from tests.harness import components
    subprocess.run(["bash", "-n", str(components.RECIPE_DIR / "build.sh")], check=True)
