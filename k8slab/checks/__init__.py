"""`invoke verify`'s engine: a check as data (check.py), the runner that reads each round's
commands in one round trip per node and judges every check once (runner.py), lines typed as a
student (typed.py), the report (report.py). The checks themselves are the tutorial's
(provision/checks/), handed in as a CheckSet."""
