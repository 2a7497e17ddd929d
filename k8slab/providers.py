"""Choose the Vagrant provider for `provider: auto`: libvirt where it is usable, else VirtualBox."""
from __future__ import annotations

import glob
import os
import shutil

LIBVIRT_SOCKETS = ("/var/run/libvirt/libvirt-sock", "/run/libvirt/libvirt-sock")


def vagrant_libvirt_installed() -> bool:
    # Looking at the gem folders avoids `vagrant plugin list`, which takes seconds.
    patterns = [
        os.path.expanduser("~/.vagrant.d/gems/*/gems/vagrant-libvirt-*"),
        "/usr/share/rubygems-integration/all/gems/vagrant-libvirt-*",
        "/usr/lib/ruby/vendor_ruby/vagrant-libvirt*",
        "/opt/vagrant/embedded/gems/gems/vagrant-libvirt-*",
    ]
    return any(glob.glob(p) for p in patterns)


def libvirt_usable() -> bool:
    return any(os.path.exists(s) for s in LIBVIRT_SOCKETS) and vagrant_libvirt_installed()


def resolve_provider(lab) -> str:
    if lab.provider != "auto":
        return lab.provider
    if libvirt_usable():
        return "libvirt"
    if shutil.which("VBoxManage"):
        return "virtualbox"
    return "libvirt"  # neither is usable: Vagrant's own error then names what is missing
