#!/usr/bin/env bash
# Fails with one clear message naming every listed variable that is empty, so a repository secret
# that was never set is reported as such instead of as a confusing Pulumi login or decrypt error.
# Values are never printed.
#
# Usage: scripts/e2e/require-env.sh NAME...
set -euo pipefail

(($# > 0)) || { echo "usage: require-env.sh NAME..." >&2; exit 2; }

missing=()
for name in "$@"; do
  if [[ ! "$name" =~ ^[A-Z_][A-Z0-9_]*$ ]]; then
    echo "require-env: '$name' is not a variable name" >&2
    exit 2
  fi
  if [[ -z "${!name:-}" ]]; then
    missing+=("$name")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "::error::repository secret(s) not set: ${missing[*]}. Set each with: gh secret set NAME (it prompts for the value)" >&2
  exit 1
fi
echo "require-env: set: $*"
