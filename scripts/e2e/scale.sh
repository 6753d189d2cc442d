#!/usr/bin/env bash
# End-to-end check that KEDA scales the consumers on lag, against the cluster of the current kubectl
# context:
#   1. the consumers' ScaledObject is Ready (KEDA reads the group's lag);
#   2. the producers' rate is raised, and the consumer Deployment must scale out beyond its count;
#   3. the rate is put back, and the Deployment must scale in to the ScaledObject's minimum.
# The producers' rate is put back on every exit, so a failure leaves the stack as Pulumi declared it.
# Scale-in waits out the ScaledObject's stabilisation window and then drops one replica a minute, so
# the default scale-in timeout allows for 300 s plus six steps.
#
# Settings (environment; defaults match the stack's, the app's from its contract via contract.sh):
#   SCALE_NAMESPACE          namespace of the sample app                   (kafka)
#   SCALE_CONSUMER           consumer Deployment (and its ScaledObject)    (the app's consumer Deployment)
#   SCALE_PRODUCER           producer Deployment                           (the app's producer Deployment)
#   SCALE_RATE               produce rate while raised                     (max)
#   SCALE_OUT_TIMEOUT        seconds to wait for the scale-out             (600)
#   SCALE_IN_TIMEOUT         seconds to wait for the scale-in              (1200)
#   SCALE_POLL_SECONDS       seconds between reads of the replica count    (10)
set -euo pipefail

for tool in kubectl jq; do
  command -v "$tool" >/dev/null || { echo "scale: $tool is required" >&2; exit 2; }
done
# shellcheck source=contract.sh
source "$(dirname "${BASH_SOURCE[0]}")/contract.sh"

NAMESPACE=${SCALE_NAMESPACE:-kafka}
CONSUMER=${SCALE_CONSUMER:-$(contract_value .kubernetes.deployments.consumer)}
PRODUCER=${SCALE_PRODUCER:-$(contract_value .kubernetes.deployments.producer)}
# The app's variable for its produce rate.
RATE_VARIABLE=$(contract_value .env.produceRate)
RATE=${SCALE_RATE:-max}
OUT_TIMEOUT=${SCALE_OUT_TIMEOUT:-600}
IN_TIMEOUT=${SCALE_IN_TIMEOUT:-1200}
POLL=${SCALE_POLL_SECONDS:-10}

for setting in SCALE_OUT_TIMEOUT:"$OUT_TIMEOUT" SCALE_IN_TIMEOUT:"$IN_TIMEOUT"; do
  if [[ ! "${setting#*:}" =~ ^[1-9][0-9]*$ ]]; then
    echo "scale: ${setting%%:*}='${setting#*:}' must be a positive whole number" >&2
    exit 2
  fi
done
if [[ ! "$POLL" =~ ^[0-9]+$ ]]; then
  echo "scale: SCALE_POLL_SECONDS='$POLL' must be a whole number" >&2
  exit 2
fi
if [[ ! "$RATE" =~ ^(max|[1-9][0-9]*)$ ]]; then
  echo "scale: SCALE_RATE='$RATE' must be max or a positive whole number of messages/s" >&2
  exit 2
fi

log() { echo "scale: $*"; }
fail() { echo "scale: FAIL: $*" >&2; exit 1; }

replicas() {
  kubectl get deployment "$CONSUMER" -n "$NAMESPACE" -o jsonpath='{.spec.replicas}'
}

set_rate() {
  kubectl set env "deployment/$PRODUCER" -n "$NAMESPACE" "$RATE_VARIABLE=$1"
  kubectl rollout status "deployment/$PRODUCER" -n "$NAMESPACE" --timeout=300s
}

log "waiting for scaledobject/$CONSUMER in $NAMESPACE to be Ready"
kubectl wait "scaledobject/$CONSUMER" -n "$NAMESPACE" --for=condition=Ready --timeout=300s
min=$(kubectl get scaledobject "$CONSUMER" -n "$NAMESPACE" -o jsonpath='{.spec.minReplicaCount}')
max=$(kubectl get scaledobject "$CONSUMER" -n "$NAMESPACE" -o jsonpath='{.spec.maxReplicaCount}')
original=$(kubectl get deployment "$PRODUCER" -n "$NAMESPACE" \
  -o jsonpath="{.spec.template.spec.containers[0].env[?(@.name==\"$RATE_VARIABLE\")].value}")
[[ -n "$original" ]] || fail "deployment/$PRODUCER has no $RATE_VARIABLE to raise"
start=$(replicas)
log "consumers: $start replica(s), KEDA bounds $min..$max; producers' rate: $original"
((start < max)) || fail "the consumers already run the maximum ($max): there is nothing to scale out to"

restore() {
  log "putting the producers' rate back to $original"
  set_rate "$original" || echo "scale: could not put $RATE_VARIABLE back to $original" >&2
}
trap restore EXIT

log "raising the producers' rate to $RATE"
set_rate "$RATE"

# Polls the consumer count until `$1 <count>` holds or $2 seconds pass; sets REPLICAS and PEAK.
PEAK=$start
wait_for() {
  local condition=$1 timeout=$2 deadline=$((SECONDS + $2)) last=""
  while :; do
    REPLICAS=$(replicas)
    if [[ "$REPLICAS" != "$last" ]]; then
      log "  consumers: $REPLICAS replica(s) after $((timeout - (deadline - SECONDS))) s"
      last=$REPLICAS
    fi
    ((REPLICAS > PEAK)) && PEAK=$REPLICAS
    "$condition" "$REPLICAS" && return 0
    ((SECONDS < deadline)) || return 1
    sleep "$POLL"
  done
}
scaled_out() { (($1 > start)); }
scaled_in() { (($1 == min)); }

log "waiting up to $OUT_TIMEOUT s for KEDA to scale the consumers out beyond $start"
wait_for scaled_out "$OUT_TIMEOUT" || fail "the consumers stayed at $REPLICAS replica(s) for $OUT_TIMEOUT s under $RATE_VARIABLE=$RATE"

trap - EXIT
restore
log "waiting up to $IN_TIMEOUT s for KEDA to scale the consumers back in to $min"
wait_for scaled_in "$IN_TIMEOUT" || fail "the consumers stayed at $REPLICAS replica(s) (not $min) for $IN_TIMEOUT s after the rate went back to $original"
log "OK: consumers $start -> $PEAK -> $REPLICAS replica(s) (KEDA bounds $min..$max)"
