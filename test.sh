#!/usr/bin/env bash
# The whole test suite, real VMs included: ./test.sh   (fast tests only: ./test.sh -m "not vm")
# Installs what the tests need (host packages, .venv), then runs pytest. .ci/run runs exactly this.
set -euo pipefail
cd "$(dirname "$0")"
bash tests/harness/host-setup.sh   # the host packages, the test box's build tools included
./setup.sh --no-up                 # then finds them present and makes .venv
exec .venv/bin/python -m pytest "$@"
