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
