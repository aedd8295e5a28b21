#!/usr/bin/env bash
# observability/tests/discovery-test.sh: proves the EC2 discovery of prometheus/prometheus.yml offline: Prometheus
# runs the real configuration (only the endpoint and dummy keys added) against tests/fake-ec2.py on loopback.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OBS=$(cd "$HERE/.." && pwd)
ADDR=${DISCOVERY_TEST_ADDR:-127.0.9.10}
EC2_PORT=19400
PROM_PORT=19090
TMP=$(mktemp -d)
PIDS=()
# shellcheck disable=SC2317 # called through the trap
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

for port in "$EC2_PORT" "$PROM_PORT"; do
  if (exec 3<>"/dev/tcp/$ADDR/$port") 2>/dev/null; then
    echo "FAIL $ADDR:$port is in use; set DISCOVERY_TEST_ADDR to another 127.x address" >&2
    exit 1
  fi
done

python3 "$HERE/fake-ec2.py" "$ADDR" "$EC2_PORT" "$TMP/requests.log" &
PIDS+=($!)
"$OBS/bin/render-config" fake-ec2 "$TMP" "http://$ADDR:$EC2_PORT"
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/data" \
  --web.listen-address="$ADDR:$PROM_PORT" >"$TMP/prometheus.log" 2>&1 &
PIDS+=($!)

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
actual=""
for _ in $(seq 60); do
  # The address comes from the scrape URL (__address__ is not a final label).
  actual=$(curl -fs "http://$ADDR:$PROM_PORT/api/v1/targets?state=active" 2>/dev/null |
    jq -r '.data.activeTargets[] | "\(.labels.job) \(.labels.instance) \(.labels.role) \(.labels.instance_id) \(.scrapeUrl | capture("//(?<a>[^/]+)/").a)"' |
    sort || true)
  [ "$actual" = "$expected" ] && break
  sleep 0.5
done
failed=0
if [ "$actual" = "$expected" ]; then
  echo "ok   ec2_sd: 8 targets with the intended job, instance, role and address; stopped and foreign instances absent"
else
  echo "FAIL ec2_sd targets differ from the intended ones:"
  diff <(echo "$expected") <(echo "$actual") | sed 's/^/     /' || true
  failed=1
fi

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
exit "$failed"
