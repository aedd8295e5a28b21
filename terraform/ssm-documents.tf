################################################################################
# Run Command documents for the load generator's db-stress stage
################################################################################

# The loadgen may run these two documents on the db instance and nothing else (iam.tf): never
# AWS-RunShellScript, which would let it run any command as root there. The only input is the stress duration,
# an Integer, so no text from the loadgen ever reaches a shell. stress-ng runs as nobody, one worker per CPU,
# for that many seconds (1 to 3600; the check fails the command with a message otherwise).
resource "aws_ssm_document" "db_stress" {
  name            = "${var.project}-db-stress"
  document_type   = "Command"
  document_format = "JSON"
  target_type     = "/AWS::EC2::Instance"

  content = jsonencode({
    schemaVersion = "2.2"
    description   = "${var.project}: loads every CPU of the database host with stress-ng for durationSeconds seconds"
    parameters = {
      durationSeconds = {
        type        = "Integer"
        description = "How long stress-ng runs, in seconds (1 to 3600)"
      }
    }
    mainSteps = [{
      action = "aws:runShellScript"
      name   = "stressCpu"
      inputs = {
        # A little longer than the longest stress, so the agent never cuts a valid run short.
        timeoutSeconds = 3660
        # An Integer parameter is substituted as digits only, so it needs no quoting; stress-ng reads a bare
        # timeout as seconds. --temp-path: the agent's working directory is root's, and stress-ng (as nobody)
        # refuses to start without a writable one.
        runCommand = [
          "seconds={{ durationSeconds }}",
          "if [ $seconds -lt 1 ] || [ $seconds -gt 3600 ]; then echo durationSeconds must be 1-3600, was $seconds >&2; exit 2; fi",
          "exec runuser -u nobody -- stress-ng --temp-path /tmp --cpu 0 --timeout $seconds",
        ]
      }
    }]
  })

  tags = { Name = "${var.project}-db-stress" }
}

# Stops the stress early (the stage ended or was interrupted): success whether or not stress-ng was running.
resource "aws_ssm_document" "db_stress_stop" {
  name            = "${var.project}-db-stress-stop"
  document_type   = "Command"
  document_format = "JSON"
  target_type     = "/AWS::EC2::Instance"

  content = jsonencode({
    schemaVersion = "2.2"
    description   = "${var.project}: stops the stress-ng that ${var.project}-db-stress started"
    parameters    = {}
    mainSteps = [{
      action = "aws:runShellScript"
      name   = "stopStress"
      inputs = {
        timeoutSeconds = 60
        # pkill exits 1 when nothing matched: not an error here.
        runCommand = ["pkill -x stress-ng || [ $? -eq 1 ]"]
      }
    }]
  })

  tags = { Name = "${var.project}-db-stress-stop" }
}

################################################################################
# Run Command documents for the load generator's fault stages (db-outage, db-slow, api-crash)
################################################################################

# Each fault takes one Integer, durationSeconds, and undoes itself: before it breaks anything it schedules its own
# undo as a transient systemd timer, so the host recovers after durationSeconds even if the load generator, the
# agent or this command dies mid-fault. The command then waits out the fault and confirms the undo worked. The
# -undo documents undo at once (a stage ended early or was interrupted) and succeed when there is nothing to undo.
# "fault on" in the output marks the moment the fault is in effect, as the local stack's `fault` command does.
locals {
  fault_documents = {
    db-outage = {
      description = "stops mysql for durationSeconds seconds, then starts it again"
      undo        = "systemctl start mysql"
      run = [
        "systemctl stop mysql",
        "echo fault on: db-outage for $${seconds}s",
        "sleep $seconds",
        "for i in $(seq 120); do systemctl is-active --quiet mysql && exit 0; sleep 1; done",
        "echo 'mysql did not start again' >&2; exit 1",
      ]
    }
    db-slow = {
      description = "delays every answer mysql sends (source port 3306) by 150 ms for durationSeconds seconds"
      # The device that carries the default route ($5 of `ip route show default`); prio + netem on one band, and a
      # filter that sends only the database's answers there, so the agent, the exporters and SSH stay fast.
      undo = "set -- $(ip route show default); tc qdisc del dev $5 root 2>/dev/null || true"
      run = [
        "set -- $(ip route show default); dev=$5",
        "tc qdisc del dev \"$dev\" root 2>/dev/null || true",
        "tc qdisc add dev \"$dev\" root handle 1: prio",
        "tc qdisc add dev \"$dev\" parent 1:3 handle 30: netem delay 150ms",
        "tc filter add dev \"$dev\" protocol ip parent 1:0 prio 3 u32 match ip sport 3306 0xffff flowid 1:3",
        "echo fault on: db-slow for $${seconds}s on $dev",
        "sleep $seconds",
        "sleep 2; if tc qdisc show dev \"$dev\" | grep -q netem; then echo 'the delay is still there' >&2; exit 1; fi",
      ]
    }
    api-crash = {
      description = "SIGKILLs the order API; systemd (Restart=on-failure) starts it again"
      undo        = "systemctl start order-api"
      run = [
        "systemctl kill --signal=SIGKILL --kill-whom=main order-api",
        "echo fault on: api-crash, restart awaited for up to $${seconds}s + 60s",
        "sleep 1",
        "for i in $(seq $((seconds + 60))); do systemctl is-active --quiet order-api && exit 0; sleep 1; done",
        "echo 'order-api did not start again' >&2; exit 1",
      ]
    }
  }
}

