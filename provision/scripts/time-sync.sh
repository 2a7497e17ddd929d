# Time sync on (the tutorial installs ntp): etcd and TLS-less kube components still
# misbehave when clocks drift apart. Needs: SERVICE (ntpd on centos7, systemd-timesyncd on debian12).
if ! unit_exists "$SERVICE"; then
  echo "$SERVICE is not installed on this node" >&2
  exit 1
fi
if ! systemctl is-enabled -q "$SERVICE"; then change "systemctl enable $SERVICE"; fi
if ! systemctl is-active -q "$SERVICE"; then change "systemctl start $SERVICE"; fi
finish "$SERVICE running"
