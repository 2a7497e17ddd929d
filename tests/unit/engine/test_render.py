"""The rendered Vagrantfile of the engine's lab: its nodes, networks, driver and box, written only
when it changes, and accepted by Vagrant. The tutorial's, pinned by golden files:
tests/unit/tutorial/test_render.py."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from k8slab.render import render_vagrantfile, write_vagrantfile


def test_libvirt_vagrantfile_carries_the_lab(lab):
    text = render_vagrantfile(lab, "libvirt")
    for name, ip in [("k8s-master", "192.168.0.15"), ("k8s-node1", "192.168.0.16"),
                     ("k8s-node2", "192.168.0.17")]:
        assert f'config.vm.define "{name}"' in text
        assert f'ip: "{ip}", netmask: "255.255.255.0", hostname: true' in text
    assert 'libvirt__network_name: "engine-lab-private"' in text
    assert 'lv.driver = "kvm"' in text and "cpu_model" not in text
    assert 'config.vm.box = "small/box"' in text


def test_qemu_driver_uses_an_emulated_cpu(lab):
    lab.libvirt.driver = "qemu"
    text = render_vagrantfile(lab, "libvirt")
    assert 'lv.driver = "qemu"' in text and 'lv.cpu_model = "qemu64"' in text


def test_written_only_when_changed(lab):
    path, changed = write_vagrantfile(lab, "libvirt")
    assert changed and path == lab.workdir / "Vagrantfile"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    mtime = path.stat().st_mtime_ns
    path2, changed2 = write_vagrantfile(lab, "libvirt")
    assert not changed2 and path2.stat().st_mtime_ns == mtime
    _, changed3 = write_vagrantfile(lab, "virtualbox")
    assert changed3


@pytest.mark.skipif(not shutil.which("vagrant"), reason="vagrant is not installed")
def test_vagrant_validate_accepts_the_rendered_file(lab):
    path, _ = write_vagrantfile(lab, "libvirt")
    env = dict(os.environ, VAGRANT_CHECKPOINT_DISABLE="1")
    r = subprocess.run(["vagrant", "validate"], cwd=path.parent, capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Vagrantfile validated successfully" in r.stdout


@pytest.mark.skipif(not shutil.which("vagrant"), reason="vagrant is not installed")
def test_a_kept_box_file_is_added_from_its_path_and_checked(lab, tmp_path):
    """box_url relative to the lab file, made absolute; the checksum split as Vagrant takes it;
    and Vagrant itself accepts the settings."""
    digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    lab = lab.model_copy(update={"box_url": "boxes/centos7.box", "box_checksum": f"sha256:{digest}"})
    text = render_vagrantfile(lab, "libvirt")
    assert f'  config.vm.box_url = "{lab.path.parent}/boxes/centos7.box"\n' in text
    assert '  config.vm.box_download_checksum_type = "sha256"\n' in text
    assert f'  config.vm.box_download_checksum = "{digest}"\n' in text
    path, _ = write_vagrantfile(lab, "libvirt")
    r = subprocess.run(["vagrant", "validate"], cwd=path.parent, capture_output=True, text=True,
                       env=dict(os.environ, VAGRANT_CHECKPOINT_DISABLE="1"), timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
