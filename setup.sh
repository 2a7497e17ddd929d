#!/usr/bin/env bash
# Set up a Debian/Ubuntu host for k8s-lab and bring the lab up.
#   ./setup.sh            host packages + libvirtd + .venv, then `invoke up`
#   ./setup.sh --no-up    everything but `invoke up`
# Idempotent: installs only what is missing. Needs root or sudo for the packages.
set -euo pipefail
cd "$(dirname "$0")"

up=1
for arg in "$@"; do
  case "$arg" in
    --no-up) up=0 ;;
    *) echo "usage: $0 [--no-up]" >&2; exit 2 ;;
  esac
done

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

# Vagrant with the libvirt provider, libvirt and QEMU, from the distribution's own packages.
# gcc and libc6-dev: the pod infrastructure image is a static program built here (provision/pause).
PACKAGES=(vagrant vagrant-libvirt libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils
          dnsmasq-base ebtables python3-venv gcc libc6-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "setup: host packages present"
fi

# libvirtd: systemd starts it on ordinary hosts; the user must be in the libvirt group.
# A group added now is not active in this shell: the first `invoke up` runs under `sg libvirt`.
in_group_now=1
if [ -d /run/systemd/system ]; then
  $SUDO systemctl enable --now libvirtd >/dev/null 2>&1 || true
  if [ "$(id -u)" != 0 ] && ! id -nG | grep -qw libvirt; then
    in_group_now=0
    if ! id -nG "$USER" | grep -qw libvirt; then
      $SUDO usermod -aG libvirt "$USER"
      echo "setup: added $USER to group libvirt (active at your next login; this run uses sg libvirt)"
    fi
  fi
fi

# The Python side: a venv with the project's dependencies.
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c "import k8slab, vagrant, fabric, invoke, rich, pydantic, pytest, hypothesis, junitparser" 2>/dev/null; then
  echo "setup: installing Python dependencies into .venv"
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e '.[test]'
else
  echo "setup: .venv ready"
fi

if [ "$up" = 1 ]; then
  if [ "$in_group_now" = 0 ]; then
    exec sg libvirt -c ".venv/bin/invoke up"
  fi
  exec .venv/bin/invoke up
fi
