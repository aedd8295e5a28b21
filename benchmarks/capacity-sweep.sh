#!/usr/bin/env bash
# benchmarks/capacity-sweep.sh: end-to-end capacity of the order API, measured as wrk2 does: fixed arrival rates.
# Runs loadtest.jar in open-model mode at rising rates until the corrected p99 passes 100 ms or errors appear.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=SCRIPTDIR/../scripts/lib.sh
. "$ROOT/scripts/lib.sh"

usage() {
  cat <<'TXT'
usage: benchmarks/capacity-sweep.sh [options]
  --target URL      the API (default http://127.0.1.1:5000, the local stack's; start it with ./demo up)
  --mix MIX         get (reads only), read-heavy (80% reads), or both (default both)
  --from N          first rate, requests/s (default 500)
  --step N          rate increment (default 500)
  --to N            last rate tried (default 10000)
  --duration D      steady time per rate (default 30s)
  --ramp D          unrecorded time at the start of each rate, while the generator's JIT warms up (default 30s)
  --warmup D        unrecorded run at the first rate before each mix, to warm the API and database (default 20s)
  --out DIR         where results go (default loadtest-results/sweep-<time>)
Writes per rate the loadtest outputs, and for the sweep sweep.json, sweep.md (table), sweep.html (chart) and, when
Chromium is installed, sweep.png. Latencies are the corrected ones (from the intended send time).
machine.json and the head of sweep.md describe this machine: CPU, cores, kernel, load, and the round trip of two
processes over a pipe (`perf bench sched pipe`, when perf works), which shows how dear a context switch is here.
Per rate, with a steady time of 10 s or more, the machine's CPU time per request and its idle share over the
steady state: meaningful when the API and its database run on this machine (the local stack).
TXT
}

target=http://127.0.1.1:5000
mixes=(get read-heavy)
from=500
step=500
to=10000
duration=30s
ramp=30s
warmup=20s
out=$ROOT/loadtest-results/sweep-$(date -u +%Y%m%dT%H%M%SZ)
while [ $# -gt 0 ]; do
  case $1 in
    --target) target=$2; shift ;;
    --mix) case $2 in both) mixes=(get read-heavy) ;; get | read-heavy) mixes=("$2") ;; *) usage >&2; exit 2 ;; esac; shift ;;
    --from) from=$2; shift ;;
    --step) step=$2; shift ;;
    --to) to=$2; shift ;;
    --duration) duration=$2; shift ;;
    --ramp) ramp=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --out) out=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done

use_jdk
command -v jq >/dev/null || { echo "jq is missing: apt-get install jq" >&2; exit 1; }
jar=$ROOT/loadtest/target/loadtest.jar
[ -f "$jar" ] || { echo "missing $jar: ./mvnw -B -pl loadtest -am package -DskipTests" >&2; exit 1; }
mkdir -p "$out"
rows=$out/rows.jsonl
: >"$rows"

# loadtest RATE RATIO DURATION RAMP DIR: one open-model run, thresholds off (the sweep judges), no CPU stress, no
# lingering metrics endpoint between runs; its output goes to DIR.log.
loadtest() {
  java -jar "$jar" --stage normal --target "$target" --rate "$1/s" --read-ratio "$2" --duration "$3" --ramp "$4" \
    --no-default-thresholds --no-stress --linger 0s --metrics-port 0 --interval 10s --out "$5" >"$5.log" 2>&1 || true
}

# seconds D: a loadtest duration (500ms, 30s, 2m, or plain seconds) in whole seconds, rounded down.
seconds() {
  case $1 in
    *ms) echo $(( ${1%ms} / 1000 )) ;;
    *s) echo "${1%s}" ;;
    *m) echo $(( ${1%m} * 60 )) ;;
    *) echo "$1" ;;
  esac
}

# cpu_ticks: the machine's busy and total CPU ticks so far (/proc/stat: idle and iowait count as not busy).
cpu_ticks() {
  awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

# steady_cpu RAMP DURATION: called as a run starts; sleeps into its steady state and prints the busy ticks, total
# ticks and seconds of a window inside it (3 s after the ramp, ending 2 s before the run does), or nothing when the
# steady time is under 10 s.
steady_cpu() {
  local ramp_s steady_s busy0 total0 busy1 total1
  ramp_s=$(seconds "$1")
  steady_s=$(seconds "$2")
  [ "$steady_s" -ge 10 ] || return 0
  sleep $((ramp_s + 3))
  read -r busy0 total0 < <(cpu_ticks)
  sleep $((steady_s - 5))
  read -r busy1 total1 < <(cpu_ticks)
  echo "$((busy1 - busy0)) $((total1 - total0)) $((steady_s - 5))"
}

# The machine, for comparing sweeps run on different hosts.
pipe_us=null
if command -v perf >/dev/null && pipe=$(perf bench sched pipe -l 50000 2>/dev/null); then
  pipe_us=$(awk '/usecs\/op/ { print $1 }' <<<"$pipe")
  [ -n "$pipe_us" ] || pipe_us=null
fi
jq -n --arg date "$(date -u +%FT%TZ)" --arg cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
  --argjson cores "$(nproc)" --arg kernel "$(uname -r)" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
  --argjson pipe_us "$pipe_us" --arg target "$target" \
  '{date: $date, target: $target, cpu: $cpu, cores: $cores, kernel: $kernel, load_average: $load,
    pipe_round_trip_us: $pipe_us}' >"$out/machine.json"
