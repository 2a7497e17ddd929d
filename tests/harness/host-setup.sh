#!/usr/bin/env bash
# Host packages the real-VM tests need (Debian 12): QEMU, libvirt, Vagrant with vagrant-libvirt,
# what the box recipe uses (debootstrap, extlinux), and what Kubernetes' own `make` and flannel's
# cgo build use besides Go (make, gcc, libc6-dev, rsync), and what the class view's browser test
# uses (chromium, poppler-utils' pdftotext). Go itself comes with the machine. Idempotent: installs only what is
# missing, runs `apt-get update` at most once, and says what it did.
# Called by ./test.sh (the README's test command, which .ci/run runs) before pytest.
set -euo pipefail

PACKAGES=(
    qemu-system-x86 qemu-utils
    libvirt-daemon-system libvirt-clients
    vagrant vagrant-libvirt
    debootstrap extlinux
    make gcc libc6-dev rsync
    dnsmasq-base ebtables
    python3-venv
    # the class view's test opens its HTML page in headless Chromium and reads the printed PDF
    chromium poppler-utils
    # the student gateway is a real sshd (its own instance); the VM tests' "laptop" runs ssh
    openssh-server openssh-client
    # the student's handout unpacks its bundle with unzip, as the page says
    unzip
)

say() { echo "host-setup: $*"; }

installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for p in "${PACKAGES[@]}"; do
    installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    say "all ${#PACKAGES[@]} host packages already installed, nothing to do"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    say "missing packages: ${missing[*]}; run as root to install them (the VM tests will be skipped)" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
start=$SECONDS
say "missing: ${missing[*]}"
say "apt-get update"
apt-get update -q
say "apt-get install ${missing[*]}"
# With Recommends: libvirt-daemon only recommends its QEMU driver. No systemd on the test hosts:
# the postinst scripts cannot start libvirtd and say so; the harness starts its own daemons
# inside its network namespace.
# openssh-server's postinst would start the host's own sshd where no systemd runs: a policy
# that refuses service starts (Debian's policy-rc.d) is put in place for the install when absent.
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
fi
apt-get install -y -q "${missing[@]}"
for p in "${missing[@]}"; do
    installed "$p" || { say "$p is still not installed" >&2; exit 1; }
done
say "installed ${#missing[@]} package(s) in $((SECONDS - start)) s"
