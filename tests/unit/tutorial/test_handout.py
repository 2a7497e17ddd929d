"""The tutorial's handout (TutorialLab.handout_words): its Kubernetes cluster, its master, its
nodes. How a handout is written from any lab's words: tests/unit/engine/test_gateway.py."""
from __future__ import annotations

GATEWAY = "gateway: {address: 127.0.0.1, port: 2299, listen: 127.0.0.1}\n"


def test_the_tutorials_handout_is_its_own_words(lab_with):
    """The tutorial's handout_words: its Kubernetes cluster, three machines, the master's prompt,
    ssh to a node with role node, scp to the last node's IP (these lines, byte for byte)."""
    from k8slab.gateway import service
    lab = lab_with(("gateway: null", GATEWAY))
    page = service.refresh(lab, start=False)[0].handout.read_text()
    for line in ["<title>student-1: your Kubernetes cluster (k8s-lab, copy 1)</title>",
                 "<h1>student-1: your Kubernetes cluster</h1>",
                 "<p>Your cluster is at stage <b>none</b>.",
                 "Three machines, the tutorial's own names and addresses, all yours:</p>",
                 "<p>and you are root on your master: <code>[root@k8s-master ~]#</code>. From there, "
                 "the tutorial works as written,",
                 "<code>ssh k8s-node1</code> and <code>scp ... 192.168.0.17:...</code> included. "
                 "<code>ssh k8s-node1</code> from your own computer works too.</p>",
                 "<p>You pass through the lab server <code>127.0.0.1</code>, port 2299: it forwards "
                 "you to your own",
                 "cluster's machines and nothing else (no shell there, no other port, no other "
                 "student's cluster)."]:
        assert line in page.splitlines(), line
    assert "# k8s-lab: student-1&#39;s cluster, copy 1 of class k8s-lab." in page
    # another lab file of the tutorial's: its own names
    lab = lab_with(("gateway: null", GATEWAY), ("name: k8s-node1", "name: k8s-worker"),
                   ("ip: 192.168.0.17", "ip: 192.168.0.30"))
    page = service.refresh(lab, start=False)[0].handout.read_text()
    assert "<code>ssh k8s-worker</code> and <code>scp ... 192.168.0.30:...</code> included." in page
