#!/bin/bash
# The tutorial's steps 1 (hosts, packages, firewall, time) and 2.1/2.3 (etcd, the flannel key)
# as plain shell, the way a tutorial follower writes a Vagrant shell provisioner: the same edits
# the tool makes on the debian12 lab, for the tutorial's three nodes. Run as root on each node,
# one after another (bench/run.py: `vagrant ssh NODE -c 'sudo bash -s' < provision.sh`).
# Idempotent-ish: file edits are guarded, services are restarted every time.
set -eu

ETCD_IP=192.168.0.15
HOSTS="192.168.0.15 k8s-master
192.168.0.15 k8s-etcd
192.168.0.16 k8s-node1
192.168.0.17 k8s-node2"
FLANNEL_KEY=/k8s/network/config
FLANNEL_CONFIG='{"Network": "10.255.0.0/16"}'

me=$(hostname)
case "$me" in
  k8s-master) IP=192.168.0.15; ETCD=1 ;;
  k8s-node1)  IP=192.168.0.16; ETCD=0 ;;
  k8s-node2)  IP=192.168.0.17; ETCD=0 ;;
  *) echo "unknown node $me" >&2; exit 1 ;;
esac

# 1. the private IP is there
ip -o -4 addr show | grep -q " inet $IP/" || { ifdown eth1 || true; ifup eth1; }

# 1. /etc/hosts: every other line naming a lab host goes, then the tutorial's table
while read -r ip name; do
  sed -i -E "/^${ip//./\\.} ${name}\$/! { /[[:space:]]${name}([[:space:]]|\$)/d }" /etc/hosts
done <<< "$HOSTS"
while read -r ip name; do
  grep -qxF "$ip $name" /etc/hosts || echo "$ip $name" >> /etc/hosts
done <<< "$HOSTS"

# 1. packages (already in the box; apt-get would need a mirror), firewall off, time sync on
if [ "$ETCD" = 1 ]; then
  dpkg-query -W -f '${Status}\n' etcd-server etcd-client | grep -qv "install ok installed" \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server etcd-client
fi
if systemctl list-unit-files firewalld.service | grep -q '^firewalld.service'; then
  systemctl stop firewalld; systemctl disable firewalld
fi
systemctl enable systemd-timesyncd
systemctl start systemd-timesyncd

[ "$ETCD" = 1 ] || exit 0

# 2.1 etcd listens on the private IP too and advertises it; etcd 3.4 needs the v2 API for flannel
set_key() {  # KEY VALUE: the active line rewritten, else the commented one, else appended
  local key=$1 line="$1=\"$2\"" f=/etc/default/etcd
  if grep -q "^$key=" $f; then sed -i "s|^$key=.*|$line|" $f
  elif grep -qE "^# ?$key=" $f; then sed -i -E "0,/^# ?$key=/s|^# ?$key=.*|$line|" $f
  else echo "$line" >> $f
  fi
}
set_key ETCD_DATA_DIR /var/lib/etcd/default.etcd
set_key ETCD_LISTEN_CLIENT_URLS "http://localhost:2379,http://$ETCD_IP:2379"
set_key ETCD_NAME default
set_key ETCD_ADVERTISE_CLIENT_URLS "http://$ETCD_IP:2379"
set_key ETCD_ENABLE_V2 true
systemctl restart etcd
systemctl enable etcd

# 2.3 the flannel network, through the v2 API
export ETCDCTL_API=2
for i in $(seq 30); do etcdctl --endpoints "http://$ETCD_IP:2379" cluster-health >/dev/null && break; sleep 2; done
etcdctl --endpoints "http://$ETCD_IP:2379" set $FLANNEL_KEY "$FLANNEL_CONFIG"
