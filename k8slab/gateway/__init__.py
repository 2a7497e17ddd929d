"""Students at their own seats: each reaches their own copy's VMs, as root, from their own
computer, through one SSH entry point on the lab server, and nothing else.

roster.py   who works on which copy; revoked students (students.json in the class folder)
pubkey.py   an OpenSSH public key line, checked as sshd reads it (pure)
keys.py     the key pairs k8s-lab makes with ssh-keygen: a student's, a copy's root key, the
            gateway's host key
sshd.py     the gateway: its sshd_config and authorized_keys lines (pure), its one sshd process
            (or systemd unit) started, reloaded and stopped by pid
vms.py      on a copy's VMs: the student's key and the copy's root key for root, every node's
            host key known, read and written in one round trip per node
handout.py  per student: the ssh config lines, known_hosts, key, a printable page, a zip
service.py  the whole: `refresh` after up/reset/destroy/roster changes, `stop`, `show`
"""