resource "aws_ssm_document" "fault" {
  for_each = local.fault_documents

  name            = "${var.project}-${each.key}"
  document_type   = "Command"
  document_format = "JSON"
  target_type     = "/AWS::EC2::Instance"

  content = jsonencode({
    schemaVersion = "2.2"
    description   = "${var.project}: ${each.value.description} (a fault stage of the load generator)"
    parameters = {
      durationSeconds = {
        type        = "Integer"
        description = "How long the fault lasts, in seconds (1 to 600)"
      }
    }
    mainSteps = [{
      action = "aws:runShellScript"
      name   = "fault"
      inputs = {
        timeoutSeconds = 780
        # An Integer parameter is substituted as digits only. The undo is scheduled before the fault starts.
        runCommand = concat([
          "seconds={{ durationSeconds }}",
          "if [ $seconds -lt 1 ] || [ $seconds -gt 600 ]; then echo durationSeconds must be 1-600, was $seconds >&2; exit 2; fi",
          "systemd-run --unit=${var.project}-${each.key}-undo-$(date +%s) --on-active=$${seconds}s --timer-property=AccuracySec=1s --collect /bin/sh -c '${each.value.undo}'",
        ], each.value.run)
      }
    }]
  })

  tags = { Name = "${var.project}-${each.key}" }
}

resource "aws_ssm_document" "fault_undo" {
  for_each = local.fault_documents

  name            = "${var.project}-${each.key}-undo"
  document_type   = "Command"
  document_format = "JSON"
  target_type     = "/AWS::EC2::Instance"

  content = jsonencode({
    schemaVersion = "2.2"
    description   = "${var.project}: undoes ${var.project}-${each.key} at once"
    parameters    = {}
    mainSteps = [{
      action = "aws:runShellScript"
      name   = "undo"
      inputs = {
        timeoutSeconds = 120
        runCommand     = [each.value.undo]
      }
    }]
  })

  tags = { Name = "${var.project}-${each.key}-undo" }
}

################################################################################
# Run Command document for multi-host load tests (scripts/aws-loadtest.sh)
################################################################################

locals {
  # loadtest's stages (loadtest/README.md, "Stages"); the coordinator accepts exactly these.
  loadtest_stages = ["normal", "read-heavy", "write-heavy", "db-stress", "db-outage", "db-slow", "api-crash", "demo"]
}

