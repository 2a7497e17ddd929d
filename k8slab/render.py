"""Render the Vagrantfile template (package data: k8slab/templates/) for a lab into its lab folder."""
from __future__ import annotations

from pathlib import Path

import jinja2

from .workdir import ensure_workdir, write_if_changed

TEMPLATE = "Vagrantfile.j2"  # in k8slab/templates/, read through the installed package
BOOT_TIMEOUT = 1200  # seconds; QEMU without KVM needs several minutes for three guests


def render_vagrantfile(lab, provider: str) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("k8slab", "templates"),
        undefined=jinja2.StrictUndefined,  # a missing variable is a bug, never an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template(TEMPLATE).render(
        lab_file=lab.path.name,
        names=lab.names,
        provider=provider,
        box=lab.box,
        box_url=lab.box_source,
        box_checksum=lab.box_checksum.split(":", 1) if lab.box_checksum else None,
        boot_timeout=BOOT_TIMEOUT,
        nodes=lab.nodes,
        netmask=str(lab.private_network.netmask),
        libvirt=lab.libvirt,
    )


def write_vagrantfile(lab, provider: str) -> tuple[Path, bool]:
    """Write the Vagrantfile into the lab folder; returns (path, changed)."""
    path = ensure_workdir(lab) / "Vagrantfile"
    return path, write_if_changed(path, render_vagrantfile(lab, provider))
