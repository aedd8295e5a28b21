#!/usr/bin/env bash
# observability/tests/discovery-test.sh: proves the EC2 discovery of prometheus/prometheus.yml offline: Prometheus
# runs the real configuration (only the endpoint and dummy keys added) against tests/fake-ec2.py on loopback.
# Twice: once with a fake that applies the EC2 filters, as AWS does, and once with one that ignores them, which
# proves the relabelling alone keeps stopped and foreign instances out (the Role of each job is chosen by the
# EC2 filter only, so that run sees every running instance of the project in every job). Then once more for a
# project other than the file's default, which must find that project's instance only; and for the scaled-out shape
# (API hosts in an Auto Scaling group, the database on RDS).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OBS=$(cd "$HERE/.." && pwd)
ADDR=${DISCOVERY_TEST_ADDR:-127.0.9.10}
EC2_PORT=19400
PROM_PORT=19090
TMP=$(mktemp -d)
PIDS=()
# shellcheck disable=SC2317 # called through the trap
stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
trap 'stop_all; rm -rf "$TMP"' EXIT

for port in "$EC2_PORT" "$PROM_PORT"; do
  if (exec 3<>"/dev/tcp/$ADDR/$port") 2>/dev/null; then
    echo "FAIL $ADDR:$port is in use; set DISCOVERY_TEST_ADDR to another 127.x address" >&2
    exit 1
  fi
done
"$OBS/bin/render-config" fake-ec2 "$TMP" "http://$ADDR:$EC2_PORT"

# What discovery must produce: the running instances of this project, one job per port, instance = Name tag,
# role = Role tag; never the stopped api-2 nor the other project's instance.
expected=$(cat <<'TXT'
loadgen prometheus-demo-loadgen-1 loadgen i-0a0000000000000l1 127.0.9.4:9464
mysqld prometheus-demo-db-1 db i-0a0000000000000d1 127.0.9.2:9104
node prometheus-demo-api-1 api i-0a0000000000000a1 127.0.9.1:9100
node prometheus-demo-db-1 db i-0a0000000000000d1 127.0.9.2:9100
node prometheus-demo-loadgen-1 loadgen i-0a0000000000000l1 127.0.9.4:9100
node prometheus-demo-monitor-1 monitor i-0a0000000000000m1 127.0.9.3:9100
order-api prometheus-demo-api-1 api i-0a0000000000000a1 127.0.9.1:8000
prometheus prometheus-demo-monitor-1 monitor i-0a0000000000000m1 127.0.9.3:9090
TXT
)
failed=0

# discover LABEL EXPECTED [--ignore-filters]: starts the fake and Prometheus, compares the active targets.
discover() {
  local label=$1 expected=$2 actual=""
  shift 2
  rm -rf "$TMP/data" "$TMP/requests.log"
  python3 "$HERE/fake-ec2.py" "$ADDR" "$EC2_PORT" "$TMP/requests.log" "$@" &
  PIDS+=($!)
  prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/data" \
    --web.listen-address="$ADDR:$PROM_PORT" >"$TMP/prometheus.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 60); do
    # The address comes from the scrape URL (__address__ is not a final label).
    actual=$(curl -fs "http://$ADDR:$PROM_PORT/api/v1/targets?state=active" 2>/dev/null |
      jq -r '.data.activeTargets[] | "\(.labels.job) \(.labels.instance) \(.labels.role) \(.labels.instance_id) \(.scrapeUrl | capture("//(?<a>[^/]+)/").a)"' |
      sort || true)
    [ "$actual" = "$expected" ] && break
    sleep 0.5
  done
  if [ "$actual" = "$expected" ]; then
    echo "ok   ec2_sd ($label): $(wc -l <<<"$expected") targets with the intended job, instance, role and address"
  else
    echo "FAIL ec2_sd ($label): targets differ from the intended ones:"
    diff <(echo "$expected") <(echo "$actual") | sed 's/^/     /' || true
    failed=1
  fi
}

discover "EC2 applies the filters" "$expected"
# The filters went to the EC2 API (so EC2 itself never returns stopped or foreign instances).
for role in api db monitor loadgen; do
  if jq -s -e --arg r "$role" 'any(.[]; .action == "DescribeInstances"
      and .filters["tag:Project"] == ["prometheus-demo"] and .filters["instance-state-name"] == ["running"]
      and any(.filters["tag:Role"][]?; . == $r))' "$TMP/requests.log" >/dev/null; then
    echo "ok   ec2_sd: DescribeInstances asked for Project=prometheus-demo, state running, Role including $role"
  else
    echo "FAIL ec2_sd: no DescribeInstances call filtered for role $role; calls were:"
    sort -u "$TMP/requests.log" | sed 's/^/     /'
    failed=1
  fi
