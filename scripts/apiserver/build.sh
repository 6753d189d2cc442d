#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Builds the local control plane's tools from the committed wrapper modules (and flux from its own
# module) into a cache outside the repo, keyed by version, and reuses them when present.
# Usage: build.sh [tool...]; tools: etcd kube-apiserver kube-controller-manager kube-scheduler kwok
# flux flux-previous helm cyclonus; default etcd kube-apiserver helm (the API-server stage). Prints one line per binary on stdout,
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
  if ! grep -Eq "^(require )?[[:space:]]*$module $version( // indirect)?\$" "$here/$module_dir/go.mod"; then
    log "$module_dir/go.mod does not require $module $version from versions.env; run scripts/apiserver/pin.sh"
    exit 1
  fi
}

# Builds (or reuses) one cached binary with `go build` in a module directory.
# Arguments: name version dir package ldflags.
build() {
  local name="$1" version="$2" dir="$3" package="$4" ldflags="-s ${5:-}"
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
    (cd "$dir" && go build -trimpath -ldflags="$ldflags" -o "$binary.partial" "$package")
    mv "$binary.partial" "$binary"
    log "$name $version: built in $((SECONDS - started)) s ($(du -h "$binary" | cut -f1))"
  fi
  printf '%s %s %s\n' "$name" "$status" "$binary"
}

module_dir() {
  go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'
}

# flux2 cannot be built with `go install` (its go.mod has replace directives) and embeds
# manifests/*.yaml that its release makes from GitHub release assets. Each asset is a controller's
# config/crd or config/manager rendered by kustomize, and those ship in the controllers' Go modules:
# rebuild them from the module proxy at the versions flux2's manifests/bases pin. Only `flux install`'s
# default controllers are rendered (the extras are not needed here; source-watcher is not on the proxy).
prepare_flux_source() {
  local work="$1" flux_version="$2" src controller url version release mod fallback
  src="$(module_dir "github.com/fluxcd/flux2/v2@$flux_version")"
  cp -r "$src/." "$work"
  chmod -R u+w "$work"
  mkdir -p "$work/cmd/flux/manifests"
  for controller in source-controller kustomize-controller helm-controller notification-controller; do
    local base="$work/manifests/bases/$controller"
    url="$(grep -Eo "https://github.com/fluxcd/$controller/releases/download/v[^/]+/" "$base/kustomization.yaml" | head -n 1)"
    version="${url%/}"
    version="${version##*/}"
    [[ -n "$version" ]] || { log "no $controller version in $base/kustomization.yaml"; exit 1; }
    fallback=""
    for entry in $FLUX_MANIFEST_FALLBACKS; do
      [[ "${entry%%=*}" == "$controller@$version" ]] && fallback="${entry#*=}"
    done
    if [[ -n "$fallback" ]]; then
      log "flux $flux_version: $controller $version is not served; rendering its manifests from $fallback (versions.env FLUX_MANIFEST_FALLBACKS)"
      mod="$(module_dir "github.com/fluxcd/$controller@$fallback")"
    else
      mod="$(module_dir "github.com/fluxcd/$controller@$version")"
    fi
    kubectl kustomize "$mod/config/crd" >"$base/$controller.crds.yaml"
    kubectl kustomize "$mod/config/manager" >"$base/$controller.deployment.yaml"
    release="https://github.com/fluxcd/$controller/releases/download/$version/"
    sed -i "s#$release##" "$base/kustomization.yaml"
    kubectl kustomize "$base" >"$work/cmd/flux/manifests/$controller.yaml"
    log "flux: $controller $version manifests rendered from its Go module"
  done
  kubectl kustomize "$work/manifests/rbac" >"$work/cmd/flux/manifests/rbac.yaml"
  kubectl kustomize "$work/manifests/policies" >"$work/cmd/flux/manifests/policies.yaml"
}

