"""lab.yaml: the model (schema.py, fields.py), reading it (load.py), the checks across fields
(rules.py), and how problems are worded (problems.py, translate.py).

Pydantic checks the structure (keys, types, allowed values); rules.py looks across fields
(duplicates, subnets, overlaps, roles, stages, and a tutorial's own rules through its subclass
of Lab). Both report Problems with the key's path and line, and all of them are raised
together in one ConfigError.
"""
from .load import CONFIG_ENV, default_config_path, load_lab
from .problems import Problem
from .schema import Defaults, Lab, Libvirt, Node

__all__ = ["CONFIG_ENV", "Defaults", "Lab", "Libvirt", "Node", "Problem",
           "default_config_path", "load_lab"]
