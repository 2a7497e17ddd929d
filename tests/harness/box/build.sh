#!/bin/bash
# Build the k8s-lab test box: a Debian 12 (bookworm) libvirt Vagrant box made from Debian
# packages plus the test platform's `kubernetes` and `flannel` packages (debs/, laid out as
# CentOS 7's RPMs; binaries from $K8SLAB_COMPONENTS, default files from $K8SLAB_DEFAULTS).
# Usage: K8SLAB_COMPONENTS=DIR K8SLAB_DEFAULTS=DIR build.sh OUT.box  ($COMPONENTS would be debootstrap's)
#
# The Debian mirror is taken from $DEBIAN_MIRROR, or else from the host's own apt sources
# (the deb822 stanza whose Suites include bookworm, or a `deb URL bookworm ...` line).
# Downloaded .debs are kept in $DEB_CACHE (default /var/cache/k8s-lab-test/debs) so that a
# rebuild after a recipe change does not download everything again.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUT.box" >&2
    exit 2
fi
OUT=$(realpath -m "$1")
SUITE=bookworm
DISK_GIB=4
PART_START=1048576                       # 1 MiB
DEB_CACHE=${DEB_CACHE:-/var/cache/k8s-lab-test/debs}
PACKAGES=systemd-sysv,dbus,openssh-server,sudo,iproute2,iputils-ping,ifupdown,isc-dhcp-client,python3,netbase,procps,linux-image-cloud-amd64,etcd-server,etcd-client,systemd-timesyncd,curl,ca-certificates,docker.io,iptables,conntrack,kubernetes-client,kmod,net-tools,busybox-static,qemu-guest-agent
# net-tools: the tutorial's ifconfig and netstat (k8s-lab's base stage installs it on either
# platform; here it comes with the box, as the VMs have no mirror). busybox-static: the pods
# check's test image on this platform (provision/checks/pods.py imports it into docker).
# qemu-guest-agent: as the base stage installs it (udev starts it on the channel's device).
# cgroup v1, as CentOS 7 runs: docker 20.10 and kubelet then agree on the cgroupfs driver.
# The IDE drivers stay out: the disk is virtio, and a guest booting beside three others on 2
# cores spun for 10 minutes in the kernel on the legacy IDE ports (RIP fixed, RDX 0x3f7).
# apparmor=0: CentOS 7 has no AppArmor; with it on, Debian's docker wants to load its
# docker-default profile and, without apparmor_parser, refuses to start any container (every
# pod's sandbox: "AppArmor enabled on system but the docker-default profile could not be loaded").
CMDLINE="root=/dev/vda1 ro console=ttyS0 net.ifnames=0 biosdevname=0 quiet systemd.unified_cgroup_hierarchy=0 apparmor=0 modprobe.blacklist=ata_piix,ata_generic,pata_legacy"
HERE=$(dirname "$(realpath "$0")")
COMPONENTS_DIR=${K8SLAB_COMPONENTS:?set K8SLAB_COMPONENTS to the folder tests/harness/components/build.sh made}
DEFAULTS=${K8SLAB_DEFAULTS:?set K8SLAB_DEFAULTS to tests/golden/centos7/defaults}

log() { echo "[build.sh $(date +%T)] $*"; }
t_start=$SECONDS
phase_t=$SECONDS
phase() { log "phase '$1' took $((SECONDS - phase_t)) s"; phase_t=$SECONDS; }

