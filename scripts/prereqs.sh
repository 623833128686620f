#!/usr/bin/env bash
# The one place that installs the Debian packages Mooring's targets need (make test, demo,
# conformance, bench, cluster-up; test/cluster/build.sh for its build tools).
#   scripts/prereqs.sh            the packages every target needs
#   scripts/prereqs.sh PKG...     those plus PKG... (e.g. the control-plane build tools)
# Checking is one dpkg-query call, so a warm machine pays a few milliseconds. Missing packages are
# installed with apt-get as root, through sudo otherwise; where neither works it stops with one
# line naming the packages and the command that installs them.
set -euo pipefail

packages=(
  git openssh-client openssh-server # the source controller; the test Git servers (git http-backend, sshd)
  etcd-server openssl curl          # the test control plane (kube-apiserver is built by test/cluster/build.sh)
  python3 python3-yaml              # the kustomize corpora's check.sh
  gnupg                             # signed-commit tests
  time make                         # benchmarks' peak RSS; the Makefile itself
  chromium fonts-dejavu-core        # the UI's browser tests (Debian's build, no browser download)
  "$@"
)

# kubectl comes with this machine image (Google's kubectl package, not in Debian's archive).
command -v kubectl >/dev/null 2>&1 || echo "warning: kubectl not found on PATH: the tests and the demo call it" >&2

installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true)
missing=()
for p in "${packages[@]}"; do
  grep -qx "$p installed" <<<"$installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0

if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "missing Debian packages: ${missing[*]} — install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq >&2
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
