"""The tutorial's checks, handed to the engine's verify (k8slab.checks.runner) as CHECKS.

One module per part of the tutorial: base.py (the nodes before the tutorial: private IP, names,
firewall, time), etcd.py (2.1-2.3), kube.py (2.4, 3, 4: services, nodes Ready, the infra image),
network.py (the flannel overlay and the pings across it), printed.py (the tutorial's own lines,
typed as a student does), pods.py (a pod on each node, on request: `verify --pods`). Their judges
are pure functions of the commands' results, their parsers in parse.py; coverage.py maps each
thing a stage provides to the checks that see it.
"""
from k8slab.checks.check import CheckSet, NodeColumn, OnRequest

from . import base, etcd, kube, network, pods, printed

# Check groups in the order they run, and the stages each needs applied. The kube and flannel
# groups need their services started, so they also wait for the `start` stage.
GROUPS = (("base", base.checks, ("base",)),
          ("etcd", etcd.checks, ("etcd",)),
          ("master", kube.master_checks, ("master", "start")),
          ("network", network.checks, ("network", "start")),
          ("nodes", kube.node_checks, ("nodes", "start")),
          # the tutorial's own lines as a student types them: they need the whole tutorial (start
          # is its last stage: applied, it means every stage was)
          (printed.GROUP, printed.checks, ("start",)))

PODS = OnRequest(
    pods.checks, pods.GROUP, "start",
    refused=("verify --pods: lab {lab} has not reached the start stage (pods need every service "
             "running): `invoke up` first"),
    reminder="pods not checked (a pod on each node, pinging the other): `invoke verify --pods`")

# `invoke status` shows each node's flannel subnet: the lease network.judge_lease found (its data)
LEASES = NodeColumn("flannel subnet", check="flannel lease", key="lease", short="flannel")

CHECKS = CheckSet(GROUPS, PODS, LEASES)
