#!/usr/bin/env bash
# Fetches Apache Kafka (broker + tools) from Maven Central into a per-version cache and prints the
# directory holding the jars. A completion marker carries the hash of pom.xml: when it matches,
# Maven is not run at all, so a warm run never touches the network.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pom="$here/pom.xml"

kafka_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"
if [[ -z "$kafka_version" ]]; then
  echo "fetch.sh: no <kafka.version> in $pom" >&2
  exit 1
fi

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/kafka-on-k8s"
dest="$cache_root/kafka-$kafka_version"
libs="$dest/libs"
marker="$dest/.complete"
pom_hash="$(sha256sum "$pom" | cut -d' ' -f1)"

fetched() { [[ -f "$marker" && "$(cat "$marker")" == "$pom_hash" ]]; }

if fetched; then
  echo "$libs"
  exit 0
fi

# Test runs in parallel may all start cold: one fetches, the others wait for it and reuse its result.
mkdir -p "$dest"
exec 9>"$dest/.lock"
flock 9
if fetched; then
  echo "$libs"
  exit 0
fi

command -v mvn >/dev/null || { echo "fetch.sh: mvn (Apache Maven) is required on PATH" >&2; exit 1; }

# Copy into a fresh directory and swap it in, so an interrupted fetch never leaves a half-filled libs.
staging="$(mktemp -d "$dest/libs.tmp.XXXXXX")"
trap 'rm -rf "$staging"' EXIT

started=$SECONDS
# The Maven repository lives in the cache too, so the fetch neither depends on nor pollutes ~/.m2.
mvn -q -B -Dstyle.color=never -f "$pom" \
  -Dmaven.repo.local="$cache_root/maven-repository" \
  dependency:copy-dependencies \
  -DincludeScope=runtime \
  -DoutputDirectory="$staging" >&2

rm -rf "$libs"
mv "$staging" "$libs"
echo "$pom_hash" >"$marker"
echo "fetch.sh: Kafka $kafka_version: $(find "$libs" -name '*.jar' | wc -l) jars in $((SECONDS - started)) s" >&2
echo "$libs"
