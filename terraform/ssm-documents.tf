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
