################################################################################
# One role and instance profile per role
################################################################################

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "EC2AssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.${data.aws_partition.current.dns_suffix}"]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = toset(local.roles)

  name_prefix        = "${var.project}-${each.key}-"
  description        = "${var.project} ${each.key} instances"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json

  tags = { Role = each.key }
}

resource "aws_iam_instance_profile" "this" {
  for_each = toset(local.roles)

  name_prefix = "${var.project}-${each.key}-"
  role        = aws_iam_role.this[each.key].name

  tags = { Role = each.key }
}

################################################################################
# Session Manager, for every role (instead of SSH)
################################################################################

# AWS's documented minimum for Session Manager. Deliberately not the managed AmazonSSMManagedInstanceCore
# policy, which also grants ssm:GetParameter(s) on every parameter in the account. These actions do not
# support resource-level permissions, hence "*".
data "aws_iam_policy_document" "session_manager" {
  statement {
    sid = "SessionManager"
    actions = [
      "ssm:UpdateInstanceInformation",
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "session_manager" {
  for_each = toset(local.roles)

  name   = "session-manager"
  role   = aws_iam_role.this[each.key].id
  policy = data.aws_iam_policy_document.session_manager.json
}

################################################################################
# Per-role permissions
################################################################################

locals {
  ssm_parameter_arn = "arn:${data.aws_partition.current.partition}:ssm:${var.region}:${data.aws_caller_identity.current.account_id}:parameter${local.ssm_prefix}"
}

# db: reads both database passwords at boot, and runs the load generator's db-stress Run Command documents.
data "aws_iam_policy_document" "db" {
  statement {
    sid     = "ReadDatabaseSecrets"
    actions = ["ssm:GetParameter"]
    resources = [
      aws_ssm_parameter.this["db/app-password"].arn,
      aws_ssm_parameter.this["db/exporter-password"].arn,
    ]
  }

  # The SSM agent receives Run Command documents through ec2messages (no resource-level permissions).
  statement {
    sid = "RunCommand"
    actions = [
      "ec2messages:AcknowledgeMessage",
      "ec2messages:DeleteMessage",
      "ec2messages:FailMessage",
      "ec2messages:GetEndpoint",
      "ec2messages:GetMessages",
      "ec2messages:SendReply",
    ]
    resources = ["*"]
  }
}

# api: reads the application's database password at start, and receives the api-crash fault's Run Command.
data "aws_iam_policy_document" "api" {
  statement {
    sid       = "ReadDatabaseAppPassword"
    actions   = ["ssm:GetParameter"]
    resources = [aws_ssm_parameter.this["db/app-password"].arn]
  }

  # The SSM agent receives Run Command documents through ec2messages (no resource-level permissions); who may
  # send what to this host is the sender's SendCommand permission (the loadgen's InjectFaults).
  statement {
    sid = "RunCommand"
    actions = [
      "ec2messages:AcknowledgeMessage",
      "ec2messages:DeleteMessage",
      "ec2messages:FailMessage",
      "ec2messages:GetEndpoint",
      "ec2messages:GetMessages",
      "ec2messages:SendReply",
    ]
    resources = ["*"]
  }
}

# monitor: Prometheus EC2 service discovery, and its own parameters (the Grafana admin password).
data "aws_iam_policy_document" "monitor" {
  # Describe* actions cannot be limited to resources; Prometheus filters by tag:Project itself.
  # DescribeAvailabilityZones only adds the zone-id label.
  statement {
    sid       = "PrometheusEc2Discovery"
    actions   = ["ec2:DescribeInstances", "ec2:DescribeAvailabilityZones"]
    resources = ["*"]
  }

  statement {
    sid       = "ReadMonitorSecrets"
    actions   = ["ssm:GetParameter"]
    resources = ["${local.ssm_parameter_arn}/monitor/*"]
  }
}

# loadgen: the db-stress stage runs the project's two Run Command documents (ssm-documents.tf) on the db
# instance, and reads how they went. Not AWS-RunShellScript: that would be any root command on the db host.
data "aws_iam_policy_document" "loadgen" {
  # SendCommand is authorised against every resource of the call: the instance and the document must both be
  # listed, so this allows exactly these documents on exactly that instance.
  statement {
    sid     = "StressTheDatabaseHost"
    actions = ["ssm:SendCommand"]
    resources = concat(
      # With RDS there is no db host: the documents alone allow nothing (SendCommand needs the instance too).
      local.rds ? [] : [aws_instance.db[0].arn],
      [aws_ssm_document.db_stress.arn, aws_ssm_document.db_stress_stop.arn],
    )
  }

  # The result of a sent command (status, exit code, stderr). IAM defines no resource type and no condition
  # key for these two actions (Service Authorization Reference, Systems Manager), so "*" is the only form AWS
  # accepts; they only read invocations, and the one above is the only command this role can send. No
  # ssm:CancelCommand: the stop document ends a stress early.
  statement {
    sid = "ReadStressCommandResult"
    actions = [
      "ssm:GetCommandInvocation",
      "ssm:ListCommandInvocations",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "api" {
  name   = "api-role"
  role   = aws_iam_role.this["api"].id
  policy = data.aws_iam_policy_document.api.json
}

resource "aws_iam_role_policy" "db" {
  name   = "db-role"
  role   = aws_iam_role.this["db"].id
  policy = data.aws_iam_policy_document.db.json
}

resource "aws_iam_role_policy" "monitor" {
  name   = "monitor-role"
  role   = aws_iam_role.this["monitor"].id
  policy = data.aws_iam_policy_document.monitor.json
}

# Separate from the others: it names the db instance, which itself waits for the db's own policy.
resource "aws_iam_role_policy" "loadgen" {
  name   = "loadgen-role"
  role   = aws_iam_role.this["loadgen"].id
  policy = data.aws_iam_policy_document.loadgen.json
}

################################################################################
# loadgen: the fault stages' Run Command documents (ssm-documents.tf)
################################################################################

# db-outage and db-slow go to the db instance, api-crash to the first API instance (API_INSTANCE_ID), each with its
# -undo document. As for db-stress, SendCommand is authorised against both the instance and the document of the
# call, so these documents on these instances are all it allows. IAM cannot pair a document with an instance; each
# document only acts on its own service (mysql, port 3306, order-api), which the other role's host does not run.
# With RDS there is no db host, and API hosts from an Auto Scaling group have no fixed ARN: those faults are then
# not allowed (the documents alone allow nothing).
data "aws_iam_policy_document" "loadgen_faults" {
  statement {
    sid     = "InjectFaults"
    actions = ["ssm:SendCommand"]
    resources = concat(
      local.rds ? [] : [aws_instance.db[0].arn],
      var.api_autoscaling ? [] : [aws_instance.api["${var.project}-api-1"].arn],
      [
        aws_ssm_document.fault["db-outage"].arn,
        aws_ssm_document.fault["db-slow"].arn,
        aws_ssm_document.fault["api-crash"].arn,
        aws_ssm_document.fault_undo["db-outage"].arn,
        aws_ssm_document.fault_undo["db-slow"].arn,
        aws_ssm_document.fault_undo["api-crash"].arn,
      ],
    )
  }
}

resource "aws_iam_role_policy" "loadgen_faults" {
  name   = "loadgen-faults"
  role   = aws_iam_role.this["loadgen"].id
  policy = data.aws_iam_policy_document.loadgen_faults.json
}

################################################################################
# loadgen: multi-host load tests (ssm-documents.tf, results-bucket.tf)
################################################################################

# The operator's coordinator runs <project>-loadtest-run on every load host; each uploads its shard's results.
data "aws_iam_policy_document" "loadgen_loadtest_run" {
  # The SSM agent receives Run Command documents through ec2messages (no resource-level permissions).
  statement {
    sid = "RunCommand"
    actions = [
      "ec2messages:AcknowledgeMessage",
      "ec2messages:DeleteMessage",
      "ec2messages:FailMessage",
      "ec2messages:GetEndpoint",
      "ec2messages:GetMessages",
      "ec2messages:SendReply",
    ]
    resources = ["*"]
  }

  # Write only, and only under runs/: no reading, listing or deleting, not even of its own uploads. The CLI's
  # multipart uploads (large files) need nothing more: their parts are authorised as s3:PutObject.
  statement {
    sid       = "UploadResults"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.this.arn}/runs/*"]
  }
}

resource "aws_iam_role_policy" "loadgen_loadtest_run" {
  name   = "loadgen-loadtest-run"
  role   = aws_iam_role.this["loadgen"].id
  policy = data.aws_iam_policy_document.loadgen_loadtest_run.json
}

################################################################################
# The operator who runs a multi-host load test (scripts/aws-loadtest.sh)
################################################################################

# Attached to no one by Terraform: attach it to the IAM user or role you run the coordinator as (output
# loadtest_operator_policy_arn). It allows exactly what the coordinator does: start the run document on the
# load hosts (and the stop document, on Ctrl-C), follow the invocations, and download the results.
data "aws_iam_policy_document" "loadtest_operator" {
  # SendCommand is authorised against the instance and the document of the call: these two documents (start a
  # shard, stop the shards) on these hosts.
  statement {
    sid     = "StartAndStopShards"
    actions = ["ssm:SendCommand"]
    resources = concat(
      [for name in keys(local.loadgen_instances) : aws_instance.loadgen[name].arn],
      [aws_ssm_document.loadtest_run.arn, aws_ssm_document.loadtest_stop.arn],
    )
  }

  # IAM defines no resource type for these two (they only read invocations), so "*" is the only form AWS accepts.
  statement {
    sid = "FollowShards"
    actions = [
      "ssm:GetCommandInvocation",
      "ssm:ListCommandInvocations",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "ListResults"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["runs/*"]
    }
  }

  statement {
    sid       = "DownloadResults"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.this.arn}/runs/*"]
  }
}

resource "aws_iam_policy" "loadtest_operator" {
  name_prefix = "${var.project}-loadtest-operator-"
  description = "${var.project}: run a multi-host load test (scripts/aws-loadtest.sh) and download its results"
  policy      = data.aws_iam_policy_document.loadtest_operator.json
}
