#!/usr/bin/env bash
# Lints the GitHub workflows with actionlint (which also runs shellcheck on every `run:` block), every
# tracked shell script with shellcheck, and every TypeScript/JavaScript file with eslint
# (eslint.config.mjs) and prettier --check (.prettierrc.json). Any finding fails the run.
#
# actionlint is built from its Go module into a cache outside the repository, keyed by version, so
# only the first run pays for the build (~1 min); shellcheck comes from Debian.
set -euo pipefail

readonly ACTIONLINT_VERSION=v1.7.12

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

tools_dir="${XDG_CACHE_HOME:-$HOME/.cache}/kafka-on-k8s/tools"
actionlint_dir="$tools_dir/actionlint-$ACTIONLINT_VERSION"
actionlint="$actionlint_dir/actionlint"

build_actionlint() {
  local go_bin
  go_bin=$(command -v go || true)
  # The Go toolchain's usual home, for shells whose PATH lacks it.
  if [[ -z "$go_bin" && -x /usr/local/go/bin/go ]]; then
    go_bin=/usr/local/go/bin/go
  fi
  if [[ -z "$go_bin" ]]; then
    echo "lint: Go is needed to build actionlint $ACTIONLINT_VERSION and was not found on PATH" >&2
    exit 1
  fi
  echo "lint: building actionlint $ACTIONLINT_VERSION into $actionlint_dir"
  local started=$SECONDS staging
  mkdir -p "$tools_dir"
  # Build beside the cache and rename into place, so an interrupted build never leaves a
  # half-written binary that a later run would trust.
  staging=$(mktemp -d "$tools_dir/.actionlint-build.XXXXXX")
  if ! GOBIN="$staging" CGO_ENABLED=0 "$go_bin" install \
    "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"; then
    rm -rf "$staging"
    exit 1
  fi
  rm -rf "$actionlint_dir"
  mv "$staging" "$actionlint_dir"
  echo "lint: built actionlint in $((SECONDS - started)) s"
}

if [[ -x "$actionlint" ]]; then
  echo "lint: reusing $actionlint"
else
  build_actionlint
fi

if ! command -v shellcheck >/dev/null; then
  echo "lint: installing shellcheck from Debian"
  # Another apt run on the same machine holds the lock for a while; wait for it instead of failing.
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq shellcheck >/dev/null
fi

echo "lint: $("$actionlint" -version | head -n 1) actionlint, shellcheck $(shellcheck --version | sed -n 's/^version: //p')"

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
shopt -u nullglob
# The convergence stage's test doubles are shell scripts named after the CLIs they stand in for.
mapfile -t scripts < <(git ls-files '*.sh' 'test/converge/doubles/*')
if [[ -f .ci/run ]]; then
  scripts+=(.ci/run)
fi

if ((${#workflows[@]} == 0)); then
  echo "lint: no workflow found under .github/workflows" >&2
  exit 1
fi

status=0
echo "lint: actionlint (with shellcheck on run: blocks) on ${#workflows[@]} workflow(s): ${workflows[*]}"
# -shellcheck names the binary explicitly: without it actionlint silently skips run: blocks when
# the binary is missing from PATH.
"$actionlint" -shellcheck "$(command -v shellcheck)" "${workflows[@]}" || status=1

echo "lint: shellcheck on ${#scripts[@]} script(s): ${scripts[*]}"
if ((${#scripts[@]} > 0)); then
  shellcheck --external-sources --source-path=SCRIPTDIR "${scripts[@]}" || status=1
fi

# The workflows must install the tool versions the program is pinned to, and agree with each other.
pinned_value() {
  node -p "require('./versions.json')['$1']"
}
workflow_value() {
  sed -n 's/^ *'"$2"': *"\{0,1\}\([^" ]*\)"\{0,1\}$/\1/p' "$1" | sort -u
}
same_version() {
  local what=$1 want=$2 got=$3
  if [[ -z "$want" || -z "$got" || "$want" != "$got" ]]; then
    echo "lint: version drift: $what: expected '${want:-<not found>}', found '${got:-<not found>}'" >&2
    status=1
  fi
}
e2e=.github/workflows/e2e.yml
pr=.github/workflows/pr.yml
same_version "kind ($e2e KIND_VERSION vs versions.json kind)" \
  "$(pinned_value kind)" "$(workflow_value "$e2e" KIND_VERSION)"
same_version "Flux ($e2e FLUX_VERSION vs pinned.flux)" \
  "$(pinned_value flux)" "$(workflow_value "$e2e" FLUX_VERSION)"
same_version "Flux action ref ($e2e fluxcd/flux2/action@ vs pinned.flux)" \
  "v$(pinned_value flux)" "$(sed -n 's|^ *uses: fluxcd/flux2/action@\([^ ]*\).*$|\1|p' "$e2e" | sort -u)"
same_version "flux CLI the convergence stage builds (scripts/apiserver/versions.env FLUX_VERSION vs pinned.flux)" \
  "v$(pinned_value flux)" "$(sed -n 's/^FLUX_VERSION=//p' scripts/apiserver/versions.env)"
same_version "kubectl ($e2e KUBECTL_VERSION vs pinned.kubernetes)" \
  "v$(pinned_value kubernetes)" "$(workflow_value "$e2e" KUBECTL_VERSION)"
same_version "Pulumi CLI ($pr pulumi-version vs $e2e PULUMI_VERSION)" \
  "$(workflow_value "$e2e" PULUMI_VERSION)" "$(workflow_value "$pr" pulumi-version)"
echo "lint: tool versions: workflows vs versions.json checked"

# The root package pins both; `npm run format` rewrites what prettier would change.
npx --no-install eslint . || status=1
npx --no-install prettier --check --log-level warn . || { echo "lint: run npm run format" >&2; status=1; }

if ((status != 0)); then
  echo "lint: FAILED (findings above)" >&2
  exit 1
fi
echo "lint: clean: ${#workflows[@]} workflow(s), ${#scripts[@]} script(s), eslint and prettier over the TypeScript"
