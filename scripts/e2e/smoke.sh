#!/usr/bin/env bash
# End-to-end smoke check of a deployed stack, against the cluster of the current kubectl context:
#   1. the Kafka cluster and every KafkaTopic are Ready, the sample-app Deployments Available;
#   2. over a window, the producers acknowledged new messages (produced-in-window > 0);
#   3. the consumers then processed at least that many messages (consumed >= produced-in-window);
#   4. the consumers saw no gap in any producer's sequence numbers.
#
# Every sample-app pod is read through its own `kubectl port-forward` (a Service would answer from
# one pod only), and the counts are summed per role. Counts are compared as deltas over the window,
# so a consumer that restarted and resumed from its group's committed offsets is not a failure.
#
# Settings (environment; defaults match the stack's, the app's from its contract via contract.sh):
#   SMOKE_NAMESPACE        namespace of Kafka and the sample app             (kafka)
#   SMOKE_KAFKA            name of the Kafka resource                        (kafka)
#   SMOKE_APP_LABEL        label selecting every sample-app pod              (the app's name label)
#   SMOKE_HTTP_PORT        sample-app HTTP port in the pod                   (the app's port)
#   SMOKE_READY_TIMEOUT    kubectl wait timeout for Kafka, topics, apps      (900s)
#   SMOKE_WINDOW_SECONDS   produce window                                    (30)
#   SMOKE_CATCHUP_SECONDS  how long the consumers may take to catch up       (120)
#   SMOKE_PRODUCED_JQ      jq path of a pod's acknowledged-message count     (.producer.produced)
#   SMOKE_CONSUMED_JQ      jq path of a pod's processed-message count        (.consumer.consumed)
#   SMOKE_GAPS_JQ          jq path of a pod's missing-sequence count         (.consumer.gaps)
# The jq paths read `GET /api/stats`; a pod whose role lacks the path (null) counts as 0.
set -euo pipefail

for tool in kubectl jq curl; do
  command -v "$tool" >/dev/null || { echo "smoke: $tool is required" >&2; exit 2; }
done
# shellcheck source=contract.sh
source "$(dirname "${BASH_SOURCE[0]}")/contract.sh"

NAMESPACE=${SMOKE_NAMESPACE:-kafka}
KAFKA=${SMOKE_KAFKA:-kafka}
APP_LABEL=${SMOKE_APP_LABEL:-$(sample_app_selector)}
HTTP_PORT=${SMOKE_HTTP_PORT:-$(contract_value .httpPort)}
READY_TIMEOUT=${SMOKE_READY_TIMEOUT:-900s}
WINDOW_SECONDS=${SMOKE_WINDOW_SECONDS:-30}
CATCHUP_SECONDS=${SMOKE_CATCHUP_SECONDS:-120}
PRODUCED_JQ=${SMOKE_PRODUCED_JQ:-.producer.produced}
CONSUMED_JQ=${SMOKE_CONSUMED_JQ:-.consumer.consumed}
GAPS_JQ=${SMOKE_GAPS_JQ:-.consumer.gaps}

for setting in SMOKE_WINDOW_SECONDS:"$WINDOW_SECONDS" SMOKE_CATCHUP_SECONDS:"$CATCHUP_SECONDS" SMOKE_HTTP_PORT:"$HTTP_PORT"; do
  if [[ ! "${setting#*:}" =~ ^[1-9][0-9]*$ ]]; then
    echo "smoke: ${setting%%:*}='${setting#*:}' must be a positive whole number" >&2
    exit 2
  fi
done

log() { echo "smoke: $*"; }
fail() { echo "smoke: FAIL: $*" >&2; exit 1; }

