# Prepended to every shell provisioner. MODE=check: print each command that would run and
# exit 10 if there was one (0 if none). MODE=apply: run them, stopping at the first failure.
set -eu
_k8slab_would=0
change() {
  if [ "${MODE:-check}" = check ]; then
    echo "$*"
    _k8slab_would=1
  else
    echo "+ $*"
    eval "$@"
  fi
}
finish() {
  if [ "${MODE:-check}" = check ] && [ "$_k8slab_would" = 1 ]; then exit 10; fi
  echo "${1:-ok}"
  exit 0
}
# One unit's states from one `systemctl show` (each systemctl costs ~1 s on a busy emulated node;
# `list-unit-files` reads every unit file): sets LOAD (loaded, not-found, ...), ACTIVE (active,
# inactive, failed, ...) and ENABLED (enabled, disabled, static, ...; empty when not installed).
# No --value: CentOS 7's systemd 219 predates it.
unit_state() {
  LOAD=; ACTIVE=; ENABLED=
  while IFS='=' read -r key value; do
    case $key in
      LoadState) LOAD=$value ;;
      ActiveState) ACTIVE=$value ;;
      UnitFileState) ENABLED=$value ;;
    esac
  done < <(systemctl show -p LoadState -p ActiveState -p UnitFileState "$1.service" 2>/dev/null)
}
