#!/usr/bin/env bash
# scripts/aws-loadtest.sh: runs one load stage on every AWS load host as one test (SSM Run Command, a shard per host,
# a common start time), collects the shards from the results bucket and merges them into one result and exit code.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

# loadtest's stages; the run document (terraform/ssm-documents.tf, local.loadtest_stages) allows exactly these.
STAGES=(normal read-heavy write-heavy db-stress db-outage db-slow api-crash demo)
# The document's patterns (terraform/ssm-documents.tf).
RUN_ID_PATTERN='^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$'

usage() {
  cat <<'TXT'
usage: scripts/aws-loadtest.sh --stage NAME [options]

Starts `loadtest --stage NAME --shard i/N --start-at T` on each of the N load hosts Terraform launched (one Run
Command of the project's loadtest-run document per host; shard i runs on the i-th host of the output
loadgen_instance_ids), waits for every shard, downloads s3://<results bucket>/runs/<run id>/ and merges the shards
with `loadtest merge`: one summary.json, latency.hlog and report.html, judged once, and its exit code.

  --stage NAME          normal, read-heavy, write-heavy, db-stress, db-outage, db-slow, api-crash or demo
  --duration D          steady-state length of each stage, e.g. 90s or 5m (at most 3600 s; default: the stage's own)
  --lead D              how far ahead the common start time is (default 60s, 5s to 3600s): long enough for every
                        host to receive the command, start its JVM and check its target
  --run-id ID           the run's id (default <UTC time>-<stage>-<random>): letters, digits, _ and -, at most 64
  --out DIR             where the shards and the merged result go (default loadtest-results/<run id>)
  --threshold T         passed to `loadtest merge` (repeatable): judges the whole test instead of the defaults
  --no-default-thresholds
                        passed to `loadtest merge`
  --terraform-dir DIR   where to read the outputs (`terraform output -json`; default terraform/ of this repository)
  --outputs FILE        read the outputs from this file (`terraform output -json > FILE`) instead
  --jar FILE            loadtest.jar for the merge (default loadtest/target/loadtest.jar)
  --poll D              how often each invocation is asked for its status (default 10s)
  -h, --help            this text

Needs the AWS CLI v2 with credentials allowed by the policy in the output loadtest_operator_policy_arn, jq, a JDK 25
and a built loadtest.jar (./mvnw -B -pl loadtest -am package -DskipTests).

Exit codes: merge's (0 every threshold passed, 99 a threshold, verdict or verification failed, 2 the shards do not
form one test, 130 a shard was interrupted); 2 bad input, before anything is sent; 3 a load host did not run its
shard to the end (not sent, undeliverable, failed, timed out, or its results are missing), named on the console;
130 interrupted before every shard was sent. Ctrl-C stops every shard through the stop document (each writes and
uploads its partial results, which are merged as an interrupted run, exit 130); a second Ctrl-C leaves at once.
TXT
}

die_usage() {
  echo "aws-loadtest: $*" >&2
  echo "Try scripts/aws-loadtest.sh --help" >&2
  exit 2
}

fail() { # fail CODE MESSAGE: stops the run with a message and an exit code
  echo "aws-loadtest: $2" >&2
  exit "$1"
}

