#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager v1.20.2 from Debian bookworm's `kubernetes`
# source package, once per machine, into a cache outside the repository.
# Prints the directory holding the binaries on its last line of stdout.
set -euo pipefail

K8S_SRC_VERSION="1.20.5+really1.20.2-1.1+deb12u1"
FIX="reflect2-1.0.2-openapi-nullfix"
CACHE_ROOT="${MOORING_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mooring}"
BIN_DIR="$CACHE_ROOT/kube-${K8S_SRC_VERSION}-${FIX}/bin"

log() { echo "[cluster-build] $*" >&2; }

PREREQS="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/prereqs.sh"
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"

# Debian packages come from the project's one prerequisite script (extra names: this build's tools).
ensure_packages() { bash "$PREREQS" "$@" >&2; }

ensure_deb_src() {
  local src=/etc/apt/sources.list.d/debian-src.sources
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list 2>/dev/null; then
    log "adding deb-src entries for bookworm"
    $SUDO tee "$src" >/dev/null <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    $SUDO apt-get update -qq >&2
  fi
}

# What running the cluster needs, checked on every call (cheap: one dpkg-query).
ensure_packages

if [[ -x "$BIN_DIR/kube-apiserver" && -x "$BIN_DIR/kube-controller-manager" ]]; then
  echo "$BIN_DIR"
  exit 0
fi

ensure_packages golang-go dpkg-dev make rsync jq golang-github-modern-go-reflect2-dev
ensure_deb_src

WORK="$CACHE_ROOT/build"
mkdir -p "$WORK"
cd "$WORK"
SRC_DIR=$(find . -maxdepth 1 -type d -name 'kubernetes-1.20*' | head -n1)
if [[ -z "$SRC_DIR" ]]; then
  log "fetching the kubernetes source package ($K8S_SRC_VERSION)"
  apt-get source --download-only "kubernetes=$K8S_SRC_VERSION" >&2 || apt-get source --download-only kubernetes >&2
  dpkg-source -x --no-check ./kubernetes_*.dsc >&2
  SRC_DIR=$(find . -maxdepth 1 -type d -name 'kubernetes-1.20*' | head -n1)
fi
cd "$SRC_DIR"

log "applying the reflect2 fix (vendored 1.0.1 faults under Go >= 1.18)"
R2=vendor/github.com/modern-go/reflect2
rm -f "$R2"/*.go "$R2"/*.s
cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go "$R2"/
cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.s "$R2"/ 2>/dev/null || true
rm -f "$R2"/*_test.go

# Second fix, found here: go-openapi's type validator treats a value as null when
# reflect.DeepEqual(reflect.Zero(T), reflect.ValueOf(v)) holds. Since Go 1.18 an empty string in an
# interface points at the runtime's shared zero buffer, exactly like reflect.Zero, so every "" in a
# custom resource (spec.ignore: "", a condition with message "") is rejected as "null". Old Go never
# made those two Values equal, so "data == nil" restores v1.20's real behaviour.
log "applying the go-openapi empty-string fix"
for f in vendor/k8s.io/kube-openapi/pkg/validation/validate/type.go vendor/github.com/go-openapi/validate/type.go; do
  sed -i 's/if data == nil || reflect.DeepEqual(reflect.Zero(reflect.TypeOf(data)), reflect.ValueOf(data)) {/if data == nil {/' "$f"
  grep -q 'if data == nil {' "$f" || { log "fix did not apply to $f"; exit 1; }
done

export CGO_ENABLED=0 GOPROXY=off GOFLAGS=-mod=vendor HOME="$WORK/home" GOCACHE="$WORK/gocache"
mkdir -p "$HOME"
for what in kube-apiserver kube-controller-manager; do
  log "building $what v1.20.2 from Debian source, about 15 minutes for the first, once per machine"
  start=$(date +%s)
  make WHAT="cmd/$what" >&2
  log "$what built in $(( $(date +%s) - start )) s"
done

mkdir -p "$BIN_DIR"
cp _output/bin/kube-apiserver _output/bin/kube-controller-manager "$BIN_DIR"/
log "binaries cached in $BIN_DIR"
echo "$BIN_DIR"
