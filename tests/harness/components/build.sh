#!/bin/bash
# Build the cluster components the test box runs and no registry ships as a package:
# Kubernetes v1.19.16 server binaries (the last release with the tutorial's insecure port 8080)
# and flanneld v0.17.0 (the last release on etcd's v2 keys API; default backend udp, flannel0).
# Both come from the Go module proxy the host's `go` already uses; users of k8s-lab never
# need Go, only this test harness does.  Usage: build.sh OUT_DIR
#
# OUT_DIR/bin/      kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy flanneld
# OUT_DIR/libexec/  mk-docker-opts.sh (from the flannel module, as the CentOS RPM installs it)
# OUT_DIR/VERSIONS  what was built
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
command -v go >/dev/null || { echo "no go command: the components are built with Go (any version; it fetches go1.21.13)" >&2; exit 1; }
OUT=$(realpath -m "$1")
K8S_VERSION=v1.19.16
STAGING_VERSION=v0.19.16           # the staging modules are published with this tag
FLANNEL_VERSION=v0.17.0
# Module-mode steps (downloads, vendoring, flannel) run go1.21.13, which the go command fetches
# as a module: the Go these releases were made for. Kubernetes' own `make` builds in GOPATH
# mode, where GOTOOLCHAIN does not apply, so the host's Go compiles it (1.26 here; reflect2,
# which crashes at run time when built with Go >= 1.18, is replaced below).
export GOTOOLCHAIN=go1.21.13
export GOFLAGS=""                  # a host GOFLAGS (e.g. -buildvcs=false) would leak into make's tags
export GOMODCACHE=${GOMODCACHE:-$(go env GOMODCACHE)}
export GOSUMDB=${GOSUMDB:-$(go env GOSUMDB)}
export GOPROXY=${GOPROXY:-$(go env GOPROXY)}
# the checksum database has no entry for flannel's module; the proxy's copy is used as is
export GONOSUMDB=github.com/flannel-io

log() { echo "[components $(date +%T)] $*"; }
t0=$SECONDS

WORK=$(mktemp -d /var/tmp/k8slab-components.XXXXXX)
cleanup() { local rc=$?; chmod -R u+w "$WORK" 2>/dev/null; rm -rf --one-file-system "$WORK"; exit $rc; }
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$OUT/bin" "$OUT/libexec"

moddir() { go mod download -json "$1" 2>/dev/null | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }

# ---------------------------------------------------------------- flannel
# flannel's go.mod has replace lines, so `go install ...@v0.17.0` refuses: a wrapper module
# requires it and repeats them.  The udp backend needs cgo.
log "flannel $FLANNEL_VERSION"
FSRC=$(moddir "github.com/flannel-io/flannel@$FLANNEL_VERSION")
mkdir -p "$WORK/flannel" && cd "$WORK/flannel"
cat > go.mod <<EOT
module k8slab.test/flanneld

go 1.17

require github.com/flannel-io/flannel $FLANNEL_VERSION
EOT
awk '/^replace \(/ {p = 1} p {print} p && /^\)/ {exit}' "$FSRC/go.mod" >> go.mod
echo 'replace github.com/modern-go/reflect2 => github.com/modern-go/reflect2 v1.0.2' >> go.mod
echo 'replace github.com/json-iterator/go => github.com/json-iterator/go v1.1.12' >> go.mod
cat > tools.go <<'EOT'
//go:build tools

package tools

import _ "github.com/flannel-io/flannel"
EOT
GOFLAGS=-mod=mod go mod tidy -compat=1.17
CGO_ENABLED=1 go build -trimpath \
    -ldflags "-s -w -X github.com/flannel-io/flannel/version.Version=$FLANNEL_VERSION" \
    -o "$OUT/bin/flanneld" github.com/flannel-io/flannel
install -m 0755 "$FSRC/dist/mk-docker-opts.sh" "$OUT/libexec/mk-docker-opts.sh"

