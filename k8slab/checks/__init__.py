"""`invoke verify`: the tutorial smoke tests (runner.py), their judges (etcd, network, kube) and parsers (parse.py)."""
