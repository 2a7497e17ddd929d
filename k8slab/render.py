"""Render the Vagrantfile template (Vagrantfile.j2, at the repository's top level) for a lab into
its lab folder."""
from __future__ import annotations

from pathlib import Path

import jinja2

from .workdir import ensure_workdir, write_if_changed

TEMPLATE = "Vagrantfile.j2"
CHECKOUT = Path(__file__).resolve().parent.parent  # the repository's top level, in a checkout
BOOT_TIMEOUT = 1200  # seconds; QEMU without KVM needs several minutes for three guests


def template_loader() -> jinja2.BaseLoader:
    """Where Vagrantfile.j2 is read from, the one place that knows. A source checkout keeps it at
    its top level, beside tasks.py, provision/ and lab.yaml (an editable install imports from
    the checkout, so it reads the same file); a built package (a wheel, `pip install .`) carries
    it as k8slab/templates/Vagrantfile.j2, copied there by the build (setup.py)."""
    if (CHECKOUT / TEMPLATE).is_file():
        return jinja2.FileSystemLoader(str(CHECKOUT))
    return jinja2.PackageLoader("k8slab", "templates")


def render_vagrantfile(lab, provider: str) -> str:
    env = jinja2.Environment(
        loader=template_loader(),
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
        # None on this host: vagrant-libvirt's own default (qemu:///system) as before servers
        libvirt_uri=lab.libvirt_uri if lab.on_server.remote else None,
    )


def write_vagrantfile(lab, provider: str) -> tuple[Path, bool]:
    """Write the Vagrantfile into the lab folder; returns (path, changed)."""
    path = ensure_workdir(lab) / "Vagrantfile"
    return path, write_if_changed(path, render_vagrantfile(lab, provider))