# ---------------------------------------------------------------- Kubernetes
# The k8s.io/kubernetes module lacks what its own repository has beside the code: the staging
# modules (each its own module, left out of the zip), the root Makefile symlinks, vendor/ and
# the generated OpenAPI file.  Rebuild that tree, then build with the release's own `make`,
# which vendors in GOPATH mode and generates the OpenAPI code as the release did.
log "kubernetes $K8S_VERSION: fetching the module and its staging modules"
SRC=$WORK/src/k8s.io/kubernetes
mkdir -p "$(dirname "$SRC")"
cp -r "$(moddir "k8s.io/kubernetes@$K8S_VERSION")" "$SRC"
chmod -R u+w "$SRC"
mkdir -p "$SRC/staging/src/k8s.io"
STAGING=$(sed -n 's|^\t\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*|\1|p' "$SRC/go.mod")
for mod in $STAGING; do
    if dir=$(moddir "$mod@$STAGING_VERSION") && [ -n "$dir" ]; then
        cp -r "$dir" "$SRC/staging/src/$mod"
    else
        # controller-manager, sample-cli-plugin, sample-controller were first published with
        # 1.20; nothing the five binaries import comes from them, so an empty module will do
        log "$mod@$STAGING_VERSION is not published: an empty module stands in"
        mkdir -p "$SRC/staging/src/$mod"
        printf 'module %s\n\ngo 1.15\n' "$mod" > "$SRC/staging/src/$mod/go.mod"
    fi
done
chmod -R u+w "$SRC/staging"
# module zips keep no file modes: the release's scripts must be executable again
find "$SRC" -name '*.sh' -exec chmod +x {} +
ln -s build/root/Makefile "$SRC/Makefile"
ln -s build/root/Makefile.generated_files "$SRC/Makefile.generated_files"

cd "$SRC"
# golang/go#48238: reflect2 v1.0.1 (and the json-iterator pinned with it) crash at run time
# when built with Go >= 1.18
GOFLAGS=-mod=mod go mod edit \
    -replace=github.com/modern-go/reflect2=github.com/modern-go/reflect2@v1.0.2 \
    -replace=github.com/json-iterator/go=github.com/json-iterator/go@v1.1.12
# vbom.ml (a vanity host, gone) no longer serves vbom.ml/util, and the proxy never cached the
# pinned version; its sortorder package lives on, the same code, as github.com/fvbommel/sortorder
VBOM=$SRC/third_party/vbom.ml-util
mkdir -p "$VBOM/sortorder"
printf 'module vbom.ml/util\n\ngo 1.15\n' > "$VBOM/go.mod"
cp "$(moddir github.com/fvbommel/sortorder@v1.0.1)"/{doc.go,natsort.go,LICENSE} "$VBOM/sortorder/"
chmod -R u+w "$VBOM"
GOFLAGS=-mod=mod go mod edit -replace=vbom.ml/util=./third_party/vbom.ml-util
GOFLAGS=-mod=mod go mod download github.com/modern-go/reflect2 github.com/json-iterator/go
log "go mod vendor"
GOFLAGS=-mod=mod go mod vendor
# as the release's hack/update-vendor.sh does: vendor/k8s.io/<staging> points at the whole
# staging module, so the code generators `make` builds from there are found
for mod in $STAGING; do
    rm -rf "vendor/$mod"
    ln -s "../../staging/src/$mod" "vendor/$mod"
done
cat > "$WORK/version" <<EOT
KUBE_GIT_COMMIT=''
KUBE_GIT_TREE_STATE='clean'
KUBE_GIT_VERSION='$K8S_VERSION'
KUBE_GIT_MAJOR='1'
KUBE_GIT_MINOR='19'
EOT
log "make (generated files, then the five server binaries)"
KUBE_GIT_VERSION_FILE=$WORK/version KUBE_BUILD_PLATFORMS=linux/amd64 CGO_ENABLED=0 \
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler cmd/kubelet cmd/kube-proxy"
for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
    install -m 0755 "_output/local/bin/linux/amd64/$b" "$OUT/bin/$b"
done
log "kubernetes built ($((SECONDS - t0)) s so far)"

{
    echo "kubernetes $K8S_VERSION, flannel $FLANNEL_VERSION; compiled by:"
    GOTOOLCHAIN=local go version "$OUT"/bin/*
} > "$OUT/VERSIONS"
log "done in $((SECONDS - t0)) s: $(du -sh "$OUT" | cut -f1)"
