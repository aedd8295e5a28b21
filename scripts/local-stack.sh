#!/usr/bin/env bash
# scripts/local-stack.sh: the demo's roles as processes on one machine, each on its own loopback address.
# Commands: up [--detach] [--fresh] [--stage NAME [loadtest options]], status, stop NAME..., down, reset, fault NAME
# SECONDS. Called by ./demo. Roles: db (embedded MariaDB + mysqld_exporter, and a delaying proxy in front of it for
# the API), api, monitor (Prometheus, and Grafana when installed), loadgen (a --stage run); node_exporter on every
# role's address. State in $LOCAL_STACK_DIR (default .local-stack): logs/, pids/, and data/ (the database and
# Prometheus), which is kept until `reset`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

STATE=${LOCAL_STACK_DIR:-$ROOT/.local-stack}
LOGS=$STATE/logs
PIDS=$STATE/pids

# The roles' addresses and ports (docs/architecture.md): the same ports as on AWS. LOCAL_STACK_NET moves the four
# addresses to another 127.x.y network, so that a test's stack can run beside the default one.
NET=${LOCAL_STACK_NET:-127.0.1}
[[ $NET =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || { echo "LOCAL_STACK_NET must look like 127.0.1, was '$NET'" >&2; exit 2; }
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
ROLE_HOSTS=("api=$API_HOST" "db=$DB_HOST" "monitor=$MONITOR_HOST" "loadgen=$LOADGEN_HOST")
OBS=$ROOT/observability

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
API_HEAP=256m
DB_JAR=$ROOT/db/embedded/target/embedded-db.jar
LOADTEST_JAR=$ROOT/loadtest/target/loadtest.jar

usage() {
  cat <<'TXT'
usage: scripts/local-stack.sh up [--detach] [--fresh] [--stage NAME [loadtest options...]]
       scripts/local-stack.sh status
       scripts/local-stack.sh down            stop everything; the data is kept for the next up
       scripts/local-stack.sh stop NAME...    stop some processes (names as in status); up --detach restarts them
       scripts/local-stack.sh reset           delete the kept data (database, Prometheus); the next up seeds anew
       scripts/local-stack.sh fault NAME SECONDS
                                              inject a fault, undo it after SECONDS (at once on SIGTERM/SIGINT):
                                              db-outage (database stopped, then started), db-slow (the proxy between
                                              API and database delays every answer), api-crash (API SIGKILLed, then
                                              started again); loadtest's fault stages run this
TXT
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
}

# stop NAME...: stops some processes (e.g. db node-db: the database host "fails"); `up --detach` starts them again.
cmd_stop() {
  local name
  [ $# -gt 0 ] || { usage >&2; exit 2; }
  for name in "$@"; do
    [ -f "$PIDS/$name.pid" ] || { echo "no process '$name' in $PIDS (see status)" >&2; exit 2; }
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
API_ENV=(DB_URL="jdbc:mysql://$API_DB/$DB_NAME" DB_USER="$DB_USER" DB_PASSWORD="$DB_PASSWORD"
  SERVER_HOST="$API_HOST" SERVER_PORT="$API_PORT" SERVER_SOCKETS_0_HOST="$API_HOST" SERVER_SOCKETS_0_PORT="$ADMIN_PORT")

# A training run for the AOT cache when the jar is newer than the cache (app/README.md, "Start-up"): the API on its
# own loopback ports against this stack's database for 5 s, then the JVM writes the cache as it exits. The same heap
# as the API's, so the cache fits it. A failed training costs only start-up time: the API starts without a cache.
train_api() {
  [ -f "$API_AOT" ] && [ "$API_AOT" -nt "$API_JAR" ] && return 0
  echo "training the API's AOT cache (once per build): $API_AOT"
  rm -f "$API_AOT"
  if ! env "${API_ENV[@]}" java "-Xmx$API_HEAP" -XX:AOTCacheOutput="$API_AOT" -jar "$API_JAR" train 5 \
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

start_api() {
  # Migrations are their own step, as on AWS (order-api-migrate.service); a no-op once applied.
  env "${API_ENV[@]}" java -jar "$API_JAR" migrate --seed >"$LOGS/migrate.log" 2>&1 ||
    { tail -20 "$LOGS/migrate.log" >&2; return 1; }
  train_api
  local aot=()
  [ -f "$API_AOT" ] && aot=("-XX:AOTCache=$API_AOT")
  start api env "${API_ENV[@]}" java "-Xmx$API_HEAP" "${aot[@]}" -jar "$API_JAR"
  wait_http "http://$API_HOST:$ADMIN_PORT/health/ready" 60 ||
    { echo "the API did not become ready; see $LOGS/api.log" >&2; return 1; }
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
  local role host flags=()
  mapfile -t flags < <(read_flags "$OBS/exporters/node-exporter.flags")
  for role in "${ROLE_HOSTS[@]}"; do
    host=${role#*=}
    running "node-${role%%=*}" || ensure_free "$host" "$NODE_EXPORTER_PORT"
    start "node-${role%%=*}" prometheus-node-exporter --web.listen-address="$host:$NODE_EXPORTER_PORT" "${flags[@]}"
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
  cat <<TXT

The local stack is up (logs in $LOGS):
  API          http://$API_HOST:$API_PORT/api/order/1      POST http://$API_HOST:$API_PORT/api/order
  API admin    http://$API_HOST:$ADMIN_PORT/metrics  http://$API_HOST:$ADMIN_PORT/health/ready
  database     mysql://$DB_HOST:$DB_PORT/$DB_NAME (user $DB_USER, password $DB_PASSWORD)
TXT
  running prometheus || return 0
  cat <<TXT
  exporters    http://$DB_HOST:$MYSQLD_EXPORTER_PORT/metrics   node_exporter on http://$NET.{1..4}:$NODE_EXPORTER_PORT/metrics
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
  local stage=$1 prometheus=""
  shift
  echo
  echo "Running load stage '$stage' against http://$API_HOST:$API_PORT ..."
  ! running prometheus || prometheus=http://$MONITOR_HOST:$PROMETHEUS_PORT
  PROMETHEUS_URL=${PROMETHEUS_URL:-$prometheus} FAULT_COMMAND="$(printf '%q' "$0") fault {fault} {seconds}" \
    LOCAL_STACK_DIR=$STATE LOCAL_STACK_NET=$NET \
    java -jar "$LOADTEST_JAR" --stage "$stage" --target "http://$API_HOST:$API_PORT" \
    --metrics-host "$LOADGEN_HOST" --out "$STATE/results/$(date -u +%Y%m%dT%H%M%SZ)-$stage" "$@"
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
    api-crash) running api || { echo "fault: the API is not running (./demo status)" >&2; exit 1; } ;;
  esac
  FAULT=$name
  trap 'undo_fault; exit 143' TERM
  trap 'undo_fault; exit 130' INT
  case $name in
    db-outage) stop_one db >/dev/null ;;
    db-slow) kill -USR1 "$(cat "$PIDS/db-proxy.pid")" ;;
    api-crash) kill -KILL "$(cat "$PIDS/api.pid")" ;;
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
  local detach=0 fresh=0 stage="" stage_args=()
  while [ $# -gt 0 ]; do
    case $1 in
      --detach) detach=1 ;;
      --fresh) fresh=1 ;;
      --stage)
        stage=${2:?--stage needs a name}
        shift
        stage_args=("${@:2}")
        break
        ;;
      *) usage >&2; exit 2 ;;
    esac
    shift
  done
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
  mkdir -p "$LOGS" "$PIDS" "$STATE/data"
  build_if_needed
  if [ "$detach" -eq 0 ]; then
    # In the foreground, Ctrl-C or the end of this script stops everything it started.
    trap 'echo; echo "Stopping the local stack..."; stop_all' EXIT
    trap 'exit 130' INT TERM
  fi
  echo "Starting the database on $DB_HOST:$DB_PORT..."
  start_db
  start_db_proxy
  echo "Migrating and starting the API on $API_HOST:$API_PORT..."
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
    run_stage "$stage" "${stage_args[@]}" || status=$?
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
      server=$(cat "$DB_SERVER_PIDFILE" 2>/dev/null || true)
      if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
        if [ "$(ps -o state= -p "$server" | tr -d ' ')" = T ]; then
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
  # What Prometheus sees: each target's health.
  if running prometheus && command -v jq >/dev/null; then
    echo "Prometheus targets (http://$MONITOR_HOST:$PROMETHEUS_PORT/targets):"
    curl -fs "http://$MONITOR_HOST:$PROMETHEUS_PORT/api/v1/targets?state=active" |
      jq -r '.data.activeTargets[] | "  \(.labels.job)\t\(.labels.instance)\t\(.health)"' | sort || true
  fi
}

case ${1:-} in
  up) shift; cmd_up "$@" ;;
  status) cmd_status ;;
  down) stop_all ;;
  stop) shift; cmd_stop "$@" ;;
  reset) cmd_reset ;;
  fault) shift; cmd_fault "$@" ;;
  *) usage >&2; exit 2 ;;
esac
