# Instead of the tutorial's reboot: docker started before flanneld wrote /run/flannel/docker
# keeps a docker0 outside the flannel lease and refuses the new --bip. Remove that docker0
# and restart docker, so it comes back with the lease's first address.
if [ ! -f /run/flannel/docker ]; then
  echo "/run/flannel/docker is missing: flanneld has not written its lease (is flanneld running? can this node reach etcd?)" >&2
  exit 1
fi
. /run/flannel/docker
bip=${DOCKER_OPT_BIP#--bip=}
have=
read -r _ _ _ have _ < <(ip -o -4 addr show dev docker0 2>/dev/null) || true   # docker0's first address
if [ "$have" = "$bip" ]; then finish "docker0 $have matches the lease"; fi
if [ -n "$have" ]; then
  change "ip link set docker0 down"
  change "ip link delete docker0"
fi
change "systemctl restart docker"
finish
