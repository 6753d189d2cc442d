#!/usr/bin/env bash
# Collects what explains a failed end-to-end run into OUT_DIR (uploaded as an artifact): events,
# the state of Flux, Strimzi and Kafka objects, and the controllers' logs. Best effort: a piece that
# cannot be had (no cluster yet, a CRD not installed) is noted in its file and the rest still runs.
#
# Usage: scripts/e2e/collect-diagnostics.sh OUT_DIR
set -euo pipefail

out=${1:?usage: collect-diagnostics.sh OUT_DIR}
mkdir -p "$out"
# shellcheck source=contract.sh
source "$(dirname "${BASH_SOURCE[0]}")/contract.sh"
app_selector=$(sample_app_selector)

# Runs a command into OUT_DIR/<name>.txt; its failure is recorded, not fatal.
capture() {
  local name=$1
  shift
  echo "diagnostics: $name"
  if ! "$@" >"$out/$name.txt" 2>&1; then
    echo "(command failed: $*)" >>"$out/$name.txt"
  fi
}

capture kind-clusters kind get clusters
capture nodes kubectl get nodes -o wide
capture events kubectl get events -A --sort-by=.lastTimestamp
capture pods kubectl get pods -A -o wide
capture flux-check flux check
capture flux-get-all flux get all -A
capture flux-logs flux logs --all-namespaces --since=2h
capture helmreleases kubectl describe helmreleases.helm.toolkit.fluxcd.io -A
capture ocirepositories kubectl describe ocirepositories.source.toolkit.fluxcd.io -A
capture strimzi-operator-logs kubectl logs -n strimzi-system deploy/strimzi-cluster-operator --all-containers --tail=-1
capture kafka kubectl describe kafkas.kafka.strimzi.io -A
capture kafkanodepools kubectl describe kafkanodepools.kafka.strimzi.io -A
capture kafkatopics kubectl describe kafkatopics.kafka.strimzi.io -A
capture kafkausers kubectl describe kafkausers.kafka.strimzi.io -A
capture entity-operator-logs kubectl logs -n kafka -l strimzi.io/kind=Kafka,strimzi.io/name=kafka-entity-operator --all-containers --tail=2000
capture kafka-broker-logs kubectl logs -n kafka -l strimzi.io/kind=Kafka,strimzi.io/broker-role=true --all-containers --tail=2000
capture sample-app-describe kubectl describe deployments,pods -n kafka -l "$app_selector"
capture sample-app-logs kubectl logs -n kafka -l "$app_selector" --all-containers --prefix --tail=2000
capture scaledobjects kubectl describe scaledobjects.keda.sh,hpa -n kafka
capture keda-operator-logs kubectl logs -n keda -l app.kubernetes.io/name=keda-operator --all-containers --tail=2000
echo "diagnostics: written to $out"