# seconds D: a duration (90, 90s, 5m, 1h) as whole seconds, or nothing if malformed.
seconds() {
  case "$1" in
    *[!0-9smh]* | '' | [smh]*) return 0 ;;
  esac
  local n=${1%[smh]}
  [[ $n =~ ^[0-9]+$ ]] || return 0
  case "$1" in
    *h) echo $((10#$n * 3600)) ;;
    *m) echo $((10#$n * 60)) ;;
    *) echo $((10#$n)) ;;
  esac
}

within() { # within VALUE MIN MAX: whether VALUE is a whole number from MIN to MAX
  [ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

stage=
duration=0
lead=60
run_id=
out=
poll=10
tf_dir=$ROOT/terraform
outputs_file=
jar=${LOADTEST_JAR:-$ROOT/loadtest/target/loadtest.jar}
merge_args=()

while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --no-default-thresholds) merge_args+=("$1"); shift; continue ;;
    --stage | --duration | --lead | --run-id | --out | --threshold | --terraform-dir | --outputs | --jar | --poll)
      [ $# -ge 2 ] || die_usage "$1 needs a value" ;;
    *) die_usage "unknown option '$1'" ;;
  esac
  case "$1" in
    --stage) stage=$2 ;;
    --duration)
      duration=$(seconds "$2")
      within "$duration" 1 3600 || die_usage "--duration must be 1s to 3600s (e.g. 90s, 5m), was '$2'"
      ;;
    --lead)
      lead=$(seconds "$2")
      within "$lead" 5 3600 || die_usage "--lead must be 5s to 3600s, was '$2'"
      ;;
    --run-id) [[ $2 =~ $RUN_ID_PATTERN ]] || die_usage "--run-id must be letters, digits, _ and - (at most 64), was '$2'"
      run_id=$2 ;;
    --out) out=$2 ;;
    --threshold) merge_args+=(--threshold "$2") ;;
    --terraform-dir) tf_dir=$2 ;;
    --outputs) outputs_file=$2 ;;
    --jar) jar=$2 ;;
    --poll)
      poll=$(seconds "$2")
      within "$poll" 1 600 || die_usage "--poll must be 1s to 600s, was '$2'"
      ;;
  esac
  shift 2
done

[ -n "$stage" ] || die_usage "--stage is required (${STAGES[*]})"
known=0
for s in "${STAGES[@]}"; do [ "$s" = "$stage" ] && known=1; done
[ "$known" -eq 1 ] || die_usage "unknown stage '$stage': one of ${STAGES[*]}"

# Everything the run needs, before anything is sent.
command -v aws >/dev/null || fail 2 "the AWS CLI (aws) is not on the PATH: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
command -v jq >/dev/null || fail 2 "jq is not on the PATH (Debian/Ubuntu: apt-get install jq)"
[ -f "$jar" ] || fail 2 "$jar is missing: build it (./mvnw -B -pl loadtest -am package -DskipTests) or give --jar"
use_jdk

if [ -n "$outputs_file" ]; then
  outputs=$(cat "$outputs_file") || fail 2 "cannot read the outputs in $outputs_file"
else
  command -v terraform >/dev/null || fail 2 "terraform is not on the PATH: give --outputs FILE (terraform output -json > FILE)"
  outputs=$(terraform -chdir="$tf_dir" output -json) || fail 2 "terraform output failed in $tf_dir (was it applied?)"
fi
output() { # output NAME: a string output, or nothing
  jq -r --arg n "$1" '.[$n].value // empty | strings' <<<"$outputs" 2>/dev/null || true
}
region=$(output region)
document=$(output loadtest_run_document)
bucket=$(output loadtest_results_bucket)
stop_document=$(output loadtest_stop_document)
mapfile -t hosts < <(jq -r '.loadgen_instance_ids.value // [] | .[]' <<<"$outputs" 2>/dev/null || true)
if [ -z "$region" ] || [ -z "$document" ] || [ -z "$bucket" ]; then
  fail 2 "the Terraform outputs lack region, loadtest_run_document or loadtest_results_bucket: apply this version of terraform/ first"
