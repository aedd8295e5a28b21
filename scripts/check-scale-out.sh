#!/usr/bin/env bash
# scripts/check-scale-out.sh: runs write-heavy load through HAProxy against several API processes, SIGKILLs one of
# them mid-run, and proves that the others keep serving, that no acknowledged order is lost and how evenly HAProxy
# spreads the requests. Prints one "ok"/"FAIL" line per check and "scale-out: N passed, M failed".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

usage() {
  cat <<'TXT'
usage: scripts/check-scale-out.sh [options]

Starts its own local stack (LOCAL_STACK_NET, default 127.0.6; LOCAL_STACK_DIR, default a new folder under /tmp) with
`up --api N --loadgen M`, runs one open-model write-heavy stage through it (`--verify all`), measures each API
process's share of the requests HAProxy sent while all of them served, SIGKILLs api-2, and checks what follows.

  --api N             API processes behind HAProxy (default 3; at least 2)
  --loadgen M         sharded load generators (default 2)
  --rate N            requests per second of the whole load (default 60)
  --window S          seconds of load measured for the shares before the kill (default 15)
  --after S           seconds of load after the kill (default 25)
  --share-min P       lowest share of the requests any API process may get, percent (default 25)
  --share-max P       highest share, percent (default 42)
  --keep              leave the stack running afterwards (LOCAL_STACK_DIR says where)
TXT
}

APIS=3
LOADGENS=2
RATE=60
WINDOW=15
AFTER=25
SHARE_MIN=25
SHARE_MAX=42
KEEP=0
while [ $# -gt 0 ]; do
  case $1 in
    --api) APIS=${2:?}; shift ;;
    --loadgen) LOADGENS=${2:?}; shift ;;
    --rate) RATE=${2:?}; shift ;;
    --window) WINDOW=${2:?}; shift ;;
    --after) AFTER=${2:?}; shift ;;
    --share-min) SHARE_MIN=${2:?}; shift ;;
    --share-max) SHARE_MAX=${2:?}; shift ;;
    --keep) KEEP=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
for n in "$APIS" "$LOADGENS" "$RATE" "$WINDOW" "$AFTER" "$SHARE_MIN" "$SHARE_MAX"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "numbers must be positive integers, got '$n'" >&2; exit 2; }
done
if [ "$APIS" -lt 2 ] || [ "$APIS" -gt 9 ] || [ "$LOADGENS" -gt 9 ]; then
  echo "--api must be 2 to 9 and --loadgen 1 to 9" >&2
  exit 2
fi

export LOCAL_STACK_NET=${LOCAL_STACK_NET:-127.0.6}
export LOCAL_STACK_DIR=${LOCAL_STACK_DIR:-$(mktemp -d /tmp/scale-out.XXXXXX)}
NET=$LOCAL_STACK_NET
STATE=$LOCAL_STACK_DIR
STACK=$ROOT/scripts/local-stack.sh
FRONT=http://$NET.1:5000
LB_METRICS=http://$NET.1:8404/metrics
PROM=http://$NET.3:9090
OUT=$STATE/scale-out
# The process killed mid-run; HAProxy takes it out after two failed readiness checks 2 s apart.
VICTIM=api-2
# Requests already sent to the victim when it dies fail; after this long HAProxy no longer sends it any.
GRACE_S=6
mkdir -p "$OUT"

PASSED=0
FAILED=0
check() { # check NAME RESULT(0/1) DETAIL
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
  for pid in ${PROBE_PID:-} ${RUN_PID:-}; do kill "$pid" 2>/dev/null || true; done
  if [ "$KEEP" -eq 0 ]; then
    "$STACK" down >/dev/null 2>&1 || true
    rm -rf "$STATE"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N | cut -c1-14; }

sql() {
  "$STATE/data/db-base/bin/mariadb" -h "$NET.2" -P 3306 -u orders -porders-local orders -Nse "$1"
}

