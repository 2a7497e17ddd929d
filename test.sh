#!/usr/bin/env bash
# The whole test suite, real VMs included: ./test.sh   (fast tests only: ./test.sh -m "not vm")
# Installs what the tests need (host packages, .venv), then runs pytest. .ci/run runs exactly this.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh --no-up
bash tests/harness/host-setup.sh
exec .venv/bin/python -m pytest "$@"