fi
count=${#hosts[@]}
[ "$count" -ge 1 ] || fail 2 "the Terraform outputs name no load hosts (loadgen_instance_ids is empty or missing): apply terraform/ first"
[ "$count" -le 64 ] || fail 2 "$count load hosts: a test has at most 64 shards"
for id in "${hosts[@]}"; do
  [[ $id =~ ^i-[0-9a-f]+$ ]] || fail 2 "loadgen_instance_ids holds '$id', which is not an instance id"
done

if [ -z "$run_id" ]; then
  run_id=$(date -u +%Y%m%dT%H%M%SZ)-$stage-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
fi
out=${out:-loadtest-results/$run_id}
prefix=runs/$run_id/
aws_() { aws --region "$region" "$@"; }

existing=$(aws_ s3api list-objects-v2 --bucket "$bucket" --prefix "$prefix" --max-keys 1 --query KeyCount --output text) ||
  fail 2 "cannot list s3://$bucket/$prefix (credentials, region $region, or the operator policy?)"
[ "${existing:-0}" = 0 ] || [ "$existing" = None ] || fail 2 "s3://$bucket/$prefix already holds a run: choose another --run-id"

now=$(date -u +%s)
# GNU date, else BSD date (macOS).
start=$(date -u -d "@$((now + lead))" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -r "$((now + lead))" +%Y-%m-%dT%H:%M:%SZ)
echo "aws-loadtest: run $run_id: stage $stage$([ "$duration" -gt 0 ] && echo " (${duration}s steady)") on $count load host(s), starting at $start (in ${lead}s)"

commands=()
interrupted=0
stopped=0
# The first Ctrl-C (or SIGTERM) stops the shards and still collects what they wrote; a second one leaves at once.
# shellcheck disable=SC2317 # run by the trap
on_interrupt() {
  if [ "$interrupted" -eq 1 ]; then
    trap - INT TERM
    echo "aws-loadtest: interrupted again: leaving; what the shards upload lands in s3://$bucket/$prefix" >&2
    exit 130
  fi
  interrupted=1
  echo >&2
  if [ -n "$stop_document" ]; then
    echo "aws-loadtest: interrupted: stopping the shards; they upload what they have (Ctrl-C again to leave now)" >&2
  else
    echo "aws-loadtest: interrupted, but the outputs name no loadtest_stop_document: the shards run to their end (Ctrl-C again to leave now)" >&2
  fi
}
trap on_interrupt INT TERM

# stop_shards: sends the stop document to every host that received a shard (once): each shard stops its stage,
# writes its partial results and uploads them.
stop_shards() {
  local i reply
  [ "$stopped" -eq 0 ] && [ -n "$stop_document" ] || return 0
  stopped=1
  for i in "${!commands[@]}"; do
    if ! reply=$(aws_ ssm send-command --instance-ids "${hosts[$i]}" --document-name "$stop_document" \
      --timeout-seconds 30 --comment "$run_id stop" --query Command.CommandId --output text 2>&1); then
      echo "aws-loadtest: shard $((i + 1))/$count on ${hosts[$i]}: the stop was not sent: $reply" >&2
    fi
  done
}

# One command per host: SendCommand takes one set of parameters for all its targets, and each shard's differs.
# Delivery must happen before the start time, or the shard could not start with the others (Run Command's
# delivery timeout is at least 30 s; loadtest itself refuses a start time more than 5 s past).
delivery=$((lead > 30 ? lead : 30))
for i in "${!hosts[@]}"; do
  [ "$interrupted" -eq 0 ] || break
  shard=$((i + 1))
  params=$(jq -cn --arg stage "$stage" --arg i "$shard" --arg n "$count" --arg start "$start" --arg run "$run_id" \
    --arg d "$duration" \
    '{stage: [$stage], shardIndex: [$i], shardCount: [$n], startAt: [$start], runId: [$run], durationSeconds: [$d]}')
  if ! id=$(aws_ ssm send-command --instance-ids "${hosts[$i]}" --document-name "$document" --parameters "$params" \
    --timeout-seconds "$delivery" --comment "$run_id shard $shard/$count" --query Command.CommandId --output text 2>&1); then
    [ "$interrupted" -eq 0 ] || break
    echo "aws-loadtest: shard $shard/$count on ${hosts[$i]}: not sent: $id" >&2
    if [ "${#commands[@]}" -gt 0 ]; then
      echo "aws-loadtest: stopping the ${#commands[@]} shard(s) already sent: the test cannot be whole without it" >&2
      stop_shards
    fi
    exit 3
  fi
  commands+=("$id")
  echo "  shard $shard/$count on ${hosts[$i]}: command $id"
done
sent=${#commands[@]}

# Every invocation to its end. Run Command's statuses: Pending, InProgress, Delayed, then Success, Failed,
# Cancelled or TimedOut (StatusDetails says which timeout, Undeliverable, ...). A new command's invocation may
# not exist for a few seconds.
declare -A state=() code=()
pending=$sent
while [ "$pending" -gt 0 ]; do
  [ "$interrupted" -eq 0 ] || stop_shards
  sleep "$poll" || true
  for ((i = 0; i < sent; i++)); do
    [ -z "${code[$i]:-}" ] || continue
    if ! line=$(aws_ ssm get-command-invocation --command-id "${commands[$i]}" --instance-id "${hosts[$i]}" \
      --query '[Status,StatusDetails,ResponseCode]' --output text 2>&1); then
      if [[ $line == *InvocationDoesNotExist* ]] || [ "$interrupted" -eq 1 ]; then continue; fi
      echo "aws-loadtest: shard $((i + 1))/$count on ${hosts[$i]}: cannot read its status: $line" >&2
      continue
    fi
    read -r status details response <<<"$line"
    if [ "${state[$i]:-}" != "$status/$details" ]; then
      state[$i]=$status/$details
      echo "  shard $((i + 1))/$count on ${hosts[$i]}: $details"
    fi
    case "$status" in
      Pending | InProgress | Delayed | Cancelling) ;;
      *)
        code[$i]=$status:$response
        pending=$((pending - 1))
        ;;
    esac
  done
