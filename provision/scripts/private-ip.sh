# The node's private IP is on an interface (CentOS 7 sometimes brings eth1 up without it).
# Needs: IP (the node's private address).
# `ip -o -4 addr show` lines: "3: eth1    inet 192.168.0.16/24 brd ...", read by bash alone
while read -r _ dev _ addr _; do
  if [ "${addr%/*}" = "$IP" ]; then finish "$IP on $dev"; fi
done < <(ip -o -4 addr show)
# Find the interface Vagrant configured for this address; eth1 in Vagrant boxes otherwise.
iface=$(grep -ls "IPADDR=$IP\$" /etc/sysconfig/network-scripts/ifcfg-* 2>/dev/null | head -n1 | sed 's/.*ifcfg-//')
[ -n "$iface" ] || iface=$(awk -v ip="$IP" '/^iface /{i=$2} $1=="address" && $2 ~ "^"ip"(/|$)" {print i; exit}' /etc/network/interfaces /etc/network/interfaces.d/* 2>/dev/null || true)
[ -n "$iface" ] || iface=eth1
change "ifdown $iface || true"
change "ifup $iface"
change "ip -o -4 addr show | grep -q ' inet $IP/'"
finish
