# The tutorial turns the firewall off on every host (关闭防火墙).
unit_state firewalld
if [ "$LOAD" != loaded ]; then finish "firewalld not installed"; fi
case $ACTIVE in inactive|failed) ;; *) change "systemctl stop firewalld" ;; esac
case $ENABLED in enabled|enabled-runtime) change "systemctl disable firewalld" ;; esac
finish "firewalld stopped and disabled"
