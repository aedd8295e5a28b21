#!/usr/bin/env bash
# scripts/test-aws-loadtest.sh: tests the multi-host coordinator (scripts/aws-loadtest.sh) without AWS: a fake aws runs
# the real, rendered loadtest-run document on fake load hosts against a stub API, and the real merge joins the shards.
# Needs root (each fake host is a mount namespace with its own loadtest user), a built loadtest, node (terraform/checks).
# Prints "aws-coordinator: N passed, M failed".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }
finish() {
  echo "aws-coordinator: $PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
  exit
}

use_jdk
require_packages jq shellcheck python3 util-linux >/dev/null
JAR=$ROOT/loadtest/target/loadtest.jar
for need in "$JAR" "$ROOT/loadtest/target/test-classes/dev/promdemo/loadtest/StubApi.class"; do
  [ -e "$need" ] || { fail "$need is missing: build first (./mvnw -B verify, or ./demo test)"; finish; }
done
[ "$(id -u)" -eq 0 ] || { fail "needs root: each fake load host is a mount namespace with its own loadtest user"; finish; }
command -v node >/dev/null || { fail "node (20 or later) is required to render the run document"; finish; }
checks=$ROOT/terraform/checks
if [[ ! -f $checks/node_modules/.package-lock.json || $checks/package-lock.json -nt $checks/node_modules/.package-lock.json ]]; then
  (cd "$checks" && npm ci --no-audit --no-fund --loglevel=error </dev/null >/dev/null)
fi

WORK=$(mktemp -d /tmp/aws-loadtest-test.XXXXXX)
chmod 0755 "$WORK" # the fake hosts' loadtest user walks into it
STUB_PID=
# shellcheck disable=SC2317 # run by the trap
cleanup() {
  [ -z "$STUB_PID" ] || kill "$STUB_PID" 2>/dev/null || true
  # Fake hosts' commands still running (a failed test): the process group the fake aws started for each, and
  # the one `timeout` (its child) makes for the document's script.
  local file pid child
  for file in "$WORK"/aws/hosts/*/commands/*/pid; do
    if [ ! -f "$file" ] || [ -f "${file%/pid}/exit" ]; then continue; fi
    pid=$(cat "$file")
    for child in $(pgrep -P "$pid"); do kill -- "-$child" 2>/dev/null || true; done
    kill -- "-$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

REGION=eu-west-1
BUCKET=promdemo-test-loadtest-123456789012-$REGION
DOCUMENT=prometheus-demo-loadtest-run
STOP_DOCUMENT=prometheus-demo-loadtest-stop
export FAKE_AWS_DIR=$WORK/aws FAKE_AWS_HOST_WRAPPER=$ROOT/scripts/tests/run-on-fake-host.sh
mkdir -p "$FAKE_AWS_DIR/s3/$BUCKET" "$FAKE_AWS_DIR/documents" "$WORK/bin"
RUN_DOCUMENT_JSON=$FAKE_AWS_DIR/documents/$DOCUMENT.json

# The documents as Terraform uploads them, with the bucket's name that apply would give it.
for doc in loadtest_run:$DOCUMENT loadtest_stop:$STOP_DOCUMENT; do
  if ! node "$checks/render-document.js" "$ROOT/terraform" "${doc%%:*}" --var region=$REGION \
    --known "aws_s3_bucket.this.bucket=$BUCKET" >"$FAKE_AWS_DIR/documents/${doc#*:}.json" 2>"$WORK/render.err"; then
    fail "render the ${doc%%:*} document: $(cat "$WORK/render.err")"
    finish
  fi
done

# The stub order API every fake host targets (loadtest's own test stub, real HTTP on loopback).
java -cp "$ROOT/loadtest/target/test-classes:$JAR" dev.promdemo.loadtest.StubApi 127.0.0.1 0 >"$WORK/stub.log" 2>&1 &
STUB_PID=$!
API=
for _ in $(seq 100); do
  API=$(sed -n 's/^stub api on //p' "$WORK/stub.log")
  [ -n "$API" ] && break
  sleep 0.1
done
[ -n "$API" ] || { fail "the stub API did not start: $(cat "$WORK/stub.log")"; finish; }

# The fake aws, and the loadgen image's /usr/local/bin/loadtest as a fake host has it: the settings of its
# runtime.env (API_URL), and since every fake host shares this machine's addresses, its own metrics port and no
# linger for a Prometheus that is not there.
ln -s "$ROOT/scripts/tests/fake-aws.py" "$WORK/bin/aws"
cat >"$WORK/bin/loadtest" <<EOF
#!/bin/sh
set -a
. "\$HOME/../runtime.env"
set +a
exec "$JAVA_HOME/bin/java" -jar "$JAR" --target "\$API_URL" --metrics-host 127.0.0.1 --metrics-port 0 --linger 0s "\$@"
EOF
chmod 0755 "$WORK/bin/loadtest"
export PATH=$WORK/bin:$PATH

# A uid and gid no account of this machine has, for each fake host's loadtest user.
LOADTEST_UID=64100
while getent passwd "$LOADTEST_UID" >/dev/null || getent group "$LOADTEST_UID" >/dev/null; do
  LOADTEST_UID=$((LOADTEST_UID + 1))
done

# new_host ID [API_URL]: a fake load host: its folder, loadtest user and runtime.env.
new_host() {
  local dir=$FAKE_AWS_DIR/hosts/$1
  mkdir -p "$dir/etc" "$dir/home"
  grep -v '^loadtest:' /etc/passwd >"$dir/etc/passwd"
  grep -v '^loadtest:' /etc/group >"$dir/etc/group"
  echo "loadtest:x:$LOADTEST_UID:$LOADTEST_UID:loadtest:$dir/home:/usr/sbin/nologin" >>"$dir/etc/passwd"
  echo "loadtest:x:$LOADTEST_UID:" >>"$dir/etc/group"
  chown "$LOADTEST_UID:$LOADTEST_UID" "$dir/home"
  chmod 0750 "$dir/home"
  echo "API_URL=${2:-$API}" >"$dir/runtime.env"
}

# outputs FILE ID...: terraform output -json as it is after apply, with these load hosts.
outputs() {
  local file=$1
  shift
  jq -n --arg region $REGION --arg doc $DOCUMENT --arg stop $STOP_DOCUMENT --arg bucket "$BUCKET" --args '{
      region: {value: $region}, loadtest_run_document: {value: $doc}, loadtest_stop_document: {value: $stop},
      loadtest_results_bucket: {value: $bucket}, loadgen_instance_ids: {value: $ARGS.positional}}' "$@" >"$file"
}

