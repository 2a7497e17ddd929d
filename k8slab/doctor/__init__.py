"""`invoke doctor`: is this host ready for the lab? Each check says pass / warn / fail and, when not
pass, the exact fix.

checks.py and networks.py: the checks, pure functions of their inputs (tests feed them real
ones); probes.py reads those inputs from the host; run.py puts the two together (run_doctor,
and preflight, which stops `invoke up` before it touches anything); report.py prints findings.
A class over several lab servers: servers.py reads each server in one command (what it has
free, its networks) and reports it; server_networks.py checks the class's subnets on each
remote one.
"""
from .checks import (GIB, check_box, check_cpus, check_disk, check_libvirt, check_memory,
                     check_vagrant, check_virtualbox, mem_available_mib, parse_box_list,
                     parse_version)
from .finding import FAIL, PASS, WARN, Finding, blocking
from .networks import (check_subnet_clash, check_vbox_networks, free_subnet, host_networks,
                       parse_vbox_networks_conf)
from .probes import free_bytes, kvm_state, lab_bridges, nearest_existing
from .report import print_findings
from .run import preflight, run_doctor

__all__ = ["FAIL", "GIB", "PASS", "WARN", "Finding", "blocking", "check_box", "check_cpus",
           "check_disk", "check_libvirt", "check_memory", "check_subnet_clash", "check_vagrant",
           "check_vbox_networks", "check_virtualbox", "free_bytes", "free_subnet", "host_networks",
           "kvm_state", "lab_bridges", "mem_available_mib", "nearest_existing", "parse_box_list",
           "parse_vbox_networks_conf", "parse_version", "preflight", "print_findings", "run_doctor"]
