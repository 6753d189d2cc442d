#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Builds kube-apiserver and etcd from the committed wrapper modules into a cache outside the repo,
# keyed by version, and reuses them when present. Prints one line per binary on stdout,
# `<name> built|reused <path>`; progress and timings go to stderr. A cold build takes minutes on 2 cores.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
tools_dir="${XDG_CACHE_HOME:-$HOME/.cache}/kafka-on-k8s/tools"
# Never let go fetch another toolchain, nor stamp VCS data: the output depends only on go.sum.
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0

log() { printf '[apiserver build] %s\n' "$*" >&2; }

if ! command -v go >/dev/null; then
  log "go is not on PATH; install Go >= 1.26 (etcd $ETCD_VERSION needs it)"
  exit 1
fi

# The wrapper go.mod must build exactly the version pinned in versions.env.
require_pinned() {
  local module_dir="$1" module="$2" version="$3"
  if ! grep -Eq "^(require )?[[:space:]]*$module $version\$" "$here/$module_dir/go.mod"; then
    log "$module_dir/go.mod does not require $module $version from versions.env; run scripts/apiserver/pin.sh"
    exit 1
  fi
}

build() {
  local name="$1" version="$2" module_dir="$3" ldflags="-s ${4:-}"
  local out_dir="$tools_dir/$name-$version"
  local binary="$out_dir/$name"
  local status=reused
  if [[ -x "$binary" ]]; then
    log "$name $version: reusing $binary"
  else
    status=built
    log "$name $version: building into $out_dir (cold builds take minutes; go prints each module it downloads)"
    local started=$SECONDS
    mkdir -p "$out_dir"
    # Build to a temporary name so an interrupted build never leaves a binary that looks complete.
    (cd "$here/$module_dir" && go build -trimpath -ldflags="$ldflags" -o "$binary.partial" .)
    mv "$binary.partial" "$binary"
    log "$name $version: built in $((SECONDS - started)) s ($(du -h "$binary" | cut -f1))"
  fi
  printf '%s %s %s\n' "$name" "$status" "$binary"
}

require_pinned kube-apiserver k8s.io/kubernetes "$KUBERNETES_VERSION"
require_pinned etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
started=$SECONDS
build etcd "$ETCD_VERSION" etcd
# Upstream's release build stamps the version; without it the server reports v0.0.0-master and
# clients such as kubectl cannot tell which API version they are talking to.
minor="${KUBERNETES_VERSION#v1.}"
minor="${minor%%.*}"
version_pkg=k8s.io/component-base/version
build kube-apiserver "$KUBERNETES_VERSION" kube-apiserver \
  "-X $version_pkg.gitVersion=$KUBERNETES_VERSION -X $version_pkg.gitMajor=1 -X $version_pkg.gitMinor=$minor -X $version_pkg.gitTreeState=clean"
log "done in $((SECONDS - started)) s"