calls() { # calls: how many times the fake aws was called so far
  if [ -f "$FAKE_AWS_DIR/calls.log" ]; then wc -l <"$FAKE_AWS_DIR/calls.log"; else echo 0; fi
}

# coordinator NAME ARGS...: runs the coordinator, its output in $WORK/NAME.log, its exit code in $CODE.
coordinator() {
  local name=$1
  shift
  CODE=0
  "$ROOT/scripts/aws-loadtest.sh" --jar "$JAR" --poll 1s "$@" >"$WORK/$name.log" 2>&1 </dev/null || CODE=$?
}

# expect NAME CODE PATTERN DESCRIPTION: the last run exited CODE and its output matches PATTERN (grep -E).
expect() {
  if [ "$CODE" -eq "$2" ] && grep -Eq -- "$3" "$WORK/$1.log"; then
    ok "$4"
  else
    fail "$4: exit $CODE (expected $2), output:"
    sed 's/^/       /' "$WORK/$1.log"
  fi
}

################################################################################
# Bad input: a clear error, exit 2, and not one AWS call
################################################################################

outputs "$WORK/two-hosts.json" i-0a0000000000001 i-0b0000000000002
outputs "$WORK/no-hosts.json"
jq 'del(.loadtest_results_bucket)' "$WORK/two-hosts.json" >"$WORK/no-bucket.json"
before=$(calls)
coordinator unknown-stage --stage heavy --outputs "$WORK/two-hosts.json"
expect unknown-stage 2 "unknown stage 'heavy': one of normal read-heavy" "an unknown stage is refused, naming the stages"
coordinator no-hosts --stage normal --outputs "$WORK/no-hosts.json"
expect no-hosts 2 "name no load hosts" "no load hosts in the outputs is refused"
coordinator no-bucket --stage normal --outputs "$WORK/no-bucket.json"
expect no-bucket 2 "lack region, loadtest_run_document or loadtest_results_bucket" "outputs without the bucket are refused"
coordinator bad-duration --stage normal --duration 2x --outputs "$WORK/two-hosts.json"
expect bad-duration 2 "--duration must be 1s to 3600s" "a malformed duration is refused"
coordinator bad-run-id --stage normal --run-id 'x;reboot' --outputs "$WORK/two-hosts.json"
expect bad-run-id 2 "--run-id must be letters, digits" "a run id the document would refuse is refused"
coordinator no-jar --stage normal --jar "$WORK/missing.jar" --outputs "$WORK/two-hosts.json"
expect no-jar 2 "missing.jar is missing" "a missing loadtest.jar is refused before anything is sent"
if [ "$(calls)" -eq "$before" ]; then ok "bad input sends nothing (no AWS call)"; else fail "bad input called aws $(($(calls) - before)) time(s)"; fi

