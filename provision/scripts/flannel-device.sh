# What flanneld keeps at run time, not in a file: its device flannel0 up, holding an address of
# the node's lease, and the overlay's route through it. `ip link set flannel0 down`, a flanneld
# that lost its device, or a route deleted by hand leave every file right and the overlay
# broken; flanneld makes all three when it starts, so a restart of flanneld repairs them.
if [ ! -f /run/flannel/subnet.env ]; then
  echo "/run/flannel/subnet.env is missing: flanneld has not written its lease (is flanneld running? can this node reach etcd?)" >&2
  exit 1
fi
. /run/flannel/subnet.env
lease=${FLANNEL_SUBNET%.*}              # 10.255.3.1/24 -> 10.255.3: the udp backend gives flannel0 .0
problem=
link=$(ip -o link show dev flannel0 2>/dev/null) || true
if [ -z "$link" ]; then
  problem="flannel0 does not exist"
elif ! grep -q '[<,]UP[,>]' <<<"$link"; then
  problem="flannel0 is down"
elif ! ip -o -4 addr show dev flannel0 | grep -q " inet $lease\."; then
  problem="flannel0 has no address of the lease $FLANNEL_SUBNET"
elif ! ip -4 route show exact "$FLANNEL_NETWORK" | grep -q ' dev flannel0'; then
  problem="no route to $FLANNEL_NETWORK through flannel0"
fi
if [ -z "$problem" ]; then finish "flannel0 up on the lease $FLANNEL_SUBNET, $FLANNEL_NETWORK through it"; fi
echo "$problem" >&2
change "systemctl restart flanneld"
finish
