#!/usr/bin/env bash
# scripts/local-stack.sh: the demo's roles as processes on one machine, each on its own loopback address.
# Commands: up [--detach] [--fresh] [--api N] [--loadgen M] [--stage NAME [loadtest options]], status, stop NAME...,
# down, reset, fault NAME SECONDS. Called by ./demo. Roles: db (embedded MariaDB + mysqld_exporter, and a delaying
# proxy in front of it for the API), api (one process, or N behind HAProxy), monitor (Prometheus, and Grafana when
# installed), loadgen (a --stage run: one load generator, or M shards of one test); node_exporter on every role's
# address. State in $LOCAL_STACK_DIR (default .local-stack): logs/, pids/, the stack's shape, and data/ (the database
# and Prometheus), which is kept until `reset`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

STATE=${LOCAL_STACK_DIR:-$ROOT/.local-stack}
LOGS=$STATE/logs
PIDS=$STATE/pids

# The roles' addresses and ports (docs/architecture.md): the same ports as on AWS. LOCAL_STACK_NET moves the
# addresses to another 127.x.y network, so that a test's stack can run beside the default one.
NET=${LOCAL_STACK_NET:-127.0.1}
[[ $NET =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || { echo "LOCAL_STACK_NET must look like 127.0.1, was '$NET'" >&2; exit 2; }
# Where clients reach the API: the API itself, or HAProxy in front of several API processes (set_shape).
API_HOST=$NET.1
DB_HOST=$NET.2
MONITOR_HOST=$NET.3
LOADGEN_HOST=$NET.4
# The API reaches the database through scripts/delay-proxy.py here, which the db-slow fault switches to slow.
DB_PROXY_HOST=$NET.5
DB_PORT=3306
API_PORT=5000
ADMIN_PORT=8000
NODE_EXPORTER_PORT=9100
MYSQLD_EXPORTER_PORT=9104
PROMETHEUS_PORT=9090
GRAFANA_PORT=3000
# HAProxy's own Prometheus endpoint (and its stats page), on the front address.
LB_METRICS_PORT=8404
# Several API processes or load generators: the n-th API on $NET.(10+n), the n-th load generator on $NET.(20+n).
MAX_SCALE=9
# Shards of one test start together this many seconds after they are launched: time for each JVM's start-up and
# preflight on a busy 2-core machine, well inside the 5 s a shard tolerates after its start time.
SHARD_START_DELAY_S=10
OBS=$ROOT/observability
SHAPE=$STATE/shape

# Local-only credentials for the embedded database; AWS reads real ones from SSM Parameter Store.
DB_NAME=orders
DB_USER=orders
DB_PASSWORD=orders-local
EXPORTER_USER=exporter
EXPORTER_PASSWORD=exporter-local

DB_DATA=$STATE/data/db
# Written by the server itself (embedded-db's --pid-file), beside its data.
DB_SERVER_PIDFILE=$STATE/data/db-tmp/mariadbd.pid

API_JAR=$ROOT/app/target/order-api.jar
# The JDK's AOT cache for the API, beside its jar: made by a training run once per build (train_api), used by every
# start after it.
API_AOT=$ROOT/app/target/order-api.aot
# The API's JVM, as on AWS (packer/files/rootfs/api/etc/prometheus-demo/order-api.env): a 64 MB heap (about five
# times what stays live) with the serial collector, and glibc's freed memory handed back every 2 s. Measured: about
# 190 MB resident under wrk -c64 (once 229; docs/benchmarks.md, "Order API with wrk"), against 245 to 304 MB with G1
# and 128 MB (docs/benchmarks/2026-12-06-reference-at-1300.md).
API_JVM=(-XX:+UseSerialGC -Xmx64m -XX:TrimNativeHeapInterval=2000 -XX:+ExitOnOutOfMemoryError)
DB_JAR=$ROOT/db/embedded/target/embedded-db.jar
LOADTEST_JAR=$ROOT/loadtest/target/loadtest.jar

usage() {
  cat <<'TXT'
usage: scripts/local-stack.sh up [--detach] [--fresh] [--api N] [--loadgen M] [--stage NAME [loadtest options...]]
                                              --api N: N API processes (1-9) behind HAProxy on the API's address;
                                              --loadgen M: the --stage run as M shards of one test (1-9), merged;
                                              both default to the running stack's shape, else 1
       scripts/local-stack.sh status
       scripts/local-stack.sh down            stop everything; the data is kept for the next up
       scripts/local-stack.sh stop NAME...    stop some processes (names as in status; api stops every API
                                              process, api-2 one of several); up --detach restarts them
       scripts/local-stack.sh reset           delete the kept data (database, Prometheus); the next up seeds anew
       scripts/local-stack.sh fault NAME SECONDS
                                              inject a fault, undo it after SECONDS (at once on SIGTERM/SIGINT):
                                              db-outage (database stopped, then started), db-slow (the proxy between
                                              API and database delays every answer), api-crash (API SIGKILLed, then
                                              started again; with several, the first, api-1, while HAProxy sends
                                              the others everything); loadtest's fault stages run this
TXT
}

# set_shape N M: the stack's processes and addresses. One API process listens on $API_HOST itself (process api,
# node_exporter node-api), as the stack always had it; N > 1 listen on $NET.11 ... (api-1 ... api-N, node-api-1 ...)
# behind HAProxy (lb) on $API_HOST:$API_PORT. Likewise one load generator on $LOADGEN_HOST (loadgen), or M > 1 shards
# of one test on $NET.21 ... (loadgen-1 ... loadgen-M).
set_shape() {
  local i
  API_COUNT=$1
  LOADGEN_COUNT=$2
  API_HOSTS=()
  API_NAMES=()
  LOADGEN_HOSTS=()
  LOADGEN_NAMES=()
  if [ "$API_COUNT" -eq 1 ]; then
    API_HOSTS=("$API_HOST")
    API_NAMES=(api)
  else
    for ((i = 1; i <= API_COUNT; i++)); do
      API_HOSTS+=("$NET.$((10 + i))")
      API_NAMES+=("api-$i")
    done
  fi
  if [ "$LOADGEN_COUNT" -eq 1 ]; then
    LOADGEN_HOSTS=("$LOADGEN_HOST")
    LOADGEN_NAMES=(loadgen)
  else
    for ((i = 1; i <= LOADGEN_COUNT; i++)); do
      LOADGEN_HOSTS+=("$NET.$((20 + i))")
      LOADGEN_NAMES+=("loadgen-$i")
    done
  fi
  # node_exporter on every host of every role (name=address), as on AWS; all of them measure this one machine.
  NODE_HOSTS=()
  for i in "${!API_NAMES[@]}"; do NODE_HOSTS+=("${API_NAMES[$i]}=${API_HOSTS[$i]}"); done
  NODE_HOSTS+=("db=$DB_HOST" "monitor=$MONITOR_HOST")
  for i in "${!LOADGEN_NAMES[@]}"; do NODE_HOSTS+=("${LOADGEN_NAMES[$i]}=${LOADGEN_HOSTS[$i]}"); done
  # The roles' addresses for Prometheus' targets (observability/bin/render-config); role lb only with HAProxy.
  ROLE_HOSTS=("api=$(IFS=,; echo "${API_HOSTS[*]}")" "db=$DB_HOST" "monitor=$MONITOR_HOST"
    "loadgen=$(IFS=,; echo "${LOADGEN_HOSTS[*]}")" "lb=$([ "$API_COUNT" -eq 1 ] || echo "$API_HOST")")
}

# The shape a running stack was started with ($SHAPE: "N M"), so that status, stop, fault and a later `up` treat the
# same processes; 1 1 when there is none.
recorded_shape() {
  local n=1 m=1
  if [ -f "$SHAPE" ]; then
    read -r n m <"$SHAPE" || true
    [[ $n =~ ^[1-9]$ && $m =~ ^[1-9]$ ]] || { n=1; m=1; }
  fi
  echo "$n $m"
}

stack_running() {
  local pidfile
  for pidfile in "$PIDS"/*.pid; do
    [ -f "$pidfile" ] || continue
    running "$(basename "$pidfile" .pid)" && return 0
  done
  return 1
}

# Builds the jars when one is missing or a source changed since the last build. Maven leaves an unchanged jar's
# timestamp alone, so the reference is a stamp touched after each build, not the jars.
build_if_needed() {
  local jar stale=0 stamp=$STATE/build.stamp
  for jar in "$API_JAR" "$DB_JAR" "$LOADTEST_JAR"; do
    [ -f "$jar" ] || stale=1
  done
  if [ "$stale" -eq 0 ] && { [ ! -f "$stamp" ] ||
    [ -n "$(find "$ROOT/app/src/main" "$ROOT/db" "$ROOT/loadtest/src/main" "$ROOT/pom.xml" "$ROOT"/*/pom.xml \
      -newer "$stamp" -type f -not -path "*/target/*" -not -name "*.md" -print -quit 2>/dev/null)" ]; }; then
    stale=1
  fi
  if [ "$stale" -eq 1 ]; then
    echo "Building the jars (the first build downloads dependencies and takes a few minutes)..."
    (cd "$ROOT" && ./mvnw -B -q -DskipTests package)
    touch "$stamp"
  fi
}

running() {
  local pidfile=$PIDS/$1.pid
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# start NAME COMMAND...: runs a role's process in the background, its output in $LOGS/NAME.log.
start() {
  local name=$1
  shift
  if running "$name"; then
    echo "  $name is already running (pid $(cat "$PIDS/$name.pid"))"
    return 0
  fi
  # Truncate the log here, not in the background job: a restart must not find the last run's "ready" line.
  : >"$LOGS/$name.log"
  "$@" >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$PIDS/$name.pid"
}

# stop_one NAME: stops one process of the stack (TERM, then KILL after 10 s; 60 s for the database, whose clean
# shutdown flushes InnoDB).
stop_one() {
  local name=$1 pidfile=$PIDS/$1.pid pid wait=100
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  [ "$name" != db ] || wait=600
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq "$wait"); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    echo "  stopped $name"
  fi
  rm -f "$pidfile"
}

stop_all() {
  local pidfile
  for pidfile in "$PIDS"/*.pid; do
    [ -f "$pidfile" ] || continue
    stop_one "$(basename "$pidfile" .pid)"
  done
  rm -f "$SHAPE"
}

# stop NAME...: stops some processes (e.g. db node-db: the database host "fails"); `up --detach` starts them again.
# With several API processes or load generators, api and loadgen name all of them, api-2 one.
cmd_stop() {
  local name names=() pidfile
  [ $# -gt 0 ] || { usage >&2; exit 2; }
  for name in "$@"; do
    local found=0
    if [ -f "$PIDS/$name.pid" ]; then
      names+=("$name")
      found=1
    elif [ "$name" = api ] || [ "$name" = loadgen ]; then
      for pidfile in "$PIDS/$name"-[0-9]*.pid; do
        [ -f "$pidfile" ] || continue
        names+=("$(basename "$pidfile" .pid)")
        found=1
      done
    fi
    [ "$found" -eq 1 ] || { echo "no process '$name' in $PIDS (see status)" >&2; exit 2; }
  done
  for name in "${names[@]}"; do
    stop_one "$name"
  done
}

wait_log() {
  local name=$1 pattern=$2 seconds=$3 i
  for ((i = 0; i < seconds * 10; i++)); do
    grep -q "$pattern" "$LOGS/$name.log" 2>/dev/null && return 0
    running "$name" || break
    sleep 0.1
  done
  echo "$name did not start; the end of $LOGS/$name.log:" >&2
  tail -20 "$LOGS/$name.log" >&2
  return 1
}

wait_http() {
  local url=$1 seconds=$2 i
  for ((i = 0; i < seconds * 10; i++)); do
    curl -fs -o /dev/null "$url" && return 0
    sleep 0.1
  done
  return 1
}

start_db() {
  start db java -jar "$DB_JAR" --host "$DB_HOST" --port "$DB_PORT" --data-dir "$DB_DATA" \
    --database "$DB_NAME" --app-user "$DB_USER" --app-password "$DB_PASSWORD" \
    --exporter-user "$EXPORTER_USER" --exporter-password "$EXPORTER_PASSWORD"
  wait_log db "embedded-db ready" 120
}

# The API's settings as environment variables (app/README.md); `env` execs java, so the pidfile holds the JVM.
# The API reaches the database through the stack's delaying proxy (off unless db-slow switches it on; about 0.1 ms
# per round trip on loopback). LOCAL_STACK_API_DB (HOST:PORT) replaces it: a test's own proxy, or the database's
# own address ($NET.2:3306) for a benchmark without the proxy.
API_DB=${LOCAL_STACK_API_DB:-$DB_PROXY_HOST:$DB_PORT}
# The delay db-slow adds to every database answer: enough for OrderApiDatabaseSlow (p99 above 100 ms).
DB_DELAY_MS=${LOCAL_STACK_DB_DELAY_MS:-150}
# api_env HOST: in API_ENV, the settings of an API process serving on HOST.
api_env() {
  API_ENV=(DB_URL="jdbc:mysql://$API_DB/$DB_NAME" DB_USER="$DB_USER" DB_PASSWORD="$DB_PASSWORD"
    SERVER_HOST="$1" SERVER_PORT="$API_PORT" SERVER_SOCKETS_0_HOST="$1" SERVER_SOCKETS_0_PORT="$ADMIN_PORT")
}

# A training run for the AOT cache when the jar is newer than the cache (app/README.md, "Start-up"): the API on its
# own loopback ports against this stack's database for 5 s, then the JVM writes the cache as it exits. The same JVM
# options as the API's, so the cache fits it. A failed training costs only start-up time: the API starts without a
# cache.
# With several API processes it trains on $NET.10, an address none of them uses.
train_api() {
  [ -f "$API_AOT" ] && [ "$API_AOT" -nt "$API_JAR" ] && return 0
  echo "training the API's AOT cache (once per build): $API_AOT"
  rm -f "$API_AOT"
  if [ "$API_COUNT" -eq 1 ]; then api_env "$API_HOST"; else api_env "$NET.10"; fi
  if ! env "${API_ENV[@]}" java "${API_JVM[@]}" -XX:AOTCacheOutput="$API_AOT" -jar "$API_JAR" train 5 \
    >"$LOGS/train.log" 2>&1 || [ ! -f "$API_AOT" ]; then
    echo "the API's training run failed (see $LOGS/train.log); it starts without an AOT cache" >&2
    rm -f "$API_AOT"
  fi
}

# The delaying proxy between the API and the database, unless LOCAL_STACK_API_DB points the API elsewhere.
start_db_proxy() {
  [ -z "${LOCAL_STACK_API_DB:-}" ] || return 0
  running db-proxy || ensure_free "$DB_PROXY_HOST" "$DB_PORT"
  start db-proxy python3 "$ROOT/scripts/delay-proxy.py" "$DB_PROXY_HOST:$DB_PORT" "$DB_HOST:$DB_PORT" \
    --delay-ms "$DB_DELAY_MS"
  wait_log db-proxy "delay-proxy ready" 20
}

# Starts every API process that is not running (all at once: each waits for the CPU more than for anything else),
# waits until each is ready, then HAProxy in front of several.
start_api() {
  local aot=() i
  # Migrations are their own step, as on AWS (order-api-migrate.service); a no-op once applied.
  api_env "${API_HOSTS[0]}"
  env "${API_ENV[@]}" java -jar "$API_JAR" migrate --seed >"$LOGS/migrate.log" 2>&1 ||
    { tail -20 "$LOGS/migrate.log" >&2; return 1; }
  train_api
  [ -f "$API_AOT" ] && aot=("-XX:AOTCache=$API_AOT")
  for i in "${!API_NAMES[@]}"; do
    api_env "${API_HOSTS[$i]}"
    start "${API_NAMES[$i]}" env "${API_ENV[@]}" java "${API_JVM[@]}" "${aot[@]}" -jar "$API_JAR"
  done
  for i in "${!API_NAMES[@]}"; do
    wait_http "http://${API_HOSTS[$i]}:$ADMIN_PORT/health/ready" 60 ||
      { echo "the API (${API_NAMES[$i]}) did not become ready; see $LOGS/${API_NAMES[$i]}.log" >&2; return 1; }
  done
  start_lb
}

# HAProxy's configuration for N API processes, written at each `up` from the shape.
write_lb_config() {
  local i
  {
    cat <<CFG
# Written by scripts/local-stack.sh for $API_COUNT API processes; do not edit (it is rewritten at each up).
global
    maxconn 4096

defaults
    mode http
    timeout connect 1s
    timeout client 65s
    timeout server 30s
    timeout check 2s
    # Idle keep-alive connections are closed after 60 s, as the AWS load balancer does; the API keeps them longer.
    timeout http-keep-alive 60s
    # A request goes to another API process only when connecting to the first one failed, so nothing reached it:
    # a POST that was sent (and may have placed an order) is never sent again; its client gets the error.
    retries 2
    retry-on conn-failure
    option redispatch 1

frontend api
    bind $API_HOST:$API_PORT
    default_backend api

# Round robin per request (also on a client's kept-alive connection); a process is taken out after two failed
# readiness checks 2 s apart (the database's state included: with every process out, HAProxy answers 503 itself,
# where the AWS load balancer fails open) and back after two good ones.
backend api
    balance roundrobin
    option httpchk
    # HTTP/1.1 with a Host header: the API answers HTTP/1.0 (HAProxy's default for checks) with 505.
    http-check send meth GET uri /health/ready ver HTTP/1.1 hdr Host $API_HOST
    http-check expect status 200
    default-server check port $ADMIN_PORT inter 2s fall 2 rise 2
CFG
    for i in "${!API_NAMES[@]}"; do
      echo "    server ${API_NAMES[$i]} ${API_HOSTS[$i]}:$API_PORT"
    done
    cat <<CFG

# HAProxy's own metrics for Prometheus (job haproxy), and its stats page.
frontend metrics
    bind $API_HOST:$LB_METRICS_PORT
    http-request use-service prometheus-exporter if { path /metrics }
    stats enable
    stats uri /stats
    stats refresh 5s
CFG
  } >"$STATE/haproxy.cfg"
}

# Each API process behind HAProxy and its state there ("api-1 UP"), from its stats page.
lb_servers() {
  curl -fs "http://$API_HOST:$LB_METRICS_PORT/stats;csv" | awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) if ($i == "status") c = i; next }
    $1 == "api" && $2 != "BACKEND" && $2 != "FRONTEND" { print $2, $c }'
}

start_lb() {
  [ "$API_COUNT" -gt 1 ] || return 0
  local i up
  write_lb_config
  haproxy -c -q -f "$STATE/haproxy.cfg" >&2 || { echo "HAProxy rejects $STATE/haproxy.cfg" >&2; return 1; }
  if ! running lb; then
    ensure_free "$API_HOST" "$API_PORT"
    ensure_free "$API_HOST" "$LB_METRICS_PORT"
  fi
  # -db: in the foreground, supervised by this script like every other process of the stack.
  start lb haproxy -db -f "$STATE/haproxy.cfg"
  for ((i = 0; i < 300; i++)); do
    up=$(lb_servers 2>/dev/null | grep -c ' UP' || true)
    [ "$up" -eq "$API_COUNT" ] && return 0
    running lb || break
    sleep 0.1
  done
  echo "HAProxy does not see every API process up; see $LOGS/lb.log and http://$API_HOST:$LB_METRICS_PORT/stats" >&2
  return 1
}

# Fails when something else already listens on HOST:PORT (127.x addresses are shared by everyone on the machine).
ensure_free() {
  if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then
    echo "$1:$2 is already in use (another local stack?); stop it first ('ss -ltnp | grep $1:$2')." >&2
    return 1
  fi
}

# The flags of an exporter, one per line in observability/exporters/*.flags (comments and blank lines dropped):
# the same files the AMIs bake, so both run the exporters alike.
read_flags() {
  grep -v -E '^[[:space:]]*(#|$)' "$1"
}

start_exporters() {
  local node host flags=()
  mapfile -t flags < <(read_flags "$OBS/exporters/node-exporter.flags")
  for node in "${NODE_HOSTS[@]}"; do
    host=${node#*=}
    running "node-${node%%=*}" || ensure_free "$host" "$NODE_EXPORTER_PORT"
    start "node-${node%%=*}" prometheus-node-exporter --web.listen-address="$host:$NODE_EXPORTER_PORT" "${flags[@]}"
  done
  # The exporter's credentials live in a 0600 my.cnf in the state folder, never on a command line.
  (umask 077 && printf '[client]\nuser=%s\npassword=%s\nhost=%s\nport=%s\n' \
    "$EXPORTER_USER" "$EXPORTER_PASSWORD" "$DB_HOST" "$DB_PORT" >"$STATE/mysqld-exporter.my.cnf")
  mapfile -t flags < <(read_flags "$OBS/exporters/mysqld-exporter.flags")
  running mysqld-exporter || ensure_free "$DB_HOST" "$MYSQLD_EXPORTER_PORT"
  start mysqld-exporter prometheus-mysqld-exporter --config.my-cnf="$STATE/mysqld-exporter.my.cnf" \
    --web.listen-address="$DB_HOST:$MYSQLD_EXPORTER_PORT" "${flags[@]}"
  wait_http "http://$DB_HOST:$MYSQLD_EXPORTER_PORT/metrics" 20 ||
    { echo "mysqld_exporter did not start; see $LOGS/mysqld-exporter.log" >&2; return 1; }
}

# Prometheus with the AWS configuration rendered for loopback targets (observability/bin/render-config).
start_prometheus() {
  "$OBS/bin/render-config" local "$STATE/prometheus" "${ROLE_HOSTS[@]}"
  running prometheus || ensure_free "$MONITOR_HOST" "$PROMETHEUS_PORT"
  start prometheus prometheus --config.file="$STATE/prometheus/prometheus.yml" \
    --storage.tsdb.path="$STATE/data/prometheus" --storage.tsdb.retention.time=7d \
    --web.listen-address="$MONITOR_HOST:$PROMETHEUS_PORT" --web.enable-lifecycle
  wait_http "http://$MONITOR_HOST:$PROMETHEUS_PORT/-/ready" 60 ||
    { echo "Prometheus did not become ready; see $LOGS/prometheus.log" >&2; return 1; }
}

# Grafana only where it is installed (it is not packaged for Debian): provisioning and dashboards from the repository.
start_grafana() {
  command -v grafana-server >/dev/null || return 0
  local home=/usr/share/grafana
  mkdir -p "$STATE/data/grafana"
  running grafana || ensure_free "$MONITOR_HOST" "$GRAFANA_PORT"
  start grafana env PROMETHEUS_URL="http://$MONITOR_HOST:$PROMETHEUS_PORT" DASHBOARDS_DIR="$OBS/grafana/dashboards" \
    GF_PATHS_PROVISIONING="$OBS/grafana/provisioning" GF_PATHS_DATA="$STATE/data/grafana" GF_PATHS_LOGS="$LOGS" \
    GF_SERVER_HTTP_ADDR="$MONITOR_HOST" GF_SERVER_HTTP_PORT="$GRAFANA_PORT" \
    grafana-server --homepath "$home"
}

print_endpoints() {
  local i
  cat <<TXT

The local stack is up (logs in $LOGS):
  API          http://$API_HOST:$API_PORT/api/order/1      POST http://$API_HOST:$API_PORT/api/order
TXT
  if [ "$API_COUNT" -eq 1 ]; then
    echo "  API admin    http://$API_HOST:$ADMIN_PORT/metrics  http://$API_HOST:$ADMIN_PORT/health/ready"
  else
    echo "  HAProxy      in front of $API_COUNT API processes: http://$API_HOST:$LB_METRICS_PORT/stats" \
      "http://$API_HOST:$LB_METRICS_PORT/metrics"
    for i in "${!API_NAMES[@]}"; do
      echo "  ${API_NAMES[$i]}$(printf '%*s' $((13 - ${#API_NAMES[$i]})) '')http://${API_HOSTS[$i]}:$API_PORT" \
        "admin http://${API_HOSTS[$i]}:$ADMIN_PORT/metrics"
    done
  fi
  cat <<TXT
  database     mysql://$DB_HOST:$DB_PORT/$DB_NAME (user $DB_USER, password $DB_PASSWORD)
TXT
  running prometheus || return 0
  cat <<TXT
  exporters    http://$DB_HOST:$MYSQLD_EXPORTER_PORT/metrics   node_exporter on every role's address, port $NODE_EXPORTER_PORT
  Prometheus   http://$MONITOR_HOST:$PROMETHEUS_PORT/targets   http://$MONITOR_HOST:$PROMETHEUS_PORT/alerts
TXT
  if running grafana; then
    echo "  Grafana      http://$MONITOR_HOST:$GRAFANA_PORT/ (admin/admin on first login)"
  else
    echo "  Grafana      not installed here; the dashboards are in observability/grafana/dashboards/"
  fi
}

# The stage runs with this stack's Prometheus as its judge (when monitoring runs) and this script's `fault` command
# for its fault stages; both can be overridden with loadtest's --prometheus and --fault-command.
run_stage() {
  local stage=$1 prometheus="" out
  shift
  echo
  echo "Running load stage '$stage' against http://$API_HOST:$API_PORT ..."
  ! running prometheus || prometheus=http://$MONITOR_HOST:$PROMETHEUS_PORT
  out=$STATE/results/$(date -u +%Y%m%dT%H%M%SZ)-$stage
  STAGE_ENV=(PROMETHEUS_URL="${PROMETHEUS_URL:-$prometheus}"
    FAULT_COMMAND="$(printf '%q' "$0") fault {fault} {seconds}" LOCAL_STACK_DIR="$STATE" LOCAL_STACK_NET="$NET")
  if [ "$LOADGEN_COUNT" -eq 1 ]; then
    env "${STAGE_ENV[@]}" java -jar "$LOADTEST_JAR" --stage "$stage" --target "http://$API_HOST:$API_PORT" \
      --metrics-host "$LOADGEN_HOST" --out "$out" "$@"
  else
    run_shards "$stage" "$out" "$@"
  fi
}

# The stage as LOADGEN_COUNT shards of one test (loadgen-1 ... on their own addresses, each serving its own metrics):
# each runs `loadtest --shard i/M --start-at T` into OUT/shard-i, all starting at the same instant T, and then
# `loadtest merge` unions their outputs into OUT: one summary.json, latency.hlog and report.html, judged once. Only
# shard 1 starts a stress or fault and judges from Prometheus (the loadtest module does this). The exit code is the
# merge's (0 pass, 99 a verdict or verification failed, 130 a shard interrupted), unless a shard could not run at all
# (1, 2 or 3): then that shard's, since there is nothing complete to merge.
run_shards() {
  local stage=$1 out=$2 start_at i rc failed="" tail_pid judge=() status=0
  shift 2
  # The thresholds the shards were given are the merge's too (it judges the union, as a single run would).
  local args=("$@")
  for i in "${!args[@]}"; do
    case ${args[$i]} in
      --threshold) judge+=(--threshold "${args[$((i + 1))]:-}") ;;
      --threshold=* | --no-default-thresholds) judge+=("${args[$i]}") ;;
    esac
  done
  start_at=$(date -u -d "+$SHARD_START_DELAY_S seconds" +%Y-%m-%dT%H:%M:%SZ)
  mkdir -p "$out"
  echo "  as $LOADGEN_COUNT shards of one test starting at $start_at (their logs: $LOGS/loadgen-<i>.log;" \
    "shard 1's follows)"
  for i in "${!LOADGEN_NAMES[@]}"; do
    start "${LOADGEN_NAMES[$i]}" env "${STAGE_ENV[@]}" java -jar "$LOADTEST_JAR" --stage "$stage" \
      --target "http://$API_HOST:$API_PORT" --metrics-host "${LOADGEN_HOSTS[$i]}" \
      --shard "$((i + 1))/$LOADGEN_COUNT" --start-at "$start_at" --out "$out/shard-$((i + 1))" "$@"
  done
  tail -n +1 -f --pid="$(cat "$PIDS/${LOADGEN_NAMES[0]}.pid")" "$LOGS/${LOADGEN_NAMES[0]}.log" &
  tail_pid=$!
  for i in "${!LOADGEN_NAMES[@]}"; do
    rc=0
    wait "$(cat "$PIDS/${LOADGEN_NAMES[$i]}.pid")" || rc=$?
    rm -f "$PIDS/${LOADGEN_NAMES[$i]}.pid"
    echo "  shard $((i + 1))/$LOADGEN_COUNT exited with $rc ($out/shard-$((i + 1)))"
    case $rc in 1 | 2 | 3) [ -n "$failed" ] || failed=$rc ;; esac
  done
  wait "$tail_pid" 2>/dev/null || true
  if [ -n "$failed" ]; then
    echo "  a shard could not run (exit $failed, see its log): nothing to merge" >&2
    return "$failed"
  fi
  echo "  merging the $LOADGEN_COUNT shards into $out"
  java -jar "$LOADTEST_JAR" merge --out "$out" "${judge[@]}" "$out"/shard-* || status=$?
  return "$status"
}

# fault NAME SECONDS: puts one fault into the running stack and undoes it after SECONDS, or at once on SIGTERM or
# SIGINT; prints "fault on" once the fault is in effect and exits 0 once it is undone. loadtest's fault stages run
# it (FAULT_COMMAND); on AWS the project's Run Command documents keep the same contract.
cmd_fault() {
  local name=${1:-} seconds=${2:-}
  case $name in
    db-outage | db-slow | api-crash) ;;
    *) echo "fault: unknown fault '$name'; expected db-outage, db-slow or api-crash" >&2; exit 2 ;;
  esac
  if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ] || [ "$seconds" -gt 3600 ]; then
    echo "fault: SECONDS must be a whole number from 1 to 3600, was '$seconds'" >&2
    exit 2
  fi
  case $name in
    db-outage) running db || { echo "fault: the database is not running (./demo status)" >&2; exit 1; } ;;
    db-slow) running db-proxy || { echo "fault: no delay proxy runs between the API and the database" \
      "($PIDS/db-proxy.pid); the stack starts one unless LOCAL_STACK_API_DB is set" >&2; exit 1; } ;;
    api-crash) running "${API_NAMES[0]}" ||
      { echo "fault: the API (${API_NAMES[0]}) is not running (./demo status)" >&2; exit 1; } ;;
  esac
  FAULT=$name
  trap 'undo_fault; exit 143' TERM
  trap 'undo_fault; exit 130' INT
  case $name in
    db-outage) stop_one db >/dev/null ;;
    db-slow) kill -USR1 "$(cat "$PIDS/db-proxy.pid")" ;;
    # With several API processes, the first one, as on AWS the one host the fault document is sent to.
    api-crash) kill -KILL "$(cat "$PIDS/${API_NAMES[0]}.pid")" ;;
  esac
  echo "fault on: $name for ${seconds}s"
  sleep "$seconds" &
  FAULT_SLEEP=$!
  wait "$FAULT_SLEEP" || true
  undo_fault
}

# Undoes the fault in effect, once; a signal meanwhile waits until it is done. Caught, not ignored: a process the
# undo starts inherits an ignored SIGTERM, and a database that ignores it cannot be stopped cleanly by `down`.
undo_fault() {
  local name=${FAULT:-}
  [ -n "$name" ] || return 0
  FAULT=""
  trap : TERM INT
  kill "${FAULT_SLEEP:-}" 2>/dev/null || true
  case $name in
    db-outage) use_jdk; start_db ;;
    db-slow) kill -USR2 "$(cat "$PIDS/db-proxy.pid")" ;;
    # As systemd's Restart=on-failure does on AWS, after the fault's SECONDS (RestartSec there).
    api-crash) use_jdk; start_api ;;
  esac
  echo "fault off: $name undone"
}

cmd_up() {
  local detach=0 fresh=0 stage="" apis="" loadgens="" recorded
  STAGE_ARGS=()
  while [ $# -gt 0 ]; do
    case $1 in
      --detach) detach=1 ;;
      --fresh) fresh=1 ;;
      --api | --loadgen)
        [ $# -ge 2 ] || { echo "$1 needs a number" >&2; exit 2; }
        if [ "$1" = --api ]; then apis=$2; else loadgens=$2; fi
        shift
        ;;
      --stage)
        stage=${2:?--stage needs a name}
        shift
        STAGE_ARGS=("${@:2}")
        break
        ;;
      *) usage >&2; exit 2 ;;
    esac
    shift
  done
  local opt value
  for opt in api loadgen; do
    [ "$opt" = api ] && value=$apis || value=$loadgens
    if [ -n "$value" ] && ! [[ $value =~ ^[1-9]$ ]]; then
      echo "--$opt must be a whole number from 1 to $MAX_SCALE, was '$value'" >&2
      exit 2
    fi
  done
  # A running stack keeps its shape: `up --detach` after `stop api-2` starts api-2 again; another shape needs `down`.
  recorded=$(recorded_shape)
  if stack_running; then
    if [ "${apis:-${recorded% *}} ${loadgens:-${recorded#* }}" != "$recorded" ]; then
      echo "the local stack runs with --api ${recorded% *} --loadgen ${recorded#* }; './demo down' first to change it" >&2
      exit 2
    fi
    set_shape "${recorded% *}" "${recorded#* }"
  else
    set_shape "${apis:-1}" "${loadgens:-1}"
  fi
  if [ "$fresh" -eq 1 ]; then
    cmd_reset
  fi
  use_jdk
  # Monitoring needs Debian's Prometheus and exporters: installed when root; without them the database and the
  # API still run, as before monitoring joined the stack.
  local monitoring=1
  if ! (require_packages prometheus prometheus-node-exporter prometheus-mysqld-exporter python3-yaml); then
    echo "warning: starting without monitoring (exporters, Prometheus); install the packages above to add it" >&2
    monitoring=0
  fi
  # The db-stress stage (alone or in demo) stresses the database host's CPU with stress-ng: on this machine here.
  if ! (require_packages stress-ng); then
    echo "warning: without stress-ng the db-stress stage fails (its CPU stress cannot start)" >&2
  fi
  # Several API processes need HAProxy in front of them: installed when root, else a clear stop before anything runs.
  if [ "$API_COUNT" -gt 1 ]; then
    (require_packages haproxy) || { echo "--api $API_COUNT needs Debian's haproxy" >&2; exit 1; }
  fi
  mkdir -p "$LOGS" "$PIDS" "$STATE/data"
  echo "$API_COUNT $LOADGEN_COUNT" >"$SHAPE"
  build_if_needed
  if [ "$detach" -eq 0 ]; then
    # In the foreground, Ctrl-C or the end of this script stops everything it started.
    trap 'echo; echo "Stopping the local stack..."; stop_all' EXIT
    trap 'exit 130' INT TERM
  fi
  echo "Starting the database on $DB_HOST:$DB_PORT..."
  start_db
  start_db_proxy
  if [ "$API_COUNT" -eq 1 ]; then
    echo "Migrating and starting the API on $API_HOST:$API_PORT..."
  else
    echo "Migrating and starting $API_COUNT API processes on ${API_HOSTS[*]}, HAProxy in front on $API_HOST:$API_PORT..."
  fi
  start_api
  if [ "$monitoring" -eq 1 ]; then
    echo "Starting the exporters and Prometheus on $MONITOR_HOST:$PROMETHEUS_PORT..."
    start_exporters
    start_prometheus
    start_grafana
  fi
  print_endpoints
  local status=0
  if [ -n "$stage" ]; then
    run_stage "$stage" "${STAGE_ARGS[@]}" || status=$?
    echo "Load stage '$stage' finished with exit code $status."
  fi
  if [ "$detach" -eq 1 ]; then
    echo "Running in the background: './demo status' shows it, './demo down' stops it."
    return "$status"
  fi
  echo "Press Ctrl-C to stop."
  local pidfile name
  while true; do
    sleep 1 &
    wait $! || true
    for pidfile in "$PIDS"/*.pid; do
      name=$(basename "$pidfile" .pid)
      running "$name" || { echo "$name exited; see $LOGS/$name.log" >&2; exit 1; }
    done
  done
}

# reset: deletes the kept data, after saying what it deletes; refuses while any part of the stack runs.
cmd_reset() {
  local pidfile path
  for pidfile in "$PIDS"/*.pid; do
    [ -f "$pidfile" ] || continue
    if running "$(basename "$pidfile" .pid)"; then
      echo "the local stack is running; stop it first ('./demo down'), then reset" >&2
      return 1
    fi
  done
  local paths=("$DB_DATA" "$STATE/data/db-tmp" "$STATE/data/prometheus" "$STATE/data/grafana")
  local any=0
  for path in "${paths[@]}"; do
    [ -e "$path" ] || continue
    [ "$any" -eq 1 ] || echo "Deleting the local stack's data:"
    any=1
    echo "  $path ($(du -sh "$path" 2>/dev/null | cut -f1)): $(describe_data "$path")"
    rm -rf "$path"
  done
  if [ "$any" -eq 0 ]; then
    echo "Nothing to delete: the local stack has no data in $STATE/data."
  else
    echo "Done. The next './demo up' creates and seeds a new database."
  fi
}

describe_data() {
  case $1 in
    "$DB_DATA") echo "the database: every order placed since it was seeded, and the seed" ;;
    */db-tmp) echo "the database server's temporary files" ;;
    */prometheus) echo "Prometheus' time series" ;;
    */grafana) echo "Grafana's state" ;;
  esac
}

