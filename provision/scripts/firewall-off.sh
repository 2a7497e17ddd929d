# The tutorial turns the firewall off on every host (关闭防火墙).
if ! unit_exists firewalld; then finish "firewalld not installed"; fi
if systemctl is-active -q firewalld; then change "systemctl stop firewalld"; fi
if systemctl is-enabled -q firewalld; then change "systemctl disable firewalld"; fi
finish "firewalld stopped and disabled"
