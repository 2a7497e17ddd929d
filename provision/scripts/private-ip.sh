# The node's private IP is on an interface (CentOS 7 sometimes brings eth1 up without it).
# Needs: IP (the node's private address).
if ip -o -4 addr show | grep -q " inet $IP/"; then
  finish "$IP on $(ip -o -4 addr show | awk -v ip="$IP" 'index($4, ip"/")==1 {print $2}')"
fi
# Find the interface Vagrant configured for this address; eth1 in Vagrant boxes otherwise.
iface=$(grep -ls "IPADDR=$IP\$" /etc/sysconfig/network-scripts/ifcfg-* 2>/dev/null | head -n1 | sed 's/.*ifcfg-//')
[ -n "$iface" ] || iface=$(awk -v ip="$IP" '/^iface /{i=$2} $1=="address" && $2 ~ "^"ip"(/|$)" {print i; exit}' /etc/network/interfaces /etc/network/interfaces.d/* 2>/dev/null || true)
[ -n "$iface" ] || iface=eth1
change "ifdown $iface || true"
change "ifup $iface"
change "ip -o -4 addr show | grep -q ' inet $IP/'"
finish
