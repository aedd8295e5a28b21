#!/usr/bin/env bash
# scripts/fault-matrix.sh: injects each fault into a local stack under open-model write-heavy load and proves that no
# acknowledged order is lost, that clients get fast 503s, that the API recovers by itself and that the alert fires.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

usage() {
  cat <<'TXT'
usage: scripts/fault-matrix.sh [options]

Starts its own local stack (LOCAL_STACK_NET, default 127.0.7; LOCAL_STACK_DIR, default a new folder under /tmp),
with a delaying TCP proxy between the API and the database, and runs each fault case under open-model write-heavy
load (loadtest --verify all). Prints a Markdown table and exits 1 if any check failed.

  --cases LIST        comma-separated, in order (default db-stop,db-kill,api-kill,db-freeze,db-slow)
  --rate N            requests per second of the load (default 50)
  --before D          load before the fault, seconds (default 10)
  --after D           load after the fault ends, seconds (default 20)
  --stop-for D        db-stop: seconds between stop and start (default 20)
  --freeze-for D      db-freeze: seconds the server is SIGSTOPped (default 10)
  --slow-for D        db-slow: seconds the database is slow (default 20)
  --delay-ms N        db-slow: added delay per database round trip (default 100)
  --report FILE       also write the table there (Markdown)
  --keep              leave the stack running afterwards (LOCAL_STACK_DIR says where)

Cases: db-stop (./demo stop db, then ./demo up --detach), db-kill (SIGKILL to mariadbd itself; its supervisor starts
it again), api-kill (SIGKILL to the API mid-write, then ./demo up --detach), db-freeze (SIGSTOP/SIGCONT to mariadbd),
db-slow (every database answer delayed by the proxy).
TXT
}

CASES=db-stop,db-kill,api-kill,db-freeze,db-slow
RATE=50
BEFORE=10
AFTER=20
STOP_FOR=20
FREEZE_FOR=10
SLOW_FOR=20
DELAY_MS=100
REPORT=""
KEEP=0
while [ $# -gt 0 ]; do
  case $1 in
    --cases) CASES=${2:?}; shift ;;
    --rate) RATE=${2:?}; shift ;;
    --before) BEFORE=${2:?}; shift ;;
    --after) AFTER=${2:?}; shift ;;
    --stop-for) STOP_FOR=${2:?}; shift ;;
    --freeze-for) FREEZE_FOR=${2:?}; shift ;;
    --slow-for) SLOW_FOR=${2:?}; shift ;;
    --delay-ms) DELAY_MS=${2:?}; shift ;;
    --report) REPORT=${2:?}; shift ;;
    --keep) KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
for n in "$RATE" "$BEFORE" "$AFTER" "$STOP_FOR" "$FREEZE_FOR" "$SLOW_FOR" "$DELAY_MS"; do
  if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -eq 0 ]; then
    echo "numbers must be positive integers, got '$n'" >&2
    exit 2
  fi
done
IFS=, read -r -a CASE_LIST <<<"$CASES"
for c in "${CASE_LIST[@]}"; do
  case $c in db-stop | db-kill | api-kill | db-freeze | db-slow) ;; *) echo "unknown case '$c'" >&2; exit 2 ;; esac
done

export LOCAL_STACK_NET=${LOCAL_STACK_NET:-127.0.7}
export LOCAL_STACK_DIR=${LOCAL_STACK_DIR:-$(mktemp -d /tmp/fault-matrix.XXXXXX)}
NET=$LOCAL_STACK_NET
STATE=$LOCAL_STACK_DIR
STACK=$ROOT/scripts/local-stack.sh
API=http://$NET.1:5000
PROM=http://$NET.3:9090
PROXY=$NET.5:3306
# The API's configured bounds (app/src/main/resources/application.yaml): 1 s to get a connection, 2 s per statement.
# A request that meets a dead or frozen database must be answered within both, plus 1 s for the rest of its work.
ANSWER_BOUND_S=4
RECOVERY_BOUND_S=5
ALERT_FIRE_BOUND_S=90
ALERT_RESOLVE_BOUND_S=150
OUT=$STATE/fault-matrix
mkdir -p "$OUT" "$STATE/pids" "$STATE/logs"

