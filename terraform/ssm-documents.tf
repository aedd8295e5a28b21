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