if shellcheck -x "$ROOT/scripts/tests/"*.sh "$ROOT/scripts/aws-loadtest.sh" "$0" >"$WORK/shellcheck.out" 2>&1; then
  ok "shellcheck of the coordinator, this test and its helpers"
else
  fail "shellcheck: $(cat "$WORK/shellcheck.out")"
fi

# One list of stages: the coordinator's, the document's allowedValues, loadtest's own.
coordinator_stages=$(sed -n 's/^STAGES=(\(.*\))$/\1/p' "$ROOT/scripts/aws-loadtest.sh" | tr ' ' '\n' | sort)
document_stages=$(jq -r '.parameters.stage.allowedValues[]' "$RUN_DOCUMENT_JSON" | sort)
loadtest_stages=$({ java -jar "$JAR" --stage no-such-stage 2>&1 || true; } |
  sed -n 's/.*expected one of \[\(.*\)\].*/\1/p' | tr -d ' ' | tr ',' '\n' | sort)
if [ -n "$coordinator_stages" ] && [ "$coordinator_stages" = "$document_stages" ] && [ "$document_stages" = "$loadtest_stages" ]; then
  ok "the coordinator, the run document and loadtest accept the same stages ($(echo "$document_stages" | wc -l))"
else
  fail "stages differ: coordinator [${coordinator_stages//$'\n'/ }], document [${document_stages//$'\n'/ }], loadtest [${loadtest_stages//$'\n'/ }]"
fi

# The document's script, with its parameters substituted, is clean POSIX sh (the agent runs it with sh).
jq -r '.mainSteps[].inputs.runCommand[]' "$RUN_DOCUMENT_JSON" |
  sed -e 's/{{ stage }}/normal/; s/{{ shardIndex }}/1/; s/{{ shardCount }}/2/; s/{{ startAt }}/2026-12-06T06:30:00Z/' \
    -e 's/{{ runId }}/r1/; s/{{ durationSeconds }}/0/' >"$WORK/document.sh"
if ! grep -q '{{' "$WORK/document.sh" && shellcheck -s sh "$WORK/document.sh" >"$WORK/document.shellcheck" 2>&1; then
  ok "the run document's script passes shellcheck -s sh"
else
  fail "the run document's script: $(cat "$WORK/document.shellcheck")"
fi

################################################################################
# A load host that does not run its shard: reported by host, exit 3, no merge
################################################################################

new_host i-0c0000000000003
new_host i-0d0000000000004
touch "$FAKE_AWS_DIR/hosts/i-0d0000000000004/undeliverable"
outputs "$WORK/undeliverable.json" i-0c0000000000003 i-0d0000000000004
coordinator undeliverable --stage normal --duration 1s --lead 5s --outputs "$WORK/undeliverable.json" --out "$WORK/undeliverable"
expect undeliverable 3 "shard 2/2 on i-0d0000000000004: Undeliverable" "an undeliverable host fails the run, named (exit 3)"
if [ ! -e "$WORK/undeliverable/merged" ]; then ok "no merged result when a shard is missing"; else fail "merged although shard 2 never ran"; fi