PASSED=0
FAILED=0
ROWS=()
check() { # check NAME CONDITION-RESULT(0/1) DETAIL
  if [ "$2" -eq 0 ]; then
    PASSED=$((PASSED + 1))
    echo "ok   $1${3:+: $3}"
  else
    FAILED=$((FAILED + 1))
    echo "FAIL $1${3:+: $3}"
  fi
}

cleanup() {
  local pid
  for pid in ${PROBE_PID:-} ${LOAD_PID:-}; do kill "$pid" 2>/dev/null || true; done
  # Never leave a frozen server or a delaying proxy behind.
  [ -z "${FROZEN:-}" ] || kill -CONT "$FROZEN" 2>/dev/null || true
  if [ "$KEEP" -eq 0 ]; then
    "$STACK" down >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N | cut -c1-14; }
since() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

sql() {
  "$STATE/data/db-base/bin/mariadb" -h "$NET.2" -P 3306 -u orders -porders-local orders -Nse "$1"
}

server_pid() { cat "$STATE/data/db-tmp/mariadbd.pid"; }

wait_db() { # waits until the database answers a query; prints when
  local i
  for i in $(seq 600); do
    sql "SELECT 1" >/dev/null 2>&1 && { now; return 0; }
    sleep 0.1
  done
  return 1
}

# A probe beside the load: a GET every 200 ms, each line "start end status retry-after".
probe() {
  while true; do
    local start line
    start=$(now)
    line=$(curl -s -o /dev/null --max-time 15 -w '%{http_code} %header{retry-after}' "$API/api/order/1" || echo "000 ")
    echo "$start $(now) $line"
    sleep 0.2
  done
}

# Alert state over time: prints the first time the alert was firing after FROM, and when it stopped again.
alert_firing() {
  curl -fs "$PROM/api/v1/alerts" |
    jq -e --arg a "$1" '[.data.alerts[] | select(.labels.alertname == $a and .state == "firing")] | length > 0' \
      >/dev/null 2>&1
}

echo "fault-matrix: stack on $NET.x (state in $STATE), load ${RATE}/s write-heavy, cases: $CASES"
use_jdk
require_packages prometheus prometheus-node-exporter prometheus-mysqld-exporter python3-yaml jq curl >/dev/null
python3 "$ROOT/scripts/delay-proxy.py" "$PROXY" "$NET.2:3306" --delay-ms "$DELAY_MS" >"$STATE/logs/db-proxy.log" 2>&1 &
echo $! >"$STATE/pids/db-proxy.pid"
PROXY_PID=$!
if ! LOCAL_STACK_API_DB=$PROXY "$STACK" up --detach >"$OUT/up.log" 2>&1; then
  echo "FAIL the local stack did not start:"
  tail -20 "$OUT/up.log" | sed 's/^/       /'
  echo "fault-matrix: $PASSED passed, $((FAILED + 1)) failed"
  exit 1
fi
# Prometheus must have scraped every target once before a fault, so that alerts see the change.
for _ in $(seq 60); do
  n=$(curl -fs "$PROM/api/v1/targets?state=active" |
    jq '[.data.activeTargets[] | select(.health == "up")] | length' 2>/dev/null || echo 0)
  [ "$n" -ge 6 ] && break
  sleep 1
done

# A short load first: the API's first requests run in the interpreter, and the cases must see a warm API.
echo "warming up: ${RATE}/s for 20s"
java -jar "$ROOT/loadtest/target/loadtest.jar" --stage write-heavy --target "$API" --rate "$RATE" --ramp 5s \
  --duration 15s --no-default-thresholds --no-stress --metrics-host "$NET.4" --linger 0s --out "$OUT/warm-up" \
  >"$OUT/warm-up.log" 2>&1 || true

