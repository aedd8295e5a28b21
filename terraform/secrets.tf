################################################################################
# Generated passwords in SSM Parameter Store, kept out of Terraform state
################################################################################

# Ephemeral passwords exist only while Terraform runs: they are never written to the plan or the state.
# value_wo (write-only) sends them to SSM; value_wo_version tells Terraform when to send a new one.
# Special characters are left out so the values survive shell, SQL and INI quoting on the hosts;
# 32 characters of [A-Za-z0-9] are about 190 bits.
ephemeral "random_password" "this" {
  for_each = local.secrets

  length  = 32
  special = false
}

resource "aws_ssm_parameter" "this" {
  for_each = local.secrets

  name             = "${local.ssm_prefix}/${each.key}"
  description      = each.value
  type             = "SecureString"
  value_wo         = ephemeral.random_password.this[each.key].result
  value_wo_version = var.secrets_version

  # Encrypted with the account's AWS managed key (alias/aws/ssm). Its key policy already lets this
  # account's principals decrypt through SSM, so the instance roles need ssm:GetParameter only.
  tags = { Name = "${local.ssm_prefix}/${each.key}" }
}

locals {
  # Parameter name below the prefix => description. Names are fixed by docs/architecture.md.
  secrets = merge(
    {
      "db/app-password"                = "MySQL password of the order API's database user"
      "db/exporter-password"           = "MySQL password of the mysqld_exporter user"
      "monitor/grafana-admin-password" = "Grafana admin password"
    },
    # RDS: the master user's password, which the monitor uses to create the two accounts (database.tf).
    # The load generator's SQL stress logs in with the stress account (no privilege) instead (loadtest --stress sql).
    local.rds ? {
      "db/master-password" = "RDS master password (the monitor creates the accounts with it)"
      "db/stress-password" = "MySQL password of the load generator's stress user (db-stress on RDS; no privilege)"
    } : {},
  )
}