host_mirror() {
    local f m
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        m=$(awk -v suite="$SUITE" '
            BEGIN { RS = "" }
            {
                uris = ""; suites = ""; enabled = "yes"; types = "deb"
                n = split($0, L, "\n")
                for (i = 1; i <= n; i++) {
                    l = L[i]
                    if (l ~ /^[ \t]*#/) continue
                    key = tolower(l); sub(/:.*/, "", key)
                    val = l; sub(/^[^:]*:[ \t]*/, "", val)
                    if (key == "uris") uris = val
                    else if (key == "suites") suites = val
                    else if (key == "enabled") enabled = tolower(val)
                    else if (key == "types") types = val
                }
                if (enabled == "no" || (" " types " ") !~ / deb /) next
                ns = split(suites, S, /[ \t]+/)
                for (j = 1; j <= ns; j++) if (S[j] == suite) { split(uris, U, /[ \t]+/); sub(/\/$/, "", U[1]); print U[1]; exit }
            }' "$f")
        if [ -n "$m" ]; then echo "$m"; return 0; fi
    done
    if [ -r /etc/apt/sources.list ]; then
        m=$(awk -v suite="$SUITE" '
            $1 == "deb" {
                i = 2
                if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                if ($(i + 1) == suite) { print $i; exit }
            }' /etc/apt/sources.list)
        if [ -n "$m" ]; then echo "$m"; return 0; fi
    fi
    return 1
}

MIRROR=${DEBIAN_MIRROR:-}
if [ -z "$MIRROR" ]; then
    MIRROR=$(host_mirror) || { echo "no $SUITE mirror in the host's apt sources" >&2; exit 1; }
fi
VAGRANT_PUB=$(dpkg -L vagrant 2>/dev/null | grep 'keys/vagrant.pub$' | head -n1 || true)
[ -n "$VAGRANT_PUB" ] && [ -r "$VAGRANT_PUB" ] || { echo "vagrant's keys/vagrant.pub not found" >&2; exit 1; }

WORK=$(mktemp -d /var/tmp/k8slab-box.XXXXXX)
ROOT=$WORK/root
MNT=$WORK/mnt
IMG=$WORK/disk.raw
LOOP=
cleanup() {
    local rc=$?
    set +e
    for m in "$MNT" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev/pts" "$ROOT/dev"; do
        if mountpoint -q "$m" 2>/dev/null; then umount "$m" || umount -l "$m"; fi
    done
    if [ -n "$LOOP" ]; then losetup -d "$LOOP"; fi
    rm -rf --one-file-system "$WORK"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$ROOT" "$MNT" "$DEB_CACHE" "$(dirname "$OUT")"

# ---------------------------------------------------------------- debootstrap
log "debootstrap $SUITE from $MIRROR"
debootstrap --variant=minbase --include="$PACKAGES" --cache-dir="$DEB_CACHE" \
    "$SUITE" "$ROOT" "$MIRROR"
phase debootstrap

# ---------------------------------------------------------------- configure
# user vagrant, insecure key, passwordless sudo, root locked
chroot "$ROOT" useradd -m -s /bin/bash -U vagrant
install -d -m 0700 -o 1000 -g 1000 "$ROOT/home/vagrant/.ssh"
install -m 0600 -o 1000 -g 1000 "$VAGRANT_PUB" "$ROOT/home/vagrant/.ssh/authorized_keys"
chown -R "$(chroot "$ROOT" id -u vagrant):$(chroot "$ROOT" id -g vagrant)" "$ROOT/home/vagrant"
cat > "$ROOT/etc/sudoers.d/vagrant" <<'EOT'
Defaults:vagrant !requiretty
vagrant ALL=(ALL) NOPASSWD: ALL
EOT
chmod 0440 "$ROOT/etc/sudoers.d/vagrant"
chroot "$ROOT" passwd -l root >/dev/null

# network: ifupdown, eth0 on DHCP; Vagrant appends its own stanzas (eth1...)
cat > "$ROOT/etc/network/interfaces" <<'EOT'
# interfaces(5) file used by ifup(8) and ifdown(8)
source /etc/network/interfaces.d/*

auto lo
iface lo inet loopback

auto eth0
iface eth0 inet dhcp
EOT
mkdir -p "$ROOT/etc/network/interfaces.d"
rm -f "$ROOT/etc/resolv.conf"          # debootstrap copied the host's; dhclient writes the guest's
: > "$ROOT/etc/resolv.conf"

echo 'LANG=C.UTF-8' > "$ROOT/etc/default/locale"   # C.UTF-8 is built into libc; silences pam_env
echo debian > "$ROOT/etc/hostname"
cat > "$ROOT/etc/hosts" <<'EOT'
127.0.0.1	localhost
127.0.1.1	debian

::1	localhost ip6-localhost ip6-loopback
ff02::1	ip6-allnodes
ff02::2	ip6-allrouters
EOT
cat > "$ROOT/etc/fstab" <<'EOT'
/dev/vda1	/	ext4	errors=remount-ro	0	1
EOT

# the prompt CentOS 7 gives, which the tutorial shows ([root@k8s-master ~]#): a login shell
# reads /etc/profile.d after bash.bashrc set Debian's
cat > "$ROOT/etc/profile.d/k8slab-prompt.sh" <<'EOT'
if [ -n "${PS1-}" ]; then PS1='[\u@\h \W]\$ '; fi
EOT

# Debian's etcdctl 3.4 speaks the v3 API unless told; the tutorial's `etcdctl cluster-health`,
# `member list` and `get /k8s/network/config` are v2 (CentOS 7's etcd 3.3 defaults to it).
# /etc/environment reaches every session through pam_env: a login shell and `ssh node CMD` alike.
echo 'ETCDCTL_API=2' >> "$ROOT/etc/environment"

# sshd: no reverse DNS; host keys come from openssh-server's postinst
mkdir -p "$ROOT/etc/ssh/sshd_config.d"
echo 'UseDNS no' > "$ROOT/etc/ssh/sshd_config.d/10-vagrant.conf"
ls "$ROOT"/etc/ssh/ssh_host_*_key >/dev/null
# every VM gets its own machine-id at first boot
: > "$ROOT/etc/machine-id"
rm -f "$ROOT/var/lib/dbus/machine-id"

# kernel + initramfs with virtio
KVER=$(basename "$(ls -1 "$ROOT"/boot/vmlinuz-* | sort -V | tail -n1)" | sed 's/^vmlinuz-//')
[ -f "$ROOT/boot/initrd.img-$KVER" ] || { echo "no initrd for $KVER" >&2; exit 1; }
INITRD_FILES=$(lsinitramfs "$ROOT/boot/initrd.img-$KVER")   # not piped into grep -q: pipefail
for mod in virtio_blk virtio_net virtio_pci; do
    if grep -q "^CONFIG_$(echo $mod | tr a-z A-Z)=y" "$ROOT/boot/config-$KVER"; then
        log "$mod: built into $KVER"
    elif grep -Eq "/$mod\.ko(\.[a-z]+)?$" <<<"$INITRD_FILES"; then
        log "$mod: in the initramfs"
    else
        echo "$mod neither built in nor in the initramfs" >&2; exit 1
    fi
done

# the test platform's kubernetes and flannel packages, as CentOS 7's RPMs lay them out
DEBS=$WORK/debs
mkdir -p "$DEBS"
cp -a "$HERE/debs/kubernetes" "$HERE/debs/flannel" "$DEBS/"
install -d "$DEBS/kubernetes/usr/bin" "$DEBS/kubernetes/etc/kubernetes" \
    "$DEBS/flannel/usr/libexec/flannel" "$DEBS/flannel/etc/sysconfig"
for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
    install -m 0755 "$COMPONENTS_DIR/bin/$b" "$DEBS/kubernetes/usr/bin/$b"
done
for f in config apiserver controller-manager scheduler kubelet proxy; do
    install -m 0644 "$DEFAULTS/$f" "$DEBS/kubernetes/etc/kubernetes/$f"
done
install -m 0755 "$COMPONENTS_DIR/bin/flanneld" "$DEBS/flannel/usr/bin/flanneld"
install -m 0755 "$COMPONENTS_DIR/libexec/mk-docker-opts.sh" "$DEBS/flannel/usr/libexec/flannel/mk-docker-opts.sh"
install -m 0644 "$DEFAULTS/flanneld" "$DEBS/flannel/etc/sysconfig/flanneld"
for p in kubernetes flannel; do
    dpkg-deb --root-owner-group -Zgzip --build "$DEBS/$p" "$ROOT/tmp/$p.deb" >/dev/null
done
chroot "$ROOT" dpkg -i /tmp/kubernetes.deb /tmp/flannel.deb
rm -f "$ROOT"/tmp/*.deb
# As on CentOS after `yum install`: installed, neither enabled nor running; the tutorial's
# stages start and enable them (Debian's postinsts enable docker and etcd)
chroot "$ROOT" systemctl disable docker.service docker.socket etcd.service
# CentOS 7's iptables is the legacy one; kube-proxy 1.19 and docker share it
chroot "$ROOT" update-alternatives --set iptables /usr/sbin/iptables-legacy
chroot "$ROOT" update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy
phase packages

# small box: no caches, no lists, no logs
chroot "$ROOT" apt-get clean
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/log/*.log \
    "$ROOT"/var/log/apt/* "$ROOT"/tmp/* "$ROOT"/var/tmp/*
mkdir -p "$ROOT/var/lib/apt/lists/partial"
phase configure

# ---------------------------------------------------------------- disk image
truncate -s "${DISK_GIB}G" "$IMG"
echo "start=2048, type=83, bootable" | sfdisk -q "$IMG"
PART_SIZE=$(( DISK_GIB * 1024 * 1024 * 1024 - PART_START ))
LOOP=$(losetup -f --show -o "$PART_START" --sizelimit "$PART_SIZE" "$IMG")
mkfs.ext4 -q -L root -O ^64bit,^metadata_csum_seed,^orphan_file "$LOOP"
mount "$LOOP" "$MNT"
cp -a "$ROOT/." "$MNT/"
mkdir -p "$MNT/boot/extlinux"
extlinux --install "$MNT/boot/extlinux"
cat > "$MNT/boot/extlinux/extlinux.conf" <<EOT
DEFAULT debian
PROMPT 0
TIMEOUT 1
LABEL debian
    LINUX /boot/vmlinuz-$KVER
    INITRD /boot/initrd.img-$KVER
    APPEND $CMDLINE
EOT
sync
umount "$MNT"
losetup -d "$LOOP"
LOOP=
dd if=/usr/lib/EXTLINUX/mbr.bin of="$IMG" bs=440 count=1 conv=notrunc status=none
phase image

# ---------------------------------------------------------------- box
# compressed with zstd: ~3 s here, 435 MiB -> ~170 MiB (zlib: ~15 s); vagrant-libvirt uploads
# this file into each fresh storage pool, so smaller is faster every session
qemu-img convert -O qcow2 -c -o compression_type=zstd "$IMG" "$WORK/box.img"
rm -f "$IMG"
phase convert
echo '{"provider":"libvirt","format":"qcow2","virtual_size":'"$DISK_GIB"'}' > "$WORK/metadata.json"
cat > "$WORK/Vagrantfile" <<'EOT'
Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |libvirt|
    libvirt.driver = "qemu"
  end
end
EOT
tar -C "$WORK" -cf "$OUT.part" metadata.json Vagrantfile box.img
mv -f "$OUT.part" "$OUT"
phase tar
log "box $OUT: $(du -h --apparent-size "$OUT" | cut -f1), kernel $KVER, total $((SECONDS - t_start)) s"