run_case() {
  local name=$1 length expected_alert="" load_s out=$OUT/$1
  case $name in
    db-stop) length=$STOP_FOR; expected_alert=OrderApiDatabaseUnavailable ;;
    db-kill) length=0; expected_alert=MysqlRestarted ;;
    api-kill) length=0 ;;
    db-freeze) length=$FREEZE_FOR; expected_alert=OrderApiDatabaseUnavailable ;;
    db-slow) length=$SLOW_FOR; expected_alert=OrderApiDatabaseSlow ;;
  esac
  # Restarts take a few seconds on top of the planned length.
  load_s=$((BEFORE + length + 15 + AFTER))
  mkdir -p "$out"
  echo
  echo "== $name (${length}s), ${RATE}/s for ${load_s}s"
  # The alert must be this fault's: wait for an earlier case's to resolve first.
  if [ -n "$expected_alert" ]; then
    for _ in $(seq 90); do
      alert_firing "$expected_alert" || break
      sleep 2
    done
  fi
  local rows_before
  rows_before=$(sql "SELECT COUNT(*) FROM orders")

  java -jar "$ROOT/loadtest/target/loadtest.jar" --stage write-heavy --target "$API" --rate "$RATE" --ramp 0s \
    --duration "${load_s}s" --verify all --no-default-thresholds --no-stress --metrics-host "$NET.4" --linger 0s \
    --seed "$RANDOM" --out "$out/loadtest" >"$out/loadtest.log" 2>&1 &
  LOAD_PID=$!
  probe >"$out/probe.txt" &
  PROBE_PID=$!
  sleep "$BEFORE"

  local t_start t_back fired="" resolved="" pid
  t_start=$(now)
  case $name in
    db-stop)
      "$STACK" stop db >/dev/null
      sleep "$length"
      LOCAL_STACK_API_DB=$PROXY "$STACK" up --detach >"$out/up.log" 2>&1 &
      t_back=$(wait_db)
      wait $! || echo "     (up --detach failed; see $out/up.log)"
      ;;
    db-kill)
      pid=$(server_pid)
      kill -KILL "$pid"
      # The supervisor starts it again, within a second; status must say so meanwhile. Sample it from the kill
      # until it says so or a new server runs, and keep the last sample.
      for _ in $(seq 100); do
        "$STACK" status | grep '^db:' >"$out/status-after-kill.txt" || true
        grep -q "server down, being restarted" "$out/status-after-kill.txt" && break
        [ "$(server_pid 2>/dev/null)" != "$pid" ] && break
        sleep 0.05
      done
      for _ in $(seq 600); do
        [ "$(server_pid 2>/dev/null)" != "$pid" ] && break
        sleep 0.1
      done
      t_back=$(wait_db)
      ;;
    api-kill)
      kill -KILL "$(cat "$STATE/pids/api.pid")"
      sleep 1
      LOCAL_STACK_API_DB=$PROXY "$STACK" up --detach >"$out/up.log" 2>&1 || echo "     (up --detach failed)"
      t_back=$(now)
      ;;
    db-freeze)
      FROZEN=$(server_pid)
      kill -STOP "$FROZEN"
      "$STACK" status | grep '^db:' >"$out/status-frozen.txt" || true
      sleep "$length"
      kill -CONT "$FROZEN"
      FROZEN=""
      t_back=$(now)
      ;;
    db-slow)
      kill -USR1 "$PROXY_PID"
      sleep "$length"
      kill -USR2 "$PROXY_PID"
      t_back=$(now)
      ;;
  esac
  echo "     fault from +0s to +$(since "$t_start" "$t_back")s"

  # The alert, while the load goes on and after it: fires, then resolves.
  local deadline
  if [ -n "$expected_alert" ]; then
    deadline=$(awk -v t="$t_start" -v b="$ALERT_FIRE_BOUND_S" 'BEGIN { printf "%.3f", t + b }')
    while awk -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n < d) }'; do
      if alert_firing "$expected_alert"; then fired=$(now); break; fi
      sleep 1
    done
  fi
  wait "$LOAD_PID" && load_rc=0 || load_rc=$?
  LOAD_PID=""
  kill "$PROBE_PID" 2>/dev/null || true
  wait "$PROBE_PID" 2>/dev/null || true
  PROBE_PID=""
  if [ -n "$fired" ]; then
    deadline=$(awk -v t="$t_back" -v b="$ALERT_RESOLVE_BOUND_S" 'BEGIN { printf "%.3f", t + b }')
    while awk -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n < d) }'; do
      if ! alert_firing "$expected_alert"; then resolved=$(now); break; fi
      sleep 2
    done
  fi

  # What the generator saw, and what the database holds.
  local summary=$out/loadtest/summary.json acked missing different timeouts max_ms rows_after
  local orphans_orders orphan_items served
  acked=$(jq '.verification.created // -1' "$summary" 2>/dev/null || echo -1)
  missing=$(jq '.verification.missing // -1' "$summary" 2>/dev/null || echo -1)
  different=$(jq '(.verification.different // -1) + (.verification.unreadable // 0)' "$summary" 2>/dev/null ||
    echo -1)
  timeouts=$(jq '[.stages[].operations[] | .by_outcome.timeout // 0] | add' "$summary" 2>/dev/null || echo -1)
  max_ms=$(jq '[.stages[].operations[] | .steady_state.latency_ms.observed.max // 0] | max' "$summary" \
    2>/dev/null || echo -1)
  served=$(jq '[.stages[].operations.write.by_outcome.ok // 0] | add' "$summary" 2>/dev/null || echo -1)
  rows_after=$(sql "SELECT COUNT(*) FROM orders")
  orphans_orders=$(sql "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS
    (SELECT 1 FROM order_items i WHERE i.order_id = o.order_id)")
  orphan_items=$(sql "SELECT COUNT(*) FROM order_items i WHERE NOT EXISTS
    (SELECT 1 FROM orders o WHERE o.order_id = i.order_id)")

  # The probe: answers during the fault, slowest answer, Retry-After on every 503, first success after the fault.
  local p503 p503_no_retry slowest recovered recovery
  p503=$(awk '$3 == 503' "$out/probe.txt" | wc -l)
  p503_no_retry=$(awk '$3 == 503 && $4 == ""' "$out/probe.txt" | wc -l)
  slowest=$(awk 'BEGIN { m = 0 } { d = $2 - $1; if (d > m) m = d } END { printf "%.2f", m }' "$out/probe.txt")
  recovered=$(awk -v b="$t_back" '$1 >= b && $3 == 200 { print $2; exit }' "$out/probe.txt")
  recovery=${recovered:+$(since "$t_back" "$recovered")}
  # No answer at all (000) is what a client sees while the API process is down: the connection is refused at once.
  local p5xx_other refused
  p5xx_other=$(awk '$3 >= 500 && $3 != 503' "$out/probe.txt" | wc -l)
  refused=$(awk '$3 == "000"' "$out/probe.txt" | wc -l)

  echo "     loadtest exit $load_rc; acknowledged $acked (201s: $served), missing $missing, different $different," \
    "timeouts $timeouts, slowest answer ${max_ms} ms"
  echo "     rows: $rows_before -> $rows_after; orders without items $orphans_orders, items without an order" \
    "$orphan_items; probe: $p503 x 503, slowest ${slowest}s, first 200 ${recovery:-never}s after the fault"
  local ok
  [ "$load_rc" -eq 0 ] && [ "$missing" -eq 0 ] && [ "$different" -eq 0 ] && [ "$acked" -gt 0 ] && ok=0 || ok=1
  check "$name: every acknowledged order re-read unchanged (loadtest --verify all, exit 0)" "$ok" \
    "$acked acknowledged, $missing missing, $different different"
  [ "$orphans_orders" -eq 0 ] && [ "$orphan_items" -eq 0 ] && ok=0 || ok=1
  check "$name: no partial order" "$ok" "$orphans_orders orders without items, $orphan_items items without an order"
  [ "$((rows_after - rows_before))" -ge "$acked" ] && [ "$acked" -ge 0 ] && ok=0 || ok=1
  check "$name: the database gained at least the acknowledged orders" "$ok" \
    "$((rows_after - rows_before)) new rows for $acked acknowledged"
  if [ "$name" = api-kill ]; then
    # Nothing listens while the API is down: refused at once. A restarted API is cold and works off the requests
    # that queued meanwhile, so the database cases' answer bound does not apply to it; no client may time out.
    local slowest_refusal
    slowest_refusal=$(awk 'BEGIN { m = 0 } $3 == "000" { d = $2 - $1; if (d > m) m = d } END { printf "%.2f", m }' \
      "$out/probe.txt")
    awk -v s="$slowest_refusal" 'BEGIN { exit !(s <= 1) }' && [ "$timeouts" -eq 0 ] && [ "$p5xx_other" -eq 0 ] &&
      ok=0 || ok=1
    check "$name: connections refused at once while it is down, no timeout, no 5xx" "$ok" \
      "$refused refused (slowest ${slowest_refusal} s), $timeouts timeouts, $p5xx_other 5xx; slowest answer ${max_ms} ms"
  else
    awk -v m="$max_ms" -v s="$slowest" -v b="$ANSWER_BOUND_S" 'BEGIN { exit !(m <= b * 1000 && s <= b) }' &&
      [ "$timeouts" -eq 0 ] && [ "$p5xx_other" -eq 0 ] && [ "$refused" -eq 0 ] && ok=0 || ok=1
    check "$name: every answer within ${ANSWER_BOUND_S}s, no timeout, no 5xx but 503" "$ok" \
      "slowest ${max_ms} ms (load), ${slowest} s (probe); $timeouts timeouts; $p5xx_other other 5xx; $refused refused"
  fi
  [ "$p503_no_retry" -eq 0 ] && ok=0 || ok=1
  check "$name: every 503 carries Retry-After" "$ok" "$p503 x 503, $p503_no_retry without"
  if [ "$name" != api-kill ]; then
    [ -n "$recovery" ] && awk -v r="$recovery" -v b="$RECOVERY_BOUND_S" 'BEGIN { exit !(r <= b) }' && ok=0 || ok=1
    check "$name: the API serves again within ${RECOVERY_BOUND_S}s of the database coming back, no restart" "$ok" \
      "${recovery:-never}s"
  else
    [ -n "$recovery" ] && ok=0 || ok=1
    check "$name: the restarted API serves" "$ok" "first 200 ${recovery:-never}s after its restart began"
  fi
  local alert_text="none expected"
  if [ -n "$expected_alert" ]; then
    [ -n "$fired" ] && [ -n "$resolved" ] && ok=0 || ok=1
    alert_text="$expected_alert: fired $( [ -n "$fired" ] && echo "$(since "$t_start" "$fired") s" || echo never) after the start,"
    alert_text+=" resolved $( [ -n "$resolved" ] && echo "$(since "$t_back" "$resolved") s after the end" ||
      echo never)"
    check "$name: $expected_alert fires and resolves in the local Prometheus" "$ok" "$alert_text"
  fi
  case $name in
    db-kill) grep -q "server down, being restarted" "$out/status-after-kill.txt" && ok=0 || ok=1
      check "$name: status shows the dead server" "$ok" "$(cat "$out/status-after-kill.txt")" ;;
    db-freeze) grep -q "frozen" "$out/status-frozen.txt" && ok=0 || ok=1
      check "$name: status shows the frozen server" "$ok" "$(cat "$out/status-frozen.txt")" ;;
  esac

  local sees what
  case $name in
    db-stop) what="database stopped cleanly, started ${length} s later" ;;
    db-kill) what="mariadbd SIGKILLed; its supervisor starts it again" ;;
    api-kill) what="API SIGKILLed mid-write, then started again" ;;
    db-freeze) what="mariadbd frozen (SIGSTOP) for ${length} s" ;;
    db-slow) what="+${DELAY_MS} ms per database round trip for ${length} s" ;;
  esac
  case $name in
    db-stop | db-kill | db-freeze | db-slow) sees="$p503 of $(wc -l <"$out/probe.txt") probe GETs 503 + Retry-After" ;;
    api-kill) sees="connection refused until restarted ($refused of $(wc -l <"$out/probe.txt") probe GETs)" ;;
  esac
  ROWS+=("| $name: $what | $sees; slowest answer ${slowest} s (probe), $(printf '%.2f' "$(awk -v m="$max_ms" \
    'BEGIN { print m / 1000 }')") s (load) | ${recovery:-never} s | $acked / $missing / $((orphans_orders + \
    orphan_items)) | $alert_text |")
}

for c in "${CASE_LIST[@]}"; do
  run_case "$c"
done

TABLE=$(
  echo "| fault | what a client sees | serving again after | orders acknowledged / missing / partial | alert |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
)
echo
echo "$TABLE"
[ -z "$REPORT" ] || echo "$TABLE" >"$REPORT"
echo "fault-matrix: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