new_host i-0e0000000000005
echo 1 >"$FAKE_AWS_DIR/hosts/i-0e0000000000005/execution-timeout"
outputs "$WORK/timeout.json" i-0e0000000000005
coordinator timeout --stage normal --duration 1s --lead 5s --outputs "$WORK/timeout.json" --out "$WORK/timeout"
expect timeout 3 "shard 1/1 on i-0e0000000000005: ExecutionTimedOut" "a shard cut by the document's timeout fails the run, named (exit 3)"

mkdir -p "$FAKE_AWS_DIR/s3/$BUCKET/runs/taken/shard-1" && touch "$FAKE_AWS_DIR/s3/$BUCKET/runs/taken/shard-1/summary.json"
before=$(grep -c send-command "$FAKE_AWS_DIR/calls.log" || true)
coordinator taken --stage normal --run-id taken --outputs "$WORK/undeliverable.json"
expect taken 2 "already holds a run: choose another --run-id" "a run id already in the bucket is refused"
if [ "$(grep -c send-command "$FAKE_AWS_DIR/calls.log" || true)" -eq "$before" ]; then ok "a taken run id sends nothing"; else fail "a taken run id sent commands"; fi

################################################################################
# The whole flow: two hosts, one test, one merged result
################################################################################

new_host i-0f0000000000006
new_host i-100000000000007
outputs "$WORK/flow.json" i-0f0000000000006 i-100000000000007
: >"$FAKE_AWS_DIR/calls.log"
# The stage's latency thresholds would judge a stub on a shared machine: the merge judges errors only (given to it).
coordinator flow --stage normal --duration 3s --lead 8s --run-id flow-1 --no-default-thresholds \
  --threshold 'all:errors<1%' --outputs "$WORK/flow.json" --out "$WORK/flow"
expect flow 0 "run flow-1: exit 0" "two load hosts run stage normal as one test; the merge passes (exit 0)"
sends=$(jq -c 'select(.[0] != "s3" and (index("send-command") != null)) | .[index("--parameters") + 1] | fromjson' \
  "$FAKE_AWS_DIR/calls.log" 2>/dev/null | jq -sc 'map({i: .shardIndex[0], n: .shardCount[0], s: .stage[0], r: .runId[0], t: .startAt[0], d: .durationSeconds[0]})')
if jq -e 'length == 2 and (map(.i) | sort) == ["1","2"] and all(.n == "2" and .s == "normal" and .r == "flow-1" and .d == "3")
    and (map(.t) | unique | length) == 1' <<<"$sends" >/dev/null; then
  ok "one send-command per host, shard 1/2 and 2/2, one start time and run id"
else
  fail "send-command parameters: $sends"
fi
if jq -e 'select(index("--region") != null) | .[index("--region") + 1] == "eu-west-1"' "$FAKE_AWS_DIR/calls.log" | grep -qv true; then
  fail "an AWS call went to another region than the outputs' one"
else
  ok "every AWS call goes to the outputs' region"
fi
for i in 1 2; do
  key=$FAKE_AWS_DIR/s3/$BUCKET/runs/flow-1/shard-$i
  if [ -f "$key/summary.json" ] && [ -f "$key/console.log" ]; then
    ok "shard $i uploaded its results to s3://<bucket>/runs/flow-1/shard-$i/"
  else
    fail "shard $i: no summary.json and console.log in s3://<bucket>/runs/flow-1/shard-$i/"
  fi
done
owners=$(find "$FAKE_AWS_DIR/hosts/i-0f0000000000006/home/runs" "$FAKE_AWS_DIR/hosts/i-100000000000007/home/runs" \
  -mindepth 2 -printf '%u\n' 2>/dev/null | sort -u)
if [ "$owners" = "$LOADTEST_UID" ]; then
  ok "loadtest ran as the hosts' loadtest user, not root"
else
  fail "the results on the hosts belong to: ${owners//$'\n'/ }"