done
if [ "$sent" -lt "$count" ]; then
  fail 130 "interrupted before every shard was sent: no merged result; what the $sent sent shard(s) uploaded is in s3://$bucket/$prefix"
fi

# A shard that ran to its end (0) or whose own thresholds failed (99: judged again on the whole test) has
# uploaded its results; anything else is this host's failure.
failed=()
for i in "${!hosts[@]}"; do
  status=${code[$i]%%:*}
  response=${code[$i]#*:}
  if [ "$status" = Success ] || { [ "$status" = Failed ] && [ "$response" = 99 ]; }; then
    [ "$response" = 99 ] && echo "  shard $((i + 1))/$count on ${hosts[$i]}: its own thresholds failed (exit 99); the merge judges the whole test"
    continue
  fi
  # Stopped on purpose: it wrote and uploaded its partial results, which the merge reports as interrupted.
  if [ "$stopped" -eq 1 ] && [ "$status" = Failed ] && [ "$response" = 130 ]; then
    continue
  fi
  failed+=("$i")
  echo "aws-loadtest: shard $((i + 1))/$count on ${hosts[$i]}: ${state[$i]#*/} (status $status, exit code $response)" >&2
  # The end of what it printed: loadtest's console (the document prints its tail), then the script's own errors.
  for stream in StandardOutputContent StandardErrorContent; do
    aws_ ssm get-command-invocation --command-id "${commands[$i]}" --instance-id "${hosts[$i]}" \
      --query "$stream" --output text 2>/dev/null | grep -v '^\s*$' | tail -n 6 | sed 's/^/    /' >&2 || true
  done
done

mkdir -p "$out"
echo "aws-loadtest: downloading s3://$bucket/$prefix into $out"
aws_ s3 cp --recursive --only-show-errors "s3://$bucket/$prefix" "$out" ||
  fail 3 "the download of s3://$bucket/$prefix failed"
if [ "${#failed[@]}" -gt 0 ]; then
  fail 3 "${#failed[@]} of $count shard(s) did not run to their end: no merged result (what the hosts uploaded is in $out)"
fi
shard_dirs=()
for i in "${!hosts[@]}"; do
  dir=$out/shard-$((i + 1))
  [ -f "$dir/summary.json" ] || fail 3 "shard $((i + 1))/$count on ${hosts[$i]} uploaded no summary.json to s3://$bucket/${prefix}shard-$((i + 1))/"
  shard_dirs+=("$dir")
done

echo "aws-loadtest: merging $count shard(s) into $out/merged"
set +e
java -jar "$jar" merge --out "$out/merged" "${merge_args[@]}" "${shard_dirs[@]}"
merged=$?
set -e
echo "aws-loadtest: run $run_id: exit $merged; report $out/merged/report.html"
exit "$merged"