# Arguments: the name build.sh reports (flux, flux-previous) and the version.
build_flux() {
  local name="$1" flux_version="$2" binary work
  binary="$tools_dir/flux-$flux_version/flux"
  if [[ -x "$binary" ]]; then
    log "$name $flux_version: reusing $binary"
    printf '%s reused %s\n' "$name" "$binary"
    return
  fi
  command -v kubectl >/dev/null || { log "kubectl (its kustomize) is needed to render flux's manifests"; exit 1; }
  work="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: $work is local
  trap "rm -rf '$work'" EXIT
  prepare_flux_source "$work" "$flux_version"
  # flux compares this with --version when installing; upstream's release stamps it the same way.
  build flux "$flux_version" "$work" ./cmd/flux "-X main.VERSION=${flux_version#v}" | sed "s/^flux /$name /"
  rm -rf "$work"
  trap - EXIT
}

# A tool whose module has no replace directives and pins its dependencies in its own go.sum (helm;
# cyclonus, which evaluates NetworkPolicies offline for test-apiserver/network-policy.test.ts): built in a
# writable copy of the module. Arguments: name version module package [ldflags].
build_module_copy() {
  local name="$1" version="$2" module="$3" package="$4" ldflags="${5:-}" work
  if [[ -x "$tools_dir/$name-$version/$name" ]]; then
    build "$name" "$version" . .
    return
  fi
  work="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: $work is local
  trap "rm -rf '$work'" EXIT
  cp -r "$(module_dir "$module@$version")/." "$work"
  chmod -R u+w "$work"
  build "$name" "$version" "$work" "$package" "$ldflags"
  rm -rf "$work"
  trap - EXIT
}

require_pinned kube-apiserver k8s.io/kubernetes "$KUBERNETES_VERSION"
require_pinned etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
require_pinned kwok sigs.k8s.io/kwok "$KWOK_VERSION"
# Upstream's release build stamps the version; without it the server reports v0.0.0-master and
# clients such as kubectl cannot tell which API version they are talking to.
minor="${KUBERNETES_VERSION#v1.}"
minor="${minor%%.*}"
version_pkg=k8s.io/component-base/version
kube_ldflags="-X $version_pkg.gitVersion=$KUBERNETES_VERSION -X $version_pkg.gitMajor=1 -X $version_pkg.gitMinor=$minor -X $version_pkg.gitTreeState=clean"

started=$SECONDS
(($#)) || set -- etcd kube-apiserver helm
# One after another: on 2 cores parallel go builds only thrash.
for tool in "$@"; do
  case "$tool" in
    etcd) build etcd "$ETCD_VERSION" "$here/etcd" . ;;
    kube-apiserver) build kube-apiserver "$KUBERNETES_VERSION" "$here/kube-apiserver" . "$kube_ldflags" ;;
    kube-controller-manager | kube-scheduler)
      build "$tool" "$KUBERNETES_VERSION" "$here/kube-apiserver" "./cmd/$tool" "$kube_ldflags" ;;
    kwok)
      build kwok "$KWOK_VERSION" "$here/kwok" sigs.k8s.io/kwok/cmd/kwok
      # The standalone binary ships no Stages ("no stages found"): render the module's defaults beside it.
      stages="$tools_dir/kwok-$KWOK_VERSION/stages.yaml"
      if [[ ! -s "$stages" ]]; then
        kubectl kustomize "$(module_dir "sigs.k8s.io/kwok@$KWOK_VERSION")/kustomize/stage/fast" >"$stages.partial"
        mv "$stages.partial" "$stages"
      fi
      ;;
    flux) build_flux flux "$FLUX_VERSION" ;;
    flux-previous) build_flux flux-previous "$FLUX_PREVIOUS_VERSION" ;;
    # Version stamped as upstream's release does.
    helm) build_module_copy helm "$HELM_VERSION" helm.sh/helm/v4 ./cmd/helm "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" ;;
    cyclonus) build_module_copy cyclonus "$CYCLONUS_VERSION" github.com/mattfenwick/cyclonus ./cmd/cyclonus ;;
    *) log "unknown tool: $tool"; exit 2 ;;
  esac
done
log "done in $((SECONDS - started)) s"
