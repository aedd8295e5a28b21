################################################################################
# RDS for MySQL 8.0, when db_mode is "rds" (otherwise the db host in instances.tf)
################################################################################

# The two zones' subnets, so Multi-AZ can place its standby in the second.
resource "aws_db_subnet_group" "this" {
  count = local.rds ? 1 : 0

  name_prefix = "${var.project}-"
  description = "${var.project} database subnets in two availability zones"
  subnet_ids  = local.subnet_ids

  tags = { Name = "${var.project}-db" }
}

# performance_schema is off by default on the smaller RDS classes; the MySQL dashboards read it. It is a
# static parameter: it takes effect at the instance's first boot, or at the next reboot after a change.
resource "aws_db_parameter_group" "this" {
  count = local.rds ? 1 : 0

  name_prefix = "${var.project}-mysql80-"
  family      = "mysql8.0"
  description = "${var.project} MySQL 8.0: performance_schema on"

  parameter {
    name         = "performance_schema"
    value        = "1"
    apply_method = "pending-reboot"
  }

  tags = { Name = "${var.project}-db" }

  lifecycle {
    create_before_destroy = true
  }
}

# Encrypted, private, reached only from the API and monitor groups (the "db" role's security group). The master
# password is write-only, like every generated password here: the same ephemeral value goes to SSM
# (secrets.tf) and to RDS in one apply, and never into the state. Raising secrets_version sends new ones to both.
resource "aws_db_instance" "this" {
  count = local.rds ? 1 : 0

  identifier     = "${var.project}-db"
  engine         = "mysql"
  engine_version = "8.0"
  instance_class = var.rds_instance_class
  multi_az       = var.rds_multi_az

  allocated_storage = var.rds_allocated_storage
  storage_type      = "gp3"
  storage_encrypted = true

  db_subnet_group_name   = aws_db_subnet_group.this[0].name
  vpc_security_group_ids = [aws_security_group.this["db"].id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.this[0].name

  username            = "admin"
  password_wo         = ephemeral.random_password.this["db/master-password"].result
  password_wo_version = var.secrets_version

  auto_minor_version_upgrade = true
  apply_immediately          = true
  backup_retention_period    = 1
  copy_tags_to_snapshot      = true
  # A demo is torn down with terraform destroy: no final snapshot to pay for and delete by hand.
  skip_final_snapshot = true
  deletion_protection = false

  tags = { Name = "${var.project}-db", Role = "db" }
}

################################################################################
# The monitor creates the accounts (master password) and runs mysqld_exporter
################################################################################

# Separate from iam.tf's monitor policy, and only with RDS: the four database passwords. On the db host the
# db itself reads the app and exporter passwords; with RDS nothing else can.
data "aws_iam_policy_document" "monitor_rds" {
  count = local.rds ? 1 : 0

  statement {
    sid     = "CreateDatabaseAccounts"
    actions = ["ssm:GetParameter"]
    resources = [
      aws_ssm_parameter.this["db/master-password"].arn,
      aws_ssm_parameter.this["db/app-password"].arn,
      aws_ssm_parameter.this["db/exporter-password"].arn,
      aws_ssm_parameter.this["db/stress-password"].arn,
    ]
  }
}

resource "aws_iam_role_policy" "monitor_rds" {
  count = local.rds ? 1 : 0

  name   = "monitor-rds"
  role   = aws_iam_role.this["monitor"].id
  policy = data.aws_iam_policy_document.monitor_rds[0].json
}

################################################################################
# The load generator's db-stress on RDS: SQL stress as an account without privileges
################################################################################

# stress-ng cannot run on RDS, so loadtest --stress sql runs CPU-bound statements (SELECT BENCHMARK) as the stress
# account, which the monitor creates with no grant at all. The loadgen reads that password and nothing else.
data "aws_iam_policy_document" "loadgen_rds" {
  count = local.rds ? 1 : 0

  statement {
    sid       = "ReadStressPassword"
    actions   = ["ssm:GetParameter"]
    resources = [aws_ssm_parameter.this["db/stress-password"].arn]
  }
}

resource "aws_iam_role_policy" "loadgen_rds" {
  count = local.rds ? 1 : 0

  name   = "loadgen-rds"
  role   = aws_iam_role.this["loadgen"].id
  policy = data.aws_iam_policy_document.loadgen_rds[0].json
}
