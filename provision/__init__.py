"""The tutorial's configuration as provisioning steps: which steps each stage runs on each node.

stages.py says what runs where; files.py computes each config file from its current text;
repos.py the CentOS vault repositories; scripts/ holds the shell provisioners (package data).
TUTORIAL is what the engine is handed: `k8slab.provisioning.provision(lab, stages, TUTORIAL)`,
verify its checks, doctor its preflight (infra_image.host_findings);
lab.py the tutorial's lab file (TutorialLab, the engine's Lab with the tutorial's keys and rules)
and load_lab, which reads one as it.
"""
from importlib import resources

from k8slab.provisioning import Playbook

from .checks import CHECKS
from .infra_image import host_findings
from .lab import TutorialLab, load_lab
from .stages import steps_for

SCRIPTS = resources.files(__name__) / "scripts"
# flanneld's --iface (files.py) is the interface found holding the node's IP; plan has no node
PLAN_NOTE = "--iface is the interface found holding the node's IP, eth1 in Vagrant boxes"
TUTORIAL = Playbook(steps=steps_for, scripts=SCRIPTS, checks=CHECKS, preflight=host_findings,
                    plan_note=PLAN_NOTE)

__all__ = ["CHECKS", "SCRIPTS", "TUTORIAL", "TutorialLab", "load_lab", "steps_for"]