tick_hz=$(getconf CLK_TCK)

# Each rate's run and the sampling of the machine go to the background, and the sweep waits for the run (wait, unlike
# a read, returns at once on a signal). A script's background jobs ignore Ctrl-C, so stopping the sweep stops the
# run in flight (the java below its subshell) itself.
run=
sampler=
trap 'if [ -n "$run" ]; then pkill -TERM -P "$run"; kill "$run" $sampler; fi 2>/dev/null; exit 130' INT TERM

echo "Capacity sweep against $target: rates $from..$to step $step, $ramp + $duration each; results in $out"
for mix in "${mixes[@]}"; do
  ratio=1.0
  [ "$mix" = read-heavy ] && ratio=0.8
  if [ "$warmup" != 0 ] && [ "$warmup" != 0s ]; then
    echo "$mix: warming up at $from/s for $warmup (not recorded)"
    loadtest "$from" "$ratio" "$warmup" 0s "$out/warmup-$mix"
  fi
  for ((rate = from; rate <= to; rate += step)); do
    dir=$out/$mix-$rate
    loadtest "$rate" "$ratio" "$duration" "$ramp" "$dir" &
    run=$!
    steady_cpu "$ramp" "$duration" >"$dir.cpu" &
    sampler=$!
    wait "$run" || true
    run=
    # The sampler has normally finished by now; if the run ended early, there was no steady state to sample.
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    sampler=
    busy='' total='' window=''
    read -r busy total window <"$dir.cpu" || true
    if [ ! -f "$dir/summary.json" ]; then
      echo "no summary for $mix at $rate/s; see $dir.log" >&2
      break
    fi
    jq -c --arg mix "$mix" --argjson rate "$rate" --argjson busy "${busy:-null}" --argjson total "${total:-null}" \
      --argjson window "${window:-null}" --argjson hz "$tick_hz" '.stages[0] as $s | $s.operations.all as $a | {
        mix: $mix, offered: $rate, achieved: $s.actual_steady_rate_per_s, errors: $a.errors,
        dropped: ($s.dropped_requests // 0), saturated: $s.generator_saturated,
        p50: $a.steady_state.latency_ms.corrected.p50, p99: $a.steady_state.latency_ms.corrected.p99,
        p999: $a.steady_state.latency_ms.corrected["p99.9"], observed_p99: $a.steady_state.latency_ms.observed.p99,
        lag_p99: $s.schedule_lag_ms.p99,
        cpu_us_per_req: (if $busy == null or $s.actual_steady_rate_per_s == 0 then null
                         else ($busy / $hz * 1e6 / ($s.actual_steady_rate_per_s * $window) | round) end),
        idle_pct: (if $total == null or $total == 0 then null else (100 * (1 - $busy / $total) | round) end) }' \
      "$dir/summary.json" | tee -a "$rows"
    p99=$(jq -r '.stages[0].operations.all.steady_state.latency_ms.corrected.p99 // 1e9' "$dir/summary.json")
    errors=$(jq -r '.stages[0].operations.all.errors' "$dir/summary.json")
    if [ "$errors" != 0 ] || awk -v p="$p99" 'BEGIN { exit !(p > 100) }'; then
      echo "$mix: stopping at $rate/s (p99 ${p99} ms, ${errors} errors)"
      break
    fi
  done
done

jq -s '.' "$rows" >"$out/sweep.json"
{
  jq -r '"Machine: \(.cpu), \(.cores) cores, kernel \(.kernel), load average \(.load_average) at the start; pipe round trip \(
    if .pipe_round_trip_us then "\(.pipe_round_trip_us) µs" else "not measured" end) (perf bench sched pipe). Target \(.target), \(.date).\n"' \
    "$out/machine.json"
  echo "| mix | offered req/s | achieved req/s | p50 ms | p99 ms | p99.9 ms | observed p99 ms | errors | lag p99 ms | machine CPU µs/req | idle % |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  jq -r '.[] | "| \(.mix) | \(.offered) | \(.achieved) | \(.p50) | \(.p99) | \(.p999) | \(.observed_p99) | \(.errors) | \(.lag_p99) | \(.cpu_us_per_req // "-") | \(.idle_pct // "-") |"' \
    "$out/sweep.json"
  echo
  for mix in "${mixes[@]}"; do
    best=$(jq -r --arg m "$mix" '[.[] | select(.mix == $m and .errors == 0 and .p99 < 50)] | max_by(.achieved) | .achieved // "none"' \
      "$out/sweep.json")
    echo "- $mix: largest sustained rate with corrected p99 under 50 ms and no errors: $best req/s"
  done
} >"$out/sweep.md"

