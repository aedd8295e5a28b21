#!/usr/bin/env bash
# benchmarks/test.sh: smoke-run every JMH benchmark once, briefly, and the capacity sweep against a stub API, so
# none can rot (real runs are manual).
# Needs benchmarks/target/benchmarks.jar and loadtest's jar and test classes, which `./mvnw verify` builds first.
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
sweep=$(mktemp -d)
stub_pid=
trap 'rm -f "$results"; rm -rf "$sweep"; [ -z "$stub_pid" ] || kill "$stub_pid" 2>/dev/null || true' EXIT
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
# The capacity sweep, end to end, against loadtest's stub API on loopback: two rates of each mix, 2 s each.
# It must produce a row per rate with the rate achieved and no errors, the table and the chart.
check() { # check NAME COMMAND...: counts COMMAND's success as a passed check
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok    capacity sweep: $name"
  else
    failed=$((failed + 1))
    echo "FAIL  capacity sweep: $name"
  fi
}
java -cp "$ROOT/loadtest/target/test-classes:$ROOT/loadtest/target/loadtest.jar" dev.promdemo.loadtest.StubApi \
  127.0.0.1 0 >"$sweep/stub.log" 2>&1 &
stub_pid=$!
url=
for _ in $(seq 100); do
  url=$(sed -n 's/^stub api on //p' "$sweep/stub.log")
  [ -n "$url" ] && break
  sleep 0.1
done
"$ROOT/benchmarks/capacity-sweep.sh" --target "$url" --from 100 --step 100 --to 200 --duration 2s --ramp 1s \
  --warmup 1s --out "$sweep/out" >"$sweep/sweep.log" 2>&1 || true
out=$sweep/out
rows=$(jq length "$out/sweep.json" 2>/dev/null || echo 0)
good=$(jq '[.[] | select(.errors == 0 and .achieved >= 0.9 * .offered)] | length' "$out/sweep.json" 2>/dev/null || echo 0)
check "a row for each mix and rate" test "$rows" = 4
check "each rate achieved, without errors" test "$good" = 4
check "table with the largest rate per mix" \
  grep -q "^- read-heavy: largest sustained rate with corrected p99 under 50 ms" "$out/sweep.md"
check "chart" grep -q "<svg" "$out/sweep.html"
json_holds() { # json_holds FILE FILTER: whether FILTER is true of the JSON in FILE
  jq -e "$2" "$1" >/dev/null 2>&1
}
check "the machine described" json_holds "$out/machine.json" '.cores > 0 and (.cpu | length > 0) and (.kernel | length > 0)'
check "table with the machine's CPU per request" grep -q "^Machine: .* cores, kernel .*| machine CPU µs/req | idle % |" \
  <(tr '\n' ' ' <"$out/sweep.md")
# One rate with a steady time long enough for the machine's CPU per request (a window of 10 s minus 5 s).
"$ROOT/benchmarks/capacity-sweep.sh" --target "$url" --mix get --from 100 --to 100 --duration 10s --ramp 1s \
  --warmup 0 --out "$sweep/cpu" >>"$sweep/sweep.log" 2>&1 || true
check "the machine's CPU per request and idle share at a steady rate" json_holds "$sweep/cpu/sweep.json" \
  'length == 1 and .[0].cpu_us_per_req > 0 and .[0].idle_pct >= 0 and .[0].idle_pct <= 100'
if command -v chromium >/dev/null; then
  check "chart rendered to PNG" test -s "$out/sweep.png"
fi
if [ "$failed" -ne 0 ]; then
  sed 's/^/  sweep: /' "$sweep/sweep.log" >&2
fi
echo "benchmarks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
