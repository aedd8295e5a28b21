################################################################################
# One security group per role and one for the load balancer; the matrix itself is in locals.tf
################################################################################

resource "aws_security_group" "this" {
  for_each = toset(local.security_group_roles)

  name_prefix = "${var.project}-${each.key}-"
  description = "${var.project} ${each.key} role"
  vpc_id      = local.vpc_id

  tags = { Name = "${var.project}-${each.key}", Role = each.key }

  lifecycle {
    create_before_destroy = true
  }
}

################################################################################
# Inside the VPC: group to group
################################################################################

resource "aws_vpc_security_group_ingress_rule" "internal" {
  for_each = local.internal_rules

  security_group_id            = aws_security_group.this[each.value.to].id
  referenced_security_group_id = aws_security_group.this[each.value.from].id
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  description                  = each.value.description

  tags = { Name = each.key }
}

resource "aws_vpc_security_group_egress_rule" "internal" {
  for_each = local.internal_rules

  security_group_id            = aws_security_group.this[each.value.from].id
  referenced_security_group_id = aws_security_group.this[each.value.to].id
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  description                  = each.value.description

  tags = { Name = each.key }
}

################################################################################
# From the operator's CIDR only
################################################################################

resource "aws_vpc_security_group_ingress_rule" "operator" {
  for_each = local.operator_rules

  security_group_id = aws_security_group.this[each.value.to].id
  cidr_ipv4         = var.operator_cidr
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  description       = each.value.description

  tags = { Name = each.key }
}

# SSH exists only when a key pair is given; Session Manager needs no inbound port at all.
resource "aws_vpc_security_group_ingress_rule" "ssh" {
  for_each = var.key_name == null ? toset([]) : toset(local.host_roles)

  security_group_id = aws_security_group.this[each.key].id
  cidr_ipv4         = var.operator_cidr
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  description       = "SSH from the operator (key pair ${var.key_name})"

  tags = { Name = "${each.key}-ssh-from-operator" }
}

################################################################################
# To AWS APIs
################################################################################

# The wide rules. Every role calls AWS public endpoints over HTTPS: Session Manager and Run Command
# (ssm, ssmmessages, ec2messages), Parameter Store, and EC2 DescribeInstances for the monitor. Their
# addresses are not a fixed, published range, so the destination is 0.0.0.0/0, on port 443 only. Interface
# VPC endpoints would narrow it to the VPC, at about 0.01 USD an hour each per AZ (more than this rule is
# worth in a demo). The snaps (SSM agent) also refresh over HTTPS. Hosts only: neither the load balancer nor RDS
# needs to reach anything but the API hosts.
resource "aws_vpc_security_group_egress_rule" "https" {
  for_each = toset(local.host_roles)

  security_group_id = aws_security_group.this[each.key].id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  description       = "HTTPS to AWS APIs (SSM, EC2) and the Snap Store"

  tags = { Name = "${each.key}-https-to-aws-apis" }
}

# Port 80 for apt only: unattended-upgrades installs security updates from Ubuntu's archive mirror in the
# region (<region>.ec2.archive.ubuntu.com) and security.ubuntu.com, which Ubuntu's images use over plain HTTP
# (apt checks the signed Release files, so HTTP is Ubuntu's design, not a downgrade). Those mirrors publish
# no fixed address range and AWS has no prefix list for them, hence 0.0.0.0/0; nothing on the hosts serves
# or fetches anything else over HTTP.
resource "aws_vpc_security_group_egress_rule" "http_apt" {
  for_each = toset(local.host_roles)

  security_group_id = aws_security_group.this[each.key].id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  description       = "HTTP to Ubuntu's archive and security mirrors (unattended security updates)"

  tags = { Name = "${each.key}-http-to-ubuntu-mirrors" }
}
