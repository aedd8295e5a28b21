#!/usr/bin/env bash
# benchmarks/test.sh: smoke-run every JMH benchmark once, briefly, so none can rot (real runs are manual).
# Needs benchmarks/target/benchmarks.jar, which `./mvnw verify` builds before this runs.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/../scripts/lib.sh
. "$ROOT/scripts/lib.sh"
use_jdk
require_packages jq

jar=$ROOT/benchmarks/target/benchmarks.jar
if [ ! -f "$jar" ]; then
  echo "missing $jar: build it first (./mvnw -B -pl benchmarks -am package -DskipTests)" >&2
  echo "benchmarks: 0 passed, 1 failed"
  exit 1
fi

results=$(mktemp --suffix=.json)
trap 'rm -f "$results"' EXIT
mapfile -t listed < <(java -jar "$jar" -l | grep -E '^[A-Za-z0-9_.]+\.[A-Za-z0-9_]+$')
echo "smoke-running ${#listed[@]} benchmarks (1 fork, 1 short iteration each; the figures mean nothing)"
java -jar "$jar" -f 1 -wi 0 -i 1 -r 200ms -rf json -rff "$results" >/dev/null

passed=0
failed=0
for name in "${listed[@]}"; do
  score=$(jq -r --arg b "$name" '[.[] | select(.benchmark | endswith($b)) | .primaryMetric.score][0] // "missing"' \
    "$results")
  if [[ $score =~ ^[0-9.eE+-]+$ ]]; then
    passed=$((passed + 1))
    printf 'ok    %-70s %s\n' "$name" "$score"
  else
    failed=$((failed + 1))
    printf 'FAIL  %-70s %s\n' "$name" "$score"
  fi
done
echo "benchmarks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
