"""k8s-lab engine: the lab model, the Vagrantfile, the Vagrant driver, SSH, provisioning, checks."""

# The one place the version is written (pyproject.toml reads it from here).
__version__ = "0.2.0"