done
stop_all

# Every job sees the four running instances of the project; never the stopped or the foreign one. The mysqld job
# also discovers the monitor (for RDS), but keeps it only when it carries a DbInstance tag, which this one does not.
unfiltered=$(for job in order-api:8000 node:9100 mysqld:9104 loadgen:9464 prometheus:9090; do
  grep '^node ' <<<"$expected" | sed -E "s/^node /${job%%:*} /; s/:9100$/:${job##*:}/"
done | grep -v '^mysqld prometheus-demo-monitor-1 ' | sort)
discover "EC2 ignores the filters" "$unfiltered" --ignore-filters
dropped=$(curl -fs "http://$ADDR:$PROM_PORT/api/v1/targets?state=dropped" |
  jq -r '[.data.droppedTargets[].discoveredLabels.__meta_ec2_tag_Name] | unique | join(" ")')
if [[ " $dropped " == *" prometheus-demo-api-2 "* && " $dropped " == *" other-project-api-1 "* ]]; then
  echo "ok   ec2_sd: relabelling dropped the stopped and the foreign instance ($dropped)"
else
  echo "FAIL ec2_sd: dropped targets were: ${dropped:-none}"
  failed=1
fi
stop_all

# The scaled-out shape (terraform/: api_autoscaling, db_mode = "rds"): two API hosts from an Auto Scaling group share
# its Name tag and get instance = <Name>-<instance id>; no db host, and the monitor, tagged DbInstance=<RDS id>, is
# the mysqld target as instance <RDS id>, role db.
cat >"$TMP/scaled.json" <<'JSON'
[["i-0c00000000000000a1", "running", "127.0.9.1", {"Project": "prometheus-demo", "Role": "api", "Name": "prometheus-demo-api", "aws:autoscaling:groupName": "prometheus-demo-api"}],
 ["i-0c00000000000000a2", "running", "127.0.9.5", {"Project": "prometheus-demo", "Role": "api", "Name": "prometheus-demo-api", "aws:autoscaling:groupName": "prometheus-demo-api"}],
 ["i-0c00000000000000m1", "running", "127.0.9.3", {"Project": "prometheus-demo", "Role": "monitor", "Name": "prometheus-demo-monitor-1", "DbInstance": "prometheus-demo-db"}],
 ["i-0c00000000000000l1", "running", "127.0.9.4", {"Project": "prometheus-demo", "Role": "loadgen", "Name": "prometheus-demo-loadgen-1"}]]
JSON
scaled=$(cat <<'TXT' | sort
loadgen prometheus-demo-loadgen-1 loadgen i-0c00000000000000l1 127.0.9.4:9464
mysqld prometheus-demo-db db i-0c00000000000000m1 127.0.9.3:9104
node prometheus-demo-api-i-0c00000000000000a1 api i-0c00000000000000a1 127.0.9.1:9100
node prometheus-demo-api-i-0c00000000000000a2 api i-0c00000000000000a2 127.0.9.5:9100
node prometheus-demo-loadgen-1 loadgen i-0c00000000000000l1 127.0.9.4:9100
node prometheus-demo-monitor-1 monitor i-0c00000000000000m1 127.0.9.3:9100
order-api prometheus-demo-api-i-0c00000000000000a1 api i-0c00000000000000a1 127.0.9.1:8000
order-api prometheus-demo-api-i-0c00000000000000a2 api i-0c00000000000000a2 127.0.9.5:8000
prometheus prometheus-demo-monitor-1 monitor i-0c00000000000000m1 127.0.9.3:9090
TXT
)
discover "Auto Scaling group and RDS" "$scaled" --instances "$TMP/scaled.json"
stop_all

# Another project name (terraform's var.project): the rendered filters and keep rule follow it, so that project's
# instance is discovered and none of prometheus-demo's (the file's default).
"$OBS/bin/render-config" fake-ec2 "$TMP" "http://$ADDR:$EC2_PORT" --project other-project
other=$(printf '%s\n' "node other-project-api-1 api i-0b0000000000000a1 127.0.9.6:9100" \
  "order-api other-project-api-1 api i-0b0000000000000a1 127.0.9.6:8000")
discover "project other-project" "$other"
stop_all
exit "$failed"