fi
merged=$WORK/flow/merged/summary.json
if [ -f "$merged" ] && [ -f "$WORK/flow/merged/report.html" ] &&
  jq -e '[.stages[].thresholds[].threshold] == ["all:errors<1%"]' "$merged" >/dev/null 2>&1; then
  ok "one merged summary.json and report.html, judged by the thresholds given to the coordinator"
else
  fail "no merged summary.json and report.html in $WORK/flow/merged, or other thresholds: $(jq -c '[.stages[]?.thresholds[]?.threshold]' "$merged" 2>&1)"
fi
# The merged counts are the sum of the shards' (per stage and operation: requests and errors).
counts() {
  jq -c '[.stages[]? | {name, ops: ([.operations // {} | to_entries[] | {k: .key, r: .value.requests, e: .value.errors}] | sort_by(.k))}]' \
    "$1" 2>/dev/null
}
sum=$(jq -sc '[.[0], .[1]] | transpose | map({name: .[0].name, ops: ([.[0].ops, .[1].ops] | transpose
    | map({k: .[0].k, r: (.[0].r + .[1].r), e: (.[0].e + .[1].e)}))})' \
  <(counts "$WORK/flow/shard-1/summary.json") <(counts "$WORK/flow/shard-2/summary.json") 2>/dev/null || true)
if [ -n "$sum" ] && [ "$sum" != "[]" ] && [ "$sum" = "$(counts "$merged")" ]; then
  ok "the merged counts are the sum of the two shards' ($sum)"
else
  fail "merged counts $(counts "$merged") are not the shards' sum $sum"
fi

# A threshold the whole test fails: the merge's verdict is the run's exit code.
new_host i-150000000000012
outputs "$WORK/threshold.json" i-150000000000012
coordinator threshold --stage normal --duration 1s --lead 6s --threshold 'all:p50<1us' --outputs "$WORK/threshold.json" \
  --out "$WORK/threshold"
expect threshold 99 "FAIL all:p50<1us" "a threshold the merged test fails is the run's exit code (99)"

# Stopped mid-stage (Ctrl-C; SIGTERM here, as a background job ignores SIGINT): the stop document reaches every
# host, each shard writes and uploads its partial results, and the merge reports an interrupted run (130).
new_host i-130000000000010
new_host i-140000000000011
outputs "$WORK/stop.json" i-130000000000010 i-140000000000011
began=$(date +%s)
CODE=0
"$ROOT/scripts/aws-loadtest.sh" --jar "$JAR" --poll 1s --stage normal --duration 120s --lead 6s \
  --outputs "$WORK/stop.json" --out "$WORK/stop" >"$WORK/stop.log" 2>&1 </dev/null &
pid=$!
sleep 14
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" || CODE=$?
took=$(($(date +%s) - began))
expect stop 130 "interrupted: stopping the shards" "SIGTERM stops every shard through the stop document, the run exits 130"
stops=$(grep -c "\"$STOP_DOCUMENT\"" "$FAKE_AWS_DIR/calls.log" || true)
if [ "$stops" -eq 2 ] && [ "$took" -lt 100 ]; then
  ok "the stop document went to both hosts, and the run ended after ${took}s of a 130 s stage"
else
  fail "stop documents sent: $stops (expected 2); the run took ${took}s"
fi
if [ -f "$WORK/stop/merged/summary.json" ] && jq -e '[.stages[]?.interrupted] | any' "$WORK/stop/merged/summary.json" >/dev/null 2>&1; then
  ok "the shards' partial results were collected and merged as an interrupted run"
else
  fail "no merged summary.json of an interrupted run in $WORK/stop/merged"
fi

# A host whose loadtest cannot reach its target (exit 3 at preflight): named, exit 3, no merge.
new_host i-110000000000008
new_host i-120000000000009 http://127.0.0.1:9
outputs "$WORK/no-target.json" i-110000000000008 i-120000000000009
coordinator no-target --stage normal --duration 1s --lead 8s --outputs "$WORK/no-target.json" --out "$WORK/no-target"
expect no-target 3 "shard 2/2 on i-120000000000009: Failed \(status Failed, exit code 3\)" "a shard whose loadtest fails is named with its exit code (exit 3)"

finish
