#!/usr/bin/env bash
# Stand-in for kubectl in test/e2e/smoke.test.ts. It answers only the calls scripts/e2e/smoke.sh
# makes, from FAKE_KUBECTL_PODS ("pod=port ...": each pod's stats server on 127.0.0.1), and
# appends every call to FAKE_KUBECTL_LOG so the test can check what was waited for.
set -euo pipefail

echo "$*" >>"${FAKE_KUBECTL_LOG:?}"
read -ra pods <<<"${FAKE_KUBECTL_PODS:?}"

case "${1:-}" in
  wait)
    exit "${FAKE_KUBECTL_WAIT_STATUS:-0}"
    ;;
  get)
    for entry in "${pods[@]}"; do
      echo "${entry%%=*}"
    done
    ;;
  port-forward)
    target=""
    for arg in "$@"; do
      if [[ "$arg" == pod/* ]]; then
        target=${arg#pod/}
      fi
    done
    for entry in "${pods[@]}"; do
      if [[ "${entry%%=*}" == "$target" ]]; then
        echo "Forwarding from 127.0.0.1:${entry#*=} -> 8080"
        # Stays up like a real port-forward until the smoke script stops it.
        exec sleep 300
      fi
    done
    echo "error: pods \"$target\" not found" >&2
    exit 1
    ;;
  *)
    echo "fake kubectl: unexpected call: $*" >&2
    exit 1
    ;;
esac
