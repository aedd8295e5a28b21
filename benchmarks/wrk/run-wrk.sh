#!/usr/bin/env bash
# benchmarks/wrk/run-wrk.sh: measure GET and POST throughput and latency of a running order API with wrk.
# usage: run-wrk.sh API_URL API_PID [connections] [seconds]; warms up each script before measuring it.
set -euo pipefail

url=${1:?usage: run-wrk.sh API_URL API_PID [connections] [seconds]}
pid=${2:?the API process id, to read its resident memory}
connections=${3:-64}
seconds=${4:-20}
here=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

rss_mb() {
  awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status"
}

for script in get-order post-order; do
  echo "== $script: warm-up 10 s"
  wrk -t2 -c"$connections" -d10s -s "$here/$script.lua" "$url" >/dev/null
  echo "== $script: wrk -t2 -c$connections -d${seconds}s --latency -s $script.lua $url"
  # Sample the API's resident memory while wrk runs; report the peak.
  peak=0
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$here/$script.lua" "$url" &
  wrk_pid=$!
  while kill -0 "$wrk_pid" 2>/dev/null; do
    now=$(rss_mb)
    [ "$now" -gt "$peak" ] && peak=$now
    sleep 1
  done
  wait "$wrk_pid"
  echo "API resident memory: peak ${peak} MB during the run"
done