cmd_status() {
  local pidfile name any=0
  for pidfile in "$PIDS"/*.pid; do
    [ -f "$pidfile" ] || continue
    any=1
    name=$(basename "$pidfile" .pid)
    if [ "$name" = db ] && running db; then
      # The wrapper (db.pid) supervises the server process itself, which is what a fault kills or freezes.
      local server
      local state=""
      server=$(cat "$DB_SERVER_PIDFILE" 2>/dev/null || true)
      # A killed server stays a zombie (state Z) until its wrapper reaps it: down all the same.
      [ -z "$server" ] || state=$(ps -o state= -p "$server" 2>/dev/null | tr -d ' ' || true)
      if [ -n "$state" ] && [ "$state" != Z ]; then
        if [ "$state" = T ]; then
          echo "db: frozen (server mariadbd pid $server is stopped by a signal; wrapper pid $(cat "$pidfile"))"
        else
          echo "db: running (server mariadbd pid $server; wrapper pid $(cat "$pidfile"))"
        fi
      else
        echo "db: server down, being restarted by its wrapper (pid $(cat "$pidfile")); see $LOGS/db.log"
      fi
    elif running "$name"; then
      echo "$name: running (pid $(cat "$pidfile"))"
    else
      echo "$name: stopped"
    fi
  done
  [ "$any" -eq 1 ] || echo "the local stack is not running"
  # What HAProxy sees: each API process in or out of its rotation (two failed readiness checks take one out).
  if running lb; then
    echo "HAProxy's API processes (http://$API_HOST:$LB_METRICS_PORT/stats):"
    lb_servers | sed 's/^/  /' || true
  fi
  # What Prometheus sees: each target's health.
  if running prometheus && command -v jq >/dev/null; then
    echo "Prometheus targets (http://$MONITOR_HOST:$PROMETHEUS_PORT/targets):"
    curl -fs "http://$MONITOR_HOST:$PROMETHEUS_PORT/api/v1/targets?state=active" |
      jq -r '.data.activeTargets[] | "  \(.labels.job)\t\(.labels.instance)\t\(.health)"' | sort || true
  fi
}

# Every command but up acts on the shape the stack was started with.
if [ "${1:-}" != up ]; then
  shape=$(recorded_shape)
  set_shape "${shape% *}" "${shape#* }"
fi
case ${1:-} in
  up) shift; cmd_up "$@" ;;
  status) cmd_status ;;
  down) stop_all ;;
  stop) shift; cmd_stop "$@" ;;
  reset) cmd_reset ;;
  fault) shift; cmd_fault "$@" ;;
  *) usage >&2; exit 2 ;;
esac
