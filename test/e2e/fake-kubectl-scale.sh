#!/usr/bin/env bash
# Stand-in for kubectl in test/e2e/scale.test.ts. It answers only the calls scripts/e2e/scale.sh makes:
# the ScaledObject's bounds (FAKE_MIN, FAKE_MAX), the producers' PRODUCE_RATE (kept in
# $FAKE_KUBECTL_STATE/rate, changed by `set env`), and the consumers' replica count, which steps through
# FAKE_REPLICAS ("2 4 6 1": one value per read, the last one repeated). Every call is appended to
# FAKE_KUBECTL_LOG.
set -euo pipefail

echo "$*" >>"${FAKE_KUBECTL_LOG:?}"
state=${FAKE_KUBECTL_STATE:?}

case "${1:-} ${2:-}" in
  "wait scaledobject/"* | "rollout status")
    exit 0
    ;;
  "get scaledobject")
    case "$*" in
      *minReplicaCount*) echo -n "${FAKE_MIN:?}" ;;
      *maxReplicaCount*) echo -n "${FAKE_MAX:?}" ;;
      *) echo "fake kubectl: unexpected call: $*" >&2; exit 1 ;;
    esac
    ;;
  "get deployment")
    case "$*" in
      *PRODUCE_RATE*) cat "$state/rate" ;;
      *spec.replicas*)
        read -ra sequence <<<"${FAKE_REPLICAS:?}"
        reads=$(cat "$state/reads" 2>/dev/null || echo 0)
        index=$((reads < ${#sequence[@]} ? reads : ${#sequence[@]} - 1))
        echo $((reads + 1)) >"$state/reads"
        echo -n "${sequence[$index]}"
        ;;
      *) echo "fake kubectl: unexpected call: $*" >&2; exit 1 ;;
    esac
    ;;
  "set env")
    for arg in "$@"; do
      if [[ "$arg" == PRODUCE_RATE=* ]]; then
        echo -n "${arg#PRODUCE_RATE=}" >"$state/rate"
      fi
    done
    ;;
  *)
    echo "fake kubectl: unexpected call: $*" >&2
    exit 1
    ;;
esac
