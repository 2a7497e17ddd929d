"""`invoke verify`: the checks (runner.py), their judges (base, etcd, network, kube), parsers (parse.py),
and which check covers what each stage provides (coverage.py)."""