# The chart: corrected p99 (solid) and p50 (dashed) against achieved rate, one colour per mix, log latency axis.
jq -r '.' "$out/sweep.json" | awk -v title="Order API capacity sweep ($(date -u +%F))" '
  BEGIN { RS = "\0" }
  { data = $0 }
  END {
    print "<!doctype html><html><head><meta charset=\"utf-8\"><title>" title "</title></head>"
    print "<body style=\"font-family:sans-serif\"><h2>" title "</h2>"
    print "<p>Corrected latency (from the intended send time) against achieved throughput. Solid: p99, dashed: p50."
    print " Log scale.</p><svg id=\"c\" width=\"900\" height=\"500\"></svg><script>"
    print "const rows = " data ";"
    print "const W=900,H=500,L=70,B=50,T=20,R=20,svg=document.getElementById(\"c\");"
    print "const maxX=Math.max(...rows.map(r=>r.achieved))*1.05||1;"
    print "const ys=rows.flatMap(r=>[r.p50,r.p99]).filter(v=>v>0);const minY=Math.min(...ys)/1.5,maxY=Math.max(...ys,100)*1.5;"
    print "const x=v=>L+(W-L-R)*v/maxX, y=v=>H-B-(H-B-T)*Math.log(v/minY)/Math.log(maxY/minY);"
    print "let s=`<line x1=\"${L}\" y1=\"${H-B}\" x2=\"${W-R}\" y2=\"${H-B}\" stroke=\"#333\"/><line x1=\"${L}\" y1=\"${T}\" x2=\"${L}\" y2=\"${H-B}\" stroke=\"#333\"/>`;"
    print "for(const ms of [1,2,5,10,20,50,100,200,500,1000,2000,5000]){if(ms<minY||ms>maxY)continue;"
    print " s+=`<line x1=\"${L}\" x2=\"${W-R}\" y1=\"${y(ms)}\" y2=\"${y(ms)}\" stroke=\"#ddd\"/><text x=\"${L-8}\" y=\"${y(ms)+4}\" text-anchor=\"end\" font-size=\"12\">${ms} ms</text>`;}"
    print "for(let i=0;i<=5;i++){const v=maxX*i/5;s+=`<text x=\"${x(v)}\" y=\"${H-B+18}\" text-anchor=\"middle\" font-size=\"12\">${Math.round(v)}</text>`;}"
    print "s+=`<text x=\"${(W+L)/2}\" y=\"${H-8}\" text-anchor=\"middle\" font-size=\"13\">achieved requests/s</text>`;"
    print "s+=`<line x1=\"${L}\" x2=\"${W-R}\" y1=\"${y(50)}\" y2=\"${y(50)}\" stroke=\"#c00\" stroke-dasharray=\"2,4\"/><text x=\"${W-R}\" y=\"${y(50)-4}\" text-anchor=\"end\" font-size=\"12\" fill=\"#c00\">p99 target 50 ms</text>`;"
    print "const colors={\"get\":\"#1f77b4\",\"read-heavy\":\"#ff7f0e\"};let ly=T+10;"
    print "for(const mix of [...new Set(rows.map(r=>r.mix))]){const rs=rows.filter(r=>r.mix===mix);const c=colors[mix]||\"#555\";"
    print " for(const [k,dash] of [[\"p99\",\"\"],[\"p50\",\"6,4\"]]){const pts=rs.filter(r=>r[k]>0).map(r=>`${x(r.achieved)},${y(r[k])}`).join(\" \");"
    print "  s+=`<polyline fill=\"none\" stroke=\"${c}\" stroke-width=\"2\" stroke-dasharray=\"${dash}\" points=\"${pts}\"/>`;"
    print "  for(const r of rs.filter(r=>r[k]>0))s+=`<circle cx=\"${x(r.achieved)}\" cy=\"${y(r[k])}\" r=\"3\" fill=\"${c}\"/>`;}"
    print " s+=`<text x=\"${L+10}\" y=\"${ly}\" fill=\"${c}\" font-size=\"13\">${mix}</text>`;ly+=16;}"
    print "svg.innerHTML=s;</script></body></html>"
  }' >"$out/sweep.html"

if command -v chromium >/dev/null; then
  profile=$(mktemp -d)
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$profile" --window-size=940,620 \
    --screenshot="$out/sweep.png" "file://$out/sweep.html" >/dev/null 2>&1 || true
  rm -rf "$profile"
fi

cat "$out/sweep.md"
echo "Chart: $out/sweep.html${out:+ $( [ -f "$out/sweep.png" ] && echo "and $out/sweep.png")}"
