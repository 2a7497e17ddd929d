"""The one build step pyproject.toml cannot declare (the metadata is all there).

Vagrantfile.j2 lives at the repository's top level, beside tasks.py, provision/ and lab.yaml.
A built package (sdist, wheel, `pip install .`) carries it as k8slab/templates/Vagrantfile.j2,
beside the package's other templates: k8slab/render.py reads it there when it is not run from
a checkout. Why a build step and not a declaration: see [tool.setuptools.package-data] in
pyproject.toml.
"""
from __future__ import annotations

import os

from setuptools import setup
from setuptools.command.build_py import build_py

TEMPLATE = "Vagrantfile.j2"                                 # at the top level, beside this file
PACKAGED = os.path.join("k8slab", "templates", TEMPLATE)   # where a built package carries it


class build_py_with_template(build_py):
    """setuptools' build_py, which also copies the top-level template into the built package."""

    def build_package_data(self):
        super().build_package_data()
        target = os.path.join(self.build_lib, PACKAGED)
        self.mkpath(os.path.dirname(target))
        self.copy_file(TEMPLATE, target)

    def get_source_files(self):
        return super().get_source_files() + [TEMPLATE]     # so the sdist carries it too

    def get_outputs(self, include_bytecode=1):
        outputs = super().get_outputs(include_bytecode)
        if getattr(self, "editable_mode", False):          # an editable install reads the checkout
            return outputs
        return outputs + [os.path.join(self.build_lib, PACKAGED)]


setup(cmdclass={"build_py": build_py_with_template})
