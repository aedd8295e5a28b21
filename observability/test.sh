#!/usr/bin/env bash
# observability/test.sh: checks the Prometheus configuration, rules and dashboards, then proves them end to end on
# the local stack (real API, database, exporters, load generator and Prometheus). Last line: "observability: N passed, M failed".
set -euo pipefail

OBS=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$OBS/.." && pwd)
# shellcheck source=scripts/lib.sh disable=SC1091
. "$ROOT/scripts/lib.sh"
require_packages prometheus prometheus-node-exporter prometheus-mysqld-exporter jq yamllint shellcheck curl procps \
  python3 python3-yaml

PROM=http://127.0.1.3:9090
API=127.0.1.1
PASSED=0
FAILED=0
TMP=$(mktemp -d)
STACK=$TMP/stack
KEPT=${TMPDIR:-/tmp}/observability-test-logs-$(date -u +%Y%m%dT%H%M%SZ)
T0=$(date +%s)

# Tears the local stack down (even on failure or Ctrl-C) and proves nothing is left running.
# shellcheck disable=SC2317 # called through the trap
teardown() {
  if [ -d "$STACK/pids" ]; then
    LOCAL_STACK_DIR=$STACK "$ROOT/scripts/local-stack.sh" down >/dev/null 2>&1 || true
  fi
  # On failure the stack's logs outlive the temporary folder.
  if [ "$FAILED" -gt 0 ] && [ -d "$STACK/logs" ]; then
    { mkdir -p "$KEPT"; cp -r "$STACK/logs" "$TMP"/*.log "$KEPT/"; } 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# run NAME COMMAND...: a step whose output has one "ok"/"FAIL" line per check (tests/promcheck.py and
# tests/discovery-test.sh); a step that fails without saying why counts as one failure.
run() {
  local name=$1 rc=0 ok fail
  shift
  # Streamed as it comes (the end-to-end step takes minutes), counted afterwards.
  "$@" 2>&1 | tee "$TMP/step.out" | sed -u 's/^/  /' || rc=$?
  ok=$(grep -c '^ok ' "$TMP/step.out" || true)
  fail=$(grep -c '^FAIL ' "$TMP/step.out" || true)
  if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
    echo "  FAIL $name (exit $rc)"
    fail=1
  fi
  PASSED=$((PASSED + ok))
  FAILED=$((FAILED + fail))
}

# check NAME COMMAND...: one check: the command's exit code.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    echo "  ok   $name"
    PASSED=$((PASSED + 1))
  else
    echo "  FAIL $name:"
    tail -20 <<<"$out" | sed 's/^/       /'
    FAILED=$((FAILED + 1))
  fi
}

one_test_file_per_rules_file() {
  local f lacking=0
  for f in "$OBS"/prometheus/rules/*.rules.yml; do
    [ -f "$OBS/prometheus/tests/$(basename "$f" .rules.yml).test.yml" ] || { echo "no test for $f"; lacking=1; }
  done
  return "$lacking"
}

local_config_is_valid() {
  "$OBS/bin/render-config" local "$TMP/local-config" && promtool check config "$TMP/local-config/prometheus.yml" &&
    # The local variant differs from the AWS one only in discovery, and in the local-only jobs it appends.
    python3 - "$OBS/prometheus/prometheus.yml" "$TMP/local-config/prometheus.yml" "$OBS/prometheus/local-jobs.yml" <<'PY'
import sys, yaml
aws, local, extra = (yaml.safe_load(open(p)) for p in sys.argv[1:4])
names = [j["job_name"] for j in extra["scrape_configs"]]
assert [j["job_name"] for j in local["scrape_configs"]][-len(names):] == names, "the local-only jobs are missing"
local["scrape_configs"] = local["scrape_configs"][:-len(names)]
for c in aws["scrape_configs"] + local["scrape_configs"]:
    c.pop("ec2_sd_configs", None)
    c.pop("file_sd_configs", None)
assert aws == local, "the local config differs from the AWS one beyond target discovery"
PY
}

# Several API and load generator processes (./demo up --api 3 --loadgen 2): one target each, every instance unique,
# and HAProxy's endpoint in job haproxy; without HAProxy, that job has no target.
local_config_scales_out() {
  "$OBS/bin/render-config" local "$TMP/scaled" api=127.0.1.11,127.0.1.12,127.0.1.13 lb=127.0.1.1 \
    loadgen=127.0.1.21,127.0.1.22 && promtool check config "$TMP/scaled/prometheus.yml" >/dev/null &&
    jq -e '[.[] | .labels.__meta_ec2_tag_Name] == ["local-api-1", "local-api-2", "local-api-3"]' \
      "$TMP/scaled/targets/order-api.json" >/dev/null &&
    jq -e '[.[] | .targets[0]] == ["127.0.1.11:8000", "127.0.1.12:8000", "127.0.1.13:8000"]' \
      "$TMP/scaled/targets/order-api.json" >/dev/null &&
    jq -e '[.[] | .labels.__meta_ec2_tag_Name] == ["local-loadgen-1", "local-loadgen-2"]' \
      "$TMP/scaled/targets/loadgen.json" >/dev/null &&
    jq -e '[.[] | .targets[0], .labels.__meta_ec2_tag_Name] == ["127.0.1.1:8404", "local-lb"]' \
      "$TMP/scaled/targets/haproxy.json" >/dev/null &&
    jq -e 'length == 0' "$TMP/local-config/targets/haproxy.json" >/dev/null &&
    ! "$OBS/bin/render-config" local "$TMP/bad" api=10.0.0.1 2>/dev/null
}

dashboards_are_generated() {
  mkdir -p "$TMP/dashboards" && "$OBS/grafana/build-dashboards.py" "$TMP/dashboards" &&
    diff -r "$TMP/dashboards" "$OBS/grafana/dashboards"
}

# Exporter flags: one flag per line, no listen address or credentials (those come from whoever starts it).
exporter_flags_are_clean() {
  ! grep -v -E '^[[:space:]]*(#|$)' "$OBS"/exporters/*.flags | grep -v -E ':--[a-z]' &&
    ! grep -v -E '^[[:space:]]*#' "$OBS"/exporters/*.flags | grep -i -E 'listen-address|my-cnf|password|user='
}

echo "observability: static checks"
check "promtool check config prometheus.yml (AWS)" promtool check config "$OBS/prometheus/prometheus.yml"
check "local config renders, is valid and differs only in discovery" local_config_is_valid
check "local config with 3 APIs, HAProxy and 2 load generators: a unique instance each" local_config_scales_out
check "promtool check rules --lint=all --lint-fatal" \
  promtool check rules --lint=all --lint-fatal "$OBS"/prometheus/rules/*.rules.yml
check "one test file per rules file" one_test_file_per_rules_file
run "rule test coverage" python3 "$OBS/tests/promcheck.py" coverage "$OBS/prometheus/rules" "$OBS/prometheus/tests"
for t in "$OBS"/prometheus/tests/*.test.yml; do
  check "promtool test rules $(basename "$t")" promtool test rules "$t"
done
check "yamllint" yamllint -s -c "$OBS/.yamllint" "$OBS/prometheus" "$OBS/grafana/provisioning"
check "shellcheck" bash -c "cd \"$ROOT\" && shellcheck -x observability/test.sh observability/tests/*.sh scripts/local-stack.sh"
check "exporter flags files: flags only, no addresses or credentials" exporter_flags_are_clean
check "dashboards are build-dashboards.py's output" dashboards_are_generated
run "dashboards and provisioning" python3 "$OBS/tests/promcheck.py" static "$OBS/grafana/dashboards" \
  "$OBS/grafana/provisioning" "$OBS/prometheus/rules" "$ROOT/docs/runbook.md"
echo "observability: EC2 discovery against a fake EC2 API"
run "EC2 discovery" "$OBS/tests/discovery-test.sh"
echo "observability: the report against a Prometheus holding synthetic stages"
run "report" python3 "$OBS/tests/report-test.py"

# The load generator's verdicts from Prometheus, on the stack e2e started: a fault stage judged by this Prometheus
# passes, and a second Prometheus with planted breaks (a recording rule renamed, an alert's expression broken, the
# API's metric renamed) makes runs fail with messages that name each break.
verdicts() {
  local jar=$ROOT/loadtest/target/loadtest.jar broken=$TMP/broken broken_url=http://127.0.1.3:9091 fault good bad
  # The orders count must see this section's writes alone: the end-to-end stage finishes first, and its lingering
  # endpoint makes way for the next run's.
  for _ in $(seq 240); do [ -f "$STACK/results/e2e/summary.json" ] && break; sleep 1; done
  "$ROOT/scripts/local-stack.sh" stop loadgen >/dev/null 2>&1 || true
  mkdir -p "$broken/rules-src"
  cp "$OBS"/prometheus/rules/*.rules.yml "$broken/rules-src/"
  sed -i -e 's/^\(      - record: job:http_server_requests_errors_per_requests:ratio_rate1m\)$/\1_renamed/' \
    -e 's/status="503"/status="599"/g' "$broken/rules-src/order-api.rules.yml"
  "$OBS/bin/render-config" local "$broken" --rules "$broken/rules-src"
  python3 - "$broken/prometheus.yml" <<'PY'
import sys, yaml
path = sys.argv[1]
config = yaml.safe_load(open(path))
for job in config["scrape_configs"]:
    if job["job_name"] == "order-api":
        job["metric_relabel_configs"] = [{"source_labels": ["__name__"], "regex": "orders_placed_total",
                                          "target_label": "__name__", "replacement": "orders_placed_renamed_total"}]
yaml.safe_dump(config, open(path, "w"))
PY
  prometheus --config.file="$broken/prometheus.yml" --storage.tsdb.path="$broken/data" \
    --web.listen-address=127.0.1.3:9091 >"$TMP/prometheus-broken.log" 2>&1 &
  echo $! >"$STACK/pids/prometheus-broken.pid"
  for _ in $(seq 100); do curl -fs -o /dev/null "$broken_url/-/ready" && break; sleep 0.1; done

  # A recording rule renamed: a configuration error before any load, naming it.
  bad=0
  java -jar "$jar" --stage normal --duration 5s --target "http://$API:5000" --metrics-host 127.0.1.4 \
    --metrics-port 0 --prometheus "$broken_url" --linger 0 --out "$TMP/verdict-rule" >"$TMP/verdict-rule.log" 2>&1 ||
    bad=$?
  if [ "$bad" -eq 2 ] &&
    grep -q "no recording rule 'job:http_server_requests_errors_per_requests:ratio_rate1m'" "$TMP/verdict-rule.log"; then
    echo "ok   a renamed recording rule is a configuration error (exit 2) that names it"
  else
    echo "FAIL a renamed recording rule: exit $bad, expected 2 naming the rule:"
    tail -5 "$TMP/verdict-rule.log" | sed 's/^/       /'
  fi

  # The good run: a 20 s database outage, judged by the stack's Prometheus with its real rules. Alongside it, a
  # read-only stage judged by the broken Prometheus expects the outage's alert and counts orders.
  fault="$(printf '%q' "$ROOT/scripts/local-stack.sh") fault {fault} {seconds}"
  java -jar "$jar" --stage db-outage --fault-length 20s --fault-command "$fault" --target "http://$API:5000" \
    --metrics-host 127.0.1.4 --prometheus "$PROM" --no-default-thresholds --threshold 'prom:up > 0.5' \
    --threshold 'prom:instance:node_memory_utilisation:ratio < 0.9' --verify all --linger 0 \
    --out "$TMP/verdict-good" >"$TMP/verdict-good.log" 2>&1 &
  good=$!
  sleep 2
  java -jar "$jar" --stage normal --users 4 --ramp 5s --duration 130s --think-time 200ms-500ms --read-ratio 1 \
    --target "http://$API:5000" --metrics-host 127.0.1.4 --metrics-port 0 --prometheus "$broken_url" \
    --no-default-thresholds --expect-alert normal:OrderApiDatabaseUnavailable --linger 0 \
    --out "$TMP/verdict-broken" >"$TMP/verdict-broken.log" 2>&1 &
  bad=$!
  local good_rc=0 bad_rc=0
  wait "$good" || good_rc=$?
  wait "$bad" || bad_rc=$?
  if [ "$good_rc" -eq 0 ] && grep -q "PASS prometheus: OrderApiDatabaseUnavailable fires and resolves" \
    "$TMP/verdict-good.log" && grep -q "PASS prometheus: orders the API placed" "$TMP/verdict-good.log"; then
    echo "ok   db-outage judged by Prometheus passes: $(grep -o 'OrderApiDatabaseUnavailable fires and resolves (.*' \
      "$TMP/verdict-good.log")"
  else
    echo "FAIL db-outage judged by Prometheus: exit $good_rc, expected 0 with the alert fired and resolved:"
    grep -E 'FAIL|fault|^loadtest|note' "$TMP/verdict-good.log" | tail -12 | sed 's/^/       /'
  fi
  if [ "$bad_rc" -eq 99 ] &&
    grep -q "FAIL prometheus: OrderApiDatabaseUnavailable fires and resolves (did not fire" "$TMP/verdict-broken.log"
  then
    echo "ok   an alert's expression broken fails the run, naming the alert"
  else
    echo "FAIL a broken alert expression: exit $bad_rc, expected 99 naming OrderApiDatabaseUnavailable:"
    grep -E 'FAIL|PASS prom' "$TMP/verdict-broken.log" | tail -8 | sed 's/^/       /'
  fi
  if [ "$bad_rc" -eq 99 ] && grep -q "FAIL prometheus: orders the API placed.*orders_placed_total" \
    "$TMP/verdict-broken.log"; then
    echo "ok   the API's metric renamed fails the run, naming the metric"
  else
    echo "FAIL a renamed API metric: exit $bad_rc, expected 99 naming orders_placed_total:"
    grep -E 'FAIL|PASS prom' "$TMP/verdict-broken.log" | tail -8 | sed 's/^/       /'
  fi
}

echo "observability: end to end on the local stack"
e2e() {
  local jar lacking=0 load_start up_start
  for jar in app/target/order-api.jar db/embedded/target/embedded-db.jar loadtest/target/loadtest.jar; do
    if [ ! -f "$ROOT/$jar" ]; then
      echo "FAIL $jar is missing: build the jars first (./mvnw -B verify, or ./demo test which does)"
      lacking=1
    fi
  done
  [ "$lacking" -eq 0 ] || return 1
  use_jdk
  export LOCAL_STACK_DIR=$STACK
  up_start=$(date +%s)
  if ! "$ROOT/scripts/local-stack.sh" up --detach >"$TMP/up.log" 2>&1; then
    echo "FAIL the local stack did not start (its logs are kept in $KEPT):"
    { grep -E 'in use|Exception|Caused by|ERROR|did not' "$TMP/up.log" | head -8; tail -5 "$TMP/up.log"; } |
      sed 's/^/       /'
    return 1
  fi
  echo "ok   local stack up (database, API, exporters, Prometheus) in $(($(date +%s) - up_start))s"

  # A short normal stage in the background, with its process in the stack's pid folder so `down` stops it too.
  load_start=$(date +%s)
  java -jar "$ROOT/loadtest/target/loadtest.jar" --stage normal --target "http://$API:5000" \
    --metrics-host 127.0.1.4 --users 8 --ramp 5s --duration 4m --think-time 100ms-300ms --no-stress \
    --linger 10m --out "$STACK/results/e2e" >"$STACK/logs/loadgen.log" 2>&1 &
  echo $! >"$STACK/pids/loadgen.pid"
  # Enough scrapes for every rate window to have two samples and the 1-minute rates to settle.
  sleep 60

  python3 "$OBS/tests/promcheck.py" targets "$PROM" || true
  python3 "$OBS/tests/promcheck.py" rules "$PROM" "$load_start" || true
  python3 "$OBS/tests/promcheck.py" dashboards "$PROM" "$load_start" "$OBS/grafana/dashboards" || true
  python3 "$OBS/tests/promcheck.py" no-firing "$PROM" || true

  # The database host fails (database and its node_exporter) while the load goes on ...
  "$ROOT/scripts/local-stack.sh" stop db node-db >/dev/null
  python3 "$OBS/tests/promcheck.py" wait-alerts "$PROM" active 120 OrderApiHighErrorRatio MysqlDown TargetDown ||
    true
  # ... and comes back: the alerts clear.
  if "$ROOT/scripts/local-stack.sh" up --detach >"$TMP/restart.log" 2>&1; then
    echo "ok   database and node_exporter restarted"
  else
    echo "FAIL the database did not restart:"
    tail -20 "$TMP/restart.log" | sed 's/^/       /'
  fi
  python3 "$OBS/tests/promcheck.py" wait-alerts "$PROM" inactive 180 OrderApiHighErrorRatio MysqlDown TargetDown ||
    true

  # The analysis command finds the stage and fills in its key figures.
  if "$OBS/bin/report" --prometheus "$PROM" --out "$TMP/report" >/dev/null &&
    jq -e '[.stages[] | select(.stage == "normal") | .figures | .api_latency_p95_s, .api_latency_peak_p95_1m_s,
      .requests_per_s_mean, .error_ratio, .api_cpu_peak, .db_cpu_peak, .db_connections_peak,
      .buffer_pool_hit_ratio] | length == 8 and all(. != null)' "$TMP/report/report.json" >/dev/null &&
    grep -q '^| normal |' "$TMP/report/report.md"; then
    echo "ok   report: the normal stage's key figures in report.md and report.json"
  else
    echo "FAIL report: missing stage or figures:"
    sed 's/^/       /' "$TMP/report/report.json" 2>/dev/null || true
  fi

  verdicts

  # Nothing is left running after down.
  local pids
  pids=$(cat "$STACK"/pids/*.pid 2>/dev/null || true)
  "$ROOT/scripts/local-stack.sh" down >/dev/null
  local left=""
  for pid in $pids $(pgrep -f "$STACK" || true); do
    kill -0 "$pid" 2>/dev/null && left="$left $pid"
  done
  if [ -z "$left" ]; then
    echo "ok   down left no process of the stack running (nor any child such as mysqld)"
  else
    echo "FAIL still running after down:$left"
  fi
}
run "end to end" e2e

echo "observability: took $(($(date +%s) - T0))s"
echo "observability: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
