#!/usr/bin/env bash
# Installs the pinned kind and kubectl for the end-to-end workflow into BIN_DIR (added to PATH by
# the caller). Each is verified: kind is built from its Go module (go.sum and the Go checksum
# database vouch for the source), kubectl is downloaded with the release's own SHA-256.
#
# Usage: KIND_VERSION=v0.31.0 KUBECTL_VERSION=v1.35.0 BIN_DIR=/path scripts/e2e/install-tools.sh
set -euo pipefail

: "${KIND_VERSION:?set KIND_VERSION, e.g. v0.31.0}"
: "${KUBECTL_VERSION:?set KUBECTL_VERSION, e.g. v1.35.0}"
: "${BIN_DIR:?set BIN_DIR to the directory to install into}"

for v in "$KIND_VERSION" "$KUBECTL_VERSION"; do
  if [[ ! "$v" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "install-tools: version '$v' must be an exact vMAJOR.MINOR.PATCH" >&2
    exit 1
  fi
done

mkdir -p "$BIN_DIR"

echo "install-tools: kind $KIND_VERSION (go install)"
GOBIN="$BIN_DIR" CGO_ENABLED=0 go install "sigs.k8s.io/kind@$KIND_VERSION"

echo "install-tools: kubectl $KUBECTL_VERSION (checksummed download)"
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "install-tools: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
download_dir=$(mktemp -d)
trap 'rm -rf "$download_dir"' EXIT
base="https://dl.k8s.io/release/$KUBECTL_VERSION/bin/linux/$arch"
curl -fsSL --retry 3 -o "$download_dir/kubectl" "$base/kubectl"
curl -fsSL --retry 3 -o "$download_dir/kubectl.sha256" "$base/kubectl.sha256"
echo "$(cat "$download_dir/kubectl.sha256")  $download_dir/kubectl" | sha256sum --check --strict
install -m 0755 "$download_dir/kubectl" "$BIN_DIR/kubectl"

"$BIN_DIR/kind" version
"$BIN_DIR/kubectl" version --client
