#!/usr/bin/env bash
# benchmarks/wrk/compare-builds.sh: an A/B of order API builds in one sitting, the builds alternated.
# usage: DB_PID=<mariadbd pid> compare-builds.sh NAME=DIR NAME=DIR ...
#   DIR holds a build's order-api.jar and libs/ (copy them from app/target/ after each build), and its AOT cache
#   order-api.aot if it has one (made by the build's `train`), which the build then runs with.
#   env: DB_URL (jdbc:mysql://127.0.0.1:23306/orders), DB_PID (the database server's pid, for its CPU),
#        ROUNDS (3), SECONDS_MEASURED (15), SCRIPTS ("get-order post-order"),
#        JVM_OPTS (the options the local stack and the api image run the API with).
# Every build runs at once on its own ports (15100, 15101, ...; admin +100) against the same database. Per round,
# script and build: wrk -t2 -c64 -d8s warm-up, then wrk -t2 -c64 --latency measured. CPU per request is each
# process's own CPU time over the measured run divided by wrk's request count: the API (/proc/<pid>/stat), the
# database server (/proc/<DB_PID>/stat) and wrk itself (its rusage); "stack" is their sum, the CPU the machine spent
# on the requests, which other work on a shared machine does not inflate as /proc/stat's busy time would. "RSS MB" is
# the API's peak resident memory (VmRSS), sampled every second during the measured run.
set -euo pipefail

[ $# -ge 1 ] || { sed -n 2,5p "$0" >&2; exit 2; }
db_url=${DB_URL:-jdbc:mysql://127.0.0.1:23306/orders}
db_pid=${DB_PID:?DB_PID: the database server process id}
rounds=${ROUNDS:-3}
measured=${SECONDS_MEASURED:-15}
scripts=${SCRIPTS:-get-order post-order}
read -r -a jvm_opts <<<"${JVM_OPTS:--XX:+UseSerialGC -Xmx64m -XX:TrimNativeHeapInterval=2000 -XX:+ExitOnOutOfMemoryError}"
here=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: apt-get install time" >&2; exit 1; }
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

declare -A port pid
logs=$(mktemp -d)
trap 'kill "${pid[@]}" 2>/dev/null || true' EXIT
i=0
for spec in "$@"; do
  name=${spec%%=*} dir=${spec#*=} p=$((15100 + i)) i=$((i + 1))
  [ -f "$dir/order-api.jar" ] || { echo "$dir/order-api.jar is missing" >&2; exit 2; }
  aot=()
  [ -f "$dir/order-api.aot" ] && aot=("-XX:AOTCache=$dir/order-api.aot")
  DB_URL=$db_url SERVER_HOST=127.0.0.1 SERVER_PORT=$p SERVER_SOCKETS_0_HOST=127.0.0.1 SERVER_SOCKETS_0_PORT=$((p + 100)) \
    java "${jvm_opts[@]}" "${aot[@]}" -jar "$dir/order-api.jar" >"$logs/$name.log" 2>&1 &
  pid[$name]=$! port[$name]=$p
done
for name in "${!port[@]}"; do
  for _ in $(seq 60); do curl -sf -o /dev/null "http://127.0.0.1:$((port[$name] + 100))/health/ready" && break; sleep 1; done
  curl -sf -o /dev/null "http://127.0.0.1:$((port[$name] + 100))/health/ready" || { echo "$name is not ready: $logs/$name.log" >&2; exit 1; }
done

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-5s %-10s %-8s %8s %8s %8s %8s %8s %8s %7s %7s\n' round script build 'req/s' 'p99 ms' 'API µs' 'DB µs' \
  'wrk µs' 'stack µs' non-2xx 'RSS MB'
for round in $(seq "$rounds"); do
  for script in $scripts; do
    for spec in "$@"; do
      name=${spec%%=*} url=http://127.0.0.1:${port[${spec%%=*}]}
      wrk -t2 -c64 -d8s -s "$here/$script.lua" "$url" >/dev/null
      api0=$(ticks "${pid[$name]}") db0=$(ticks "$db_pid")
      out=$(mktemp)
      /usr/bin/time -f 'WRK-CPU %U %S' -o "$out.cpu" wrk -t2 -c64 "-d${measured}s" --latency -s "$here/$script.lua" "$url" \
        >"$out" &
      wrk_pid=$! peak=0
      while kill -0 "$wrk_pid" 2>/dev/null; do
        now=$(rss_mb "${pid[$name]}") && [ "$now" -gt "$peak" ] && peak=$now
        sleep 1
      done
      wait "$wrk_pid"
      api1=$(ticks "${pid[$name]}") db1=$(ticks "$db_pid")
      cat "$out" "$out.cpu" | awk -v round="$round" -v script="$script" -v name="$name" -v hz="$hz" \
        -v api=$((api1 - api0)) -v db=$((db1 - db0)) -v rss="$peak" '
        /requests in/ { requests = $1 }
        /Requests\/sec/ { rate = $2 }
        $1 == "99%" { v = $2; if (v ~ /ms$/) p99 = v + 0; else if (v ~ /us$/) p99 = v / 1000; else p99 = v * 1000 }
        /Non-2xx/ { non2xx = $5 }
        /WRK-CPU/ { wrk = $2 + $3 }
        END {
          a = api / hz * 1e6 / requests; d = db / hz * 1e6 / requests; w = wrk * 1e6 / requests
          printf "%-5s %-10s %-8s %8.0f %8.1f %8.0f %8.0f %8.0f %8.0f %7d %7d\n", round, script, name, rate, p99, a, d,
                 w, a + d + w, non2xx, rss
        }'
      rm -f "$out" "$out.cpu"
    done
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
