################################################################################
# AMIs baked by Packer (packer/), found by their tags
################################################################################

# Exactly one AMI per role and version: most_recent = false makes a second bake with the same Version tag
# fail the plan loudly instead of silently replacing instances. A new version is launched only when
# var.ami_version changes.
data "aws_ami" "this" {
  for_each = toset(local.host_roles)

  owners      = ["self"]
  most_recent = false

  filter {
    name   = "tag:Project"
    values = [var.project]
  }

  filter {
    name   = "tag:Role"
    values = [each.key]
  }

  filter {
    name   = "tag:Version"
    values = [var.ami_version]
  }

  filter {
    name   = "state"
    values = ["available"]
  }
}

locals {
  cloud_init_template = "${path.module}/templates/cloud-init.yaml.tftpl"
}

################################################################################
# db and monitor: one each (no db host when db_mode is "rds": database.tf)
################################################################################

resource "aws_instance" "db" {
  count = local.rds ? 0 : 1

  ami                         = data.aws_ami.this["db"].id
  instance_type               = var.instance_types.db
  subnet_id                   = local.subnet_id
  vpc_security_group_ids      = [aws_security_group.this["db"].id]
  iam_instance_profile        = aws_iam_instance_profile.this["db"].name
  associate_public_ip_address = true
  key_name                    = var.key_name
  user_data_replace_on_change = true

  user_data = templatefile(local.cloud_init_template, {
    env = local.runtime_env["db"]
  })

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = local.root_volume_size["db"]
    encrypted   = true
  }

  tags = { Role = "db", Name = "${var.project}-db-1" }

  # The first boot reads the passwords from SSM: the permissions must exist before the instance does.
  depends_on = [aws_iam_role_policy.db, aws_iam_role_policy.session_manager]
}

# The db host was a single resource before db_mode existed: keep it instead of replacing it.
moved {
  from = aws_instance.db
  to   = aws_instance.db[0]
}

resource "aws_instance" "monitor" {
  ami                         = data.aws_ami.this["monitor"].id
  instance_type               = var.instance_types.monitor
  subnet_id                   = local.subnet_id
  vpc_security_group_ids      = [aws_security_group.this["monitor"].id]
  iam_instance_profile        = aws_iam_instance_profile.this["monitor"].name
  associate_public_ip_address = true
  key_name                    = var.key_name
  user_data_replace_on_change = true

  user_data = templatefile(local.cloud_init_template, {
    env = local.runtime_env["monitor"]
  })

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = local.root_volume_size["monitor"]
    encrypted   = true
  }

  # With RDS, DbInstance names the database whose mysqld_exporter runs here: Prometheus's mysqld job finds the
  # monitor by it and labels those series as the database's (role db).
  tags = merge(
    { Role = "monitor", Name = "${var.project}-monitor-1" },
    local.rds ? { DbInstance = aws_db_instance.this[0].identifier } : {},
  )

  depends_on = [aws_iam_role_policy.monitor, aws_iam_role_policy.monitor_rds, aws_iam_role_policy.session_manager]
}

################################################################################
# api and loadgen: N each (var.api_instance_count, var.loadgen_instance_count)
################################################################################

# The API hosts alternate between the two zones' subnets, behind the load balancer (load-balancer.tf).
resource "aws_instance" "api" {
  for_each = local.api_instances

  ami                         = data.aws_ami.this["api"].id
  instance_type               = var.instance_types.api
  subnet_id                   = local.subnet_ids[(each.value - 1) % length(local.subnet_ids)]
  vpc_security_group_ids      = [aws_security_group.this["api"].id]
  iam_instance_profile        = aws_iam_instance_profile.this["api"].name
  associate_public_ip_address = true
  key_name                    = var.key_name
  user_data_replace_on_change = true

  user_data = templatefile(local.cloud_init_template, {
    env = local.api_runtime_env
  })

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = local.root_volume_size["api"]
    encrypted   = true
  }

  tags = { Role = "api", Name = each.key }

  depends_on = [aws_iam_role_policy.api, aws_iam_role_policy.session_manager]
}

resource "aws_instance" "loadgen" {
  for_each = local.loadgen_instances

  ami                         = data.aws_ami.this["loadgen"].id
  instance_type               = var.instance_types.loadgen
  subnet_id                   = local.subnet_id
  vpc_security_group_ids      = [aws_security_group.this["loadgen"].id]
  iam_instance_profile        = aws_iam_instance_profile.this["loadgen"].name
  associate_public_ip_address = true
  key_name                    = var.key_name
  user_data_replace_on_change = true

  # The load balancer's name resolves to its private addresses in both zones. The db-stress Run Command needs a
  # db host: with RDS there is none, so no DB_INSTANCE_ID but DB_HOST, the endpoint, for the load generator's SQL
  # stress (loadtest --stress sql, the stress user's password from SSM).
  user_data = templatefile(local.cloud_init_template, {
    env = merge(
      local.runtime_env["loadgen"],
      {
        API_URL        = "http://${aws_lb.this.dns_name}:${local.api_port}"
        PROMETHEUS_URL = "http://${aws_instance.monitor.private_ip}:9090"
      },
      local.rds ? { DB_HOST = local.db_host } : { DB_INSTANCE_ID = aws_instance.db[0].id },
      # api-crash kills one named API host; the loadgen's IAM allows only that one (iam.tf).
      var.api_autoscaling ? {} : { API_INSTANCE_ID = aws_instance.api["${var.project}-api-1"].id },
    )
  })

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = local.root_volume_size["loadgen"]
    encrypted   = true
  }

  tags = { Role = "loadgen", Name = each.key }

  depends_on = [aws_iam_role_policy.loadgen, aws_iam_role_policy.session_manager]
}