# Responses HAProxy got from each API process so far, one "server count" line each (every status code).
lb_responses() {
  curl -fs "$LB_METRICS" | awk '
    /^haproxy_server_http_responses_total\{/ && /proxy="api"/ {
      match($0, /server="[^"]*"/); s = substr($0, RSTART + 8, RLENGTH - 9); n[s] += $NF }
    END { for (s in n) printf "%s %d\n", s, n[s] }' | sort
}

# Requests each API process counted itself so far (its own metrics), one "server count" line each.
api_requests() {
  local i
  for ((i = 1; i <= APIS; i++)); do
    echo "api-$i $(curl -fs "http://$NET.$((10 + i)):8000/metrics" 2>/dev/null |
      awk '/^http_server_requests_seconds_count\{/ { n += $NF } END { printf "%d", n }')"
  done
}

# A client beside the load: alternately a read and an order every 100 ms, each line "time method status order-id".
probe() {
  local line
  while true; do
    line=$(curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$FRONT/api/order/1" || echo 000)
    echo "$(now) GET $line -"
    line=$(curl -s -o /dev/null --max-time 5 -w '%{http_code} %header{location}' -X POST "$FRONT/api/order" \
      -H 'Content-Type: application/json' \
      -d '{"customer_id": 7, "items": [{"product_id": 3, "quantity": 2, "unit_price": 12.50}]}' || echo "000 ")
    read -r status location <<<"$line"
    echo "$(now) POST $status ${location##*/}"
    sleep 0.1
  done
}

prom_query() {
  curl -fs --get "$PROM/api/v1/query" --data-urlencode "query=$1" |
    jq -r '.data.result[] | "\(.metric.instance) \(.value[1])"' | sort
}

# wait_prom QUERY EXPECTED SECONDS: until the query's "instance value" lines are EXPECTED; prints what it saw last.
wait_prom() {
  local seen="" i
  for ((i = 0; i < $3; i++)); do
    seen=$(prom_query "$1" 2>/dev/null || true)
    [ "$seen" = "$2" ] && break
    sleep 1
  done
  echo "$seen"
}

echo "scale-out: stack on $NET.x with $APIS API processes behind HAProxy and $LOADGENS load generator(s)" \
  "(state in $STATE); write-heavy at ${RATE}/s"
use_jdk
require_packages haproxy prometheus prometheus-node-exporter prometheus-mysqld-exporter python3-yaml jq curl \
  >/dev/null
if ! "$STACK" up --detach --api "$APIS" --loadgen "$LOADGENS" >"$OUT/up.log" 2>&1; then
  echo "FAIL the local stack did not start:"
  tail -20 "$OUT/up.log" | sed 's/^/       /'
  echo "scale-out: $PASSED passed, $((FAILED + 1)) failed"
  exit 1
fi
status=$("$STACK" status)
up_in_lb=$(grep -c -E '^  api-[0-9]+ UP' <<<"$status" || true)
[ "$up_in_lb" -eq "$APIS" ] && [ "$(grep -c -E '^api-[0-9]+: running' <<<"$status" || true)" -eq "$APIS" ] &&
  grep -q '^lb: running' <<<"$status" && ok=0 || ok=1
check "up --api $APIS: $APIS API processes running, all in HAProxy's rotation" "$ok" "$up_in_lb UP in HAProxy"

rows_before=$(sql "SELECT COUNT(*) FROM orders")
before_lb=$(lb_responses)
"$STACK" up --detach --stage write-heavy --rate "${RATE}/s" --ramp 0s --duration "$((WINDOW + AFTER + 10))s" \
  --verify all --prometheus '' --linger 0s --seed "$RANDOM" >"$OUT/run.log" 2>&1 &
RUN_PID=$!
probe >"$OUT/probe.txt" &
PROBE_PID=$!

# The shares are measured over WINDOW seconds of load with every process serving: from when the load has begun
# (HAProxy has answered 50 requests more than before it) to just before the kill.
started=""
for _ in $(seq 600); do
  total=$(lb_responses | awk '{ n += $2 } END { print n + 0 }')
  if [ "$total" -ge "$(($(awk '{ n += $2 } END { print n + 0 }' <<<"$before_lb") + 50))" ]; then
    started=$(now)
    break
  fi
  kill -0 "$RUN_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$started" ]; then
  echo "FAIL the load never reached HAProxy:"
  tail -20 "$OUT/run.log" | sed 's/^/       /'
  echo "scale-out: $PASSED passed, $((FAILED + 1)) failed"
  exit 1
fi
window_lb_start=$(lb_responses)
window_api_start=$(api_requests)
sleep "$WINDOW"
window_lb_end=$(lb_responses)
window_api_end=$(api_requests)
killed_at=$(now)
kill -KILL "$(cat "$STATE/pids/$VICTIM.pid")"
echo "     $VICTIM SIGKILLed $(awk -v a="$started" -v b="$killed_at" 'BEGIN { printf "%.0f", b - a }') s into the load"

# Each process's share of what HAProxy sent in the window, and of what the processes themselves counted.
shares() { # shares START END: "server delta share%" lines, and the total last
  join <(echo "$1") <(echo "$2") | awk '{ d[$1] = $3 - $2; t += $3 - $2 }
    END { for (s in d) printf "%s %d %.1f\n", s, d[s], t ? 100 * d[s] / t : 0; printf "total %d\n", t }' | sort
}
lb_shares=$(shares "$window_lb_start" "$window_lb_end")
api_shares=$(shares "$window_api_start" "$window_api_end")
echo "     requests in the ${WINDOW}s window (HAProxy's count / each process's own):"
join <(grep -v '^total' <<<"$lb_shares") <(grep -v '^total' <<<"$api_shares") |
  awk '{ printf "       %-6s %6d (%4.1f%%) / %6d (%4.1f%%)\n", $1, $2, $3, $4, $5 }'
echo "       total  $(awk '/^total/ { print $2 }' <<<"$lb_shares") / $(awk '/^total/ { print $2 }' <<<"$api_shares")"
outside=$(grep -v '^total' <<<"$lb_shares" |
  awk -v lo="$SHARE_MIN" -v hi="$SHARE_MAX" '$3 < lo || $3 > hi { printf "%s %.1f%% ", $1, $3 }')
[ "$(grep -vc '^total' <<<"$lb_shares")" -eq "$APIS" ] && [ -z "$outside" ] &&
  [ "$(awk '/^total/ { print $2 }' <<<"$lb_shares")" -gt 0 ] && ok=0 || ok=1
check "each of $APIS API processes serves ${SHARE_MIN}% to ${SHARE_MAX}% of the requests" "$ok" \
  "$(grep -v '^total' <<<"$lb_shares" | awk '{ printf "%s%s %.1f%%", sep, $1, $3; sep = ", " }')${outside:+; outside: $outside}"

# Prometheus sees every process under its own instance, HAProxy, and every load generator; the killed one down.
expected=""
for ((i = 1; i <= APIS; i++)); do
  expected+="local-api-$i $([ "api-$i" = "$VICTIM" ] && echo 0 || echo 1)"$'\n'
done
seen=$(wait_prom 'up{job="order-api"}' "${expected%$'\n'}" 40)
[ "$seen" = "${expected%$'\n'}" ] && ok=0 || ok=1
check "Prometheus scrapes each API process as its own instance, $VICTIM down after the kill" "$ok" \
  "$(tr '\n' ',' <<<"$seen" | sed 's/,$//')"
seen=$(wait_prom 'up{job="haproxy"}' "local-lb 1" 20)
[ "$seen" = "local-lb 1" ] && ok=0 || ok=1
check "Prometheus scrapes HAProxy's own endpoint (job haproxy)" "$ok" "${seen:-no target}"
if [ "$LOADGENS" -eq 1 ]; then
  expected="local-loadgen 1"
else
  expected=$(for ((i = 1; i <= LOADGENS; i++)); do echo "local-loadgen-$i 1"; done)
fi
seen=$(wait_prom 'up{job="loadgen"}' "$expected" 20)
[ "$seen" = "$expected" ] && ok=0 || ok=1
check "Prometheus scrapes every load generator" "$ok" "$(tr '\n' ',' <<<"$seen" | sed 's/,$//')"
lb_view=$("$STACK" status | grep -E '^  api-[0-9]+ ' || true)
grep -q "^  $VICTIM DOWN" <<<"$lb_view" && ok=0 || ok=1
check "HAProxy has taken $VICTIM out of its rotation (status)" "$ok" "$(tr -s ' \n' ' ,' <<<"$lb_view" | sed 's/,$//')"

run_rc=0
wait "$RUN_PID" || run_rc=$?
RUN_PID=""
kill "$PROBE_PID" 2>/dev/null || true
wait "$PROBE_PID" 2>/dev/null || true
PROBE_PID=""

# The others keep serving: after the grace period every probe request succeeds, and the load's last part too.
after_ok=$(awk -v t="$killed_at" -v g="$GRACE_S" '$1 >= t + g && ($3 == 200 || $3 == 201)' "$OUT/probe.txt" | wc -l)
after_bad=$(awk -v t="$killed_at" -v g="$GRACE_S" '$1 >= t + g && $3 != 200 && $3 != 201' "$OUT/probe.txt" | wc -l)
during_bad=$(awk -v t="$killed_at" -v g="$GRACE_S" '$1 >= t && $1 < t + g && $3 != 200 && $3 != 201' \
  "$OUT/probe.txt" | wc -l)
[ "$after_ok" -gt 0 ] && [ "$after_bad" -eq 0 ] && ok=0 || ok=1
check "the other API processes keep serving after the kill" "$ok" \
  "probe from ${GRACE_S}s after it: $after_ok ok, $after_bad failed (in the first ${GRACE_S}s: $during_bad failed)"

summary=$(find "$STATE/results" -mindepth 1 -maxdepth 1 -name '*-write-heavy' 2>/dev/null | sort | tail -1)/summary.json
v() { jq "[.verification | if type == \"array\" then .[] else . end | .$1 // 0] | add // -1" "$summary" 2>/dev/null ||
  echo -1; }
acked=$(v created)
lost=$(v missing)
different=$(($(v different) + $(v unreadable)))
outcomes=$(jq -r '[.stages[].operations.all.by_outcome // {} | to_entries[]] | group_by(.key)
  | map("\(.[0].key) \(map(.value) | add)") | join(", ")' "$summary" 2>/dev/null || echo "?")
[ "$run_rc" -eq 0 ] && [ "$acked" -gt 0 ] && [ "$lost" -eq 0 ] && [ "$different" -eq 0 ] && ok=0 || ok=1
check "the load passes with every acknowledged order re-read unchanged (--verify all, exit $run_rc)" "$ok" \
  "$acked acknowledged, $lost missing, $different different; requests by outcome: $outcomes"

probe_acked=$(awk '$2 == "POST" && $3 == 201 && $4 != "-" && $4 != "" { print $4 }' "$OUT/probe.txt")
probe_count=$(grep -c . <<<"$probe_acked" || true)
probe_found=0
if [ "$probe_count" -gt 0 ]; then
  probe_found=$(sql "SELECT COUNT(*) FROM orders WHERE order_id IN ($(paste -sd, <<<"$probe_acked"))")
fi
rows_after=$(sql "SELECT COUNT(*) FROM orders")
partial=$(sql "SELECT (SELECT COUNT(*) FROM orders o WHERE NOT EXISTS
  (SELECT 1 FROM order_items i WHERE i.order_id = o.order_id)) + (SELECT COUNT(*) FROM order_items i WHERE NOT EXISTS
  (SELECT 1 FROM orders o WHERE o.order_id = i.order_id))")
gained=$((rows_after - rows_before))
[ "$gained" -ge "$((acked + probe_count))" ] && [ "$probe_found" -eq "$probe_count" ] && [ "$partial" -eq 0 ] &&
  ok=0 || ok=1
check "0 acknowledged orders lost (rows counted in the database)" "$ok" "$rows_before -> $rows_after rows:\
 $gained new for $acked acknowledged to the load and $probe_count to the probe ($probe_found of them found by id);\
 $partial partial orders"

echo "scale-out: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
