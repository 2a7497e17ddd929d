# Time sync on (the tutorial installs ntp): etcd and TLS-less kube components still
# misbehave when clocks drift apart. Needs: SERVICE (ntpd on centos7, systemd-timesyncd on debian12).
unit_state "$SERVICE"
if [ "$LOAD" != loaded ]; then
  echo "$SERVICE is not installed on this node" >&2
  exit 1
fi
case $ENABLED in
  enabled|enabled-runtime|static|indirect|generated|alias) ;;
  *) change "systemctl enable $SERVICE" ;;
esac
if [ "$ACTIVE" != active ]; then change "systemctl start $SERVICE"; fi
finish "$SERVICE running"