# Runs one shard of a multi-host load test on a load host and uploads its output to the results bucket
# (results-bucket.tf). Every parameter is constrained before it reaches the shell: the stage is one of
# loadtest's, the shard and the duration are Integers (their ranges checked below), and the start time and run
# id must match patterns without a character the shell would read. loadtest runs as the image's unprivileged
# loadtest user with the host's runtime.env (API_URL, PROMETHEUS_URL, the db-stress and fault settings);
# only the upload runs as root, with the instance's role, which may write under runs/ and nowhere else.
# The command exits with loadtest's exit code (0 pass, 99 a threshold failed on this shard, 2 a configuration
# error such as a start time already passed, ...), or 1 if the upload failed.
resource "aws_ssm_document" "loadtest_run" {
  name            = "${var.project}-loadtest-run"
  document_type   = "Command"
  document_format = "JSON"
  target_type     = "/AWS::EC2::Instance"

  content = jsonencode({
    schemaVersion = "2.2"
    description   = "${var.project}: runs one shard of a load test (loadtest --shard) and uploads its results to S3"
    parameters = {
      stage = {
        type          = "String"
        description   = "The loadtest stage to run"
        allowedValues = local.loadtest_stages
      }
      shardIndex = {
        type        = "Integer"
        description = "This host's shard, 1 to shardCount"
      }
      shardCount = {
        type        = "Integer"
        description = "How many load hosts run the test together (1 to 64)"
      }
      startAt = {
        type           = "String"
        description    = "When every shard starts its load, in UTC: 2026-12-06T06:30:00Z"
        allowedPattern = "^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$"
      }
      runId = {
        type           = "String"
        description    = "The run's id: its results go to runs/<runId>/shard-<shardIndex>/ in the bucket"
        allowedPattern = "^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$"
      }
      durationSeconds = {
        type        = "Integer"
        description = "Steady-state length of each stage in seconds (loadtest --duration), 0 for the stage's own (0 to 3600)"
      }
    }
    mainSteps = [{
      action = "aws:runShellScript"
      name   = "runShard"
      inputs = {
        # Longer than the longest run the parameters allow (demo, with faults, at 3600 s for each of its parts).
        timeoutSeconds = 43200
        # Integer parameters are substituted as digits only; the others matched their patterns. POSIX sh.
        runCommand = [
          "stage={{ stage }}",
          "index={{ shardIndex }}",
          "count={{ shardCount }}",
          "start={{ startAt }}",
          "run={{ runId }}",
          "seconds={{ durationSeconds }}",
          "if [ $count -lt 1 ] || [ $count -gt 64 ] || [ $index -lt 1 ] || [ $index -gt $count ]; then echo \"shard $index of $count: the count must be 1 to 64 and the index 1 to the count\" >&2; exit 2; fi",
          "if [ $seconds -lt 0 ] || [ $seconds -gt 3600 ]; then echo \"durationSeconds must be 0 to 3600, was $seconds\" >&2; exit 2; fi",
          "home=$(getent passwd loadtest | cut -d: -f6)",
          "if [ -z \"$home\" ]; then echo 'this host has no user loadtest: launch a loadgen image that has it' >&2; exit 2; fi",
          "out=$home/runs/$run/shard-$index",
          "if [ -e \"$out\" ]; then echo \"run $run already has shard $index on this host ($out)\" >&2; exit 2; fi",
          "set -- --stage $stage --shard $index/$count --start-at $start --out \"$out\"",
          "if [ $seconds -gt 0 ]; then set -- \"$@\" --duration $${seconds}s; fi",
          # As the loadtest user, from its own home; console.log is opened by that user too.
          "cd \"$home\" && runuser -u loadtest -- mkdir -p \"$out\" || exit 1",
          "cd \"$out\" && runuser -u loadtest -- sh -c 'exec loadtest \"$@\" >console.log 2>&1' loadtest \"$@\"",
          "code=$?",
          "tail -n 100 console.log",
          "echo \"loadtest exited $code; uploading $out to s3://${aws_s3_bucket.this.bucket}/runs/$run/shard-$index/\"",
          "if ! aws s3 cp --recursive --only-show-errors --region ${var.region} \"$out\" \"s3://${aws_s3_bucket.this.bucket}/runs/$run/shard-$index/\"; then echo \"the upload to s3://${aws_s3_bucket.this.bucket}/runs/$run/shard-$index/ failed\" >&2; exit 1; fi",
          "exit $code",
        ]
      }
    }]
  })

  tags = { Name = "${var.project}-loadtest-run" }
}

# Stops the shards <project>-loadtest-run started on a host (the operator pressed Ctrl-C in the coordinator):
# SIGTERM to the loadtest user's JVMs, so each stops its stage and stress, writes its partial results and exits
# 130, and its run document then uploads them. Success whether or not a shard was running.
resource "aws_ssm_document" "loadtest_stop" {
  name            = "${var.project}-loadtest-stop"
  document_type   = "Command"
  document_format = "JSON"
  target_type     = "/AWS::EC2::Instance"

  content = jsonencode({
    schemaVersion = "2.2"
    description   = "${var.project}: stops the load-test shards ${var.project}-loadtest-run started on this host"
    parameters    = {}
    mainSteps = [{
      action = "aws:runShellScript"
      name   = "stopShards"
      inputs = {
        timeoutSeconds = 60
        # pkill exits 1 when nothing matched: not an error here.
        runCommand = ["pkill -TERM -u loadtest -x java || [ $? -eq 1 ]"]
      }
    }]
  })

  tags = { Name = "${var.project}-loadtest-stop" }
}