workdir=$(mktemp -d)
forward_pids=()
cleanup() {
  if ((${#forward_pids[@]} > 0)); then
    kill "${forward_pids[@]}" 2>/dev/null || true
    wait "${forward_pids[@]}" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT

log "waiting for kafka/$KAFKA in $NAMESPACE to be Ready (timeout $READY_TIMEOUT)"
kubectl wait "kafka/$KAFKA" -n "$NAMESPACE" --for=condition=Ready --timeout="$READY_TIMEOUT"
log "waiting for every KafkaTopic in $NAMESPACE to be Ready"
kubectl wait kafkatopic --all -n "$NAMESPACE" --for=condition=Ready --timeout="$READY_TIMEOUT"
log "waiting for the sample-app Deployments ($APP_LABEL) to be Available"
kubectl wait deployment -l "$APP_LABEL" -n "$NAMESPACE" --for=condition=Available --timeout="$READY_TIMEOUT"

mapfile -t pods < <(kubectl get pods -n "$NAMESPACE" -l "$APP_LABEL" \
  --field-selector=status.phase=Running -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}')
((${#pods[@]} > 0)) || fail "no Running pod matches $APP_LABEL in $NAMESPACE"

# Starts a port-forward to one pod on a free local port; sets FORWARD_PORT.
forward() {
  local pod=$1 out="$workdir/forward-$1.log" port=""
  # Created here, not by the background job's redirection, so the first read below cannot race it.
  : >"$out"
  kubectl port-forward -n "$NAMESPACE" "pod/$pod" ":$HTTP_PORT" >>"$out" 2>&1 &
  forward_pids+=("$!")
  for _ in $(seq 1 100); do
    port=$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9][0-9]*\) .*/\1/p' "$out" | head -n 1)
    if [[ -n "$port" ]]; then
      FORWARD_PORT=$port
      return
    fi
    sleep 0.1
  done
  cat "$out" >&2
  fail "port-forward to pod/$pod did not start"
}

declare -A ports
for pod in "${pods[@]}"; do
  forward "$pod"
  ports[$pod]=$FORWARD_PORT
done
log "reading /api/stats of ${#pods[@]} pod(s): ${pods[*]}"

# Fetches every pod's stats into $workdir/<snapshot>/<pod>.json.
snapshot() {
  local dir="$workdir/$1" pod
  mkdir -p "$dir"
  for pod in "${pods[@]}"; do
    curl -fsS --max-time 10 "http://127.0.0.1:${ports[$pod]}/api/stats" -o "$dir/$pod.json" \
      || fail "GET /api/stats from pod/$pod failed"
  done
}

# Sums a jq path over one snapshot's pods. A pod without the value (null: the other role) counts
# as 0, but no pod at all having it means a wrong path, and a non-number is an error too.
total() {
  local expr=$1 dir="$workdir/$2"
  jq -s --arg expr "$expr" -f /dev/stdin "$dir"/*.json <<JQ
map($expr)
| if all(. == null) then error("no pod reports \\(\$expr) in /api/stats") else . end
| map(. // 0 | if type == "number" then . else error("\\(\$expr) is \\(type), not a number") end)
| add
JQ
}

snapshot start
produced_start=$(total "$PRODUCED_JQ" start)
consumed_start=$(total "$CONSUMED_JQ" start)
log "start: produced=$produced_start consumed=$consumed_start; producing for ${WINDOW_SECONDS}s"
sleep "$WINDOW_SECONDS"

snapshot end
produced_end=$(total "$PRODUCED_JQ" end)
produced_window=$((produced_end - produced_start))
((produced_window > 0)) || fail "no message acknowledged in ${WINDOW_SECONDS}s (produced $produced_start -> $produced_end)"

deadline=$((SECONDS + CATCHUP_SECONDS))
while :; do
  snapshot now
  consumed_now=$(total "$CONSUMED_JQ" now)
  consumed_window=$((consumed_now - consumed_start))
  ((consumed_window >= produced_window)) && break
  if ((SECONDS >= deadline)); then
    fail "consumers processed $consumed_window message(s) since the start, fewer than the $produced_window produced in the window, after ${CATCHUP_SECONDS}s"
  fi
  sleep 2
done

gaps=$(total "$GAPS_JQ" now)
((gaps == 0)) || fail "consumers report $gaps missing sequence number(s)"

log "OK: produced-in-window=$produced_window consumed-since-start=$consumed_window gaps=$gaps"
