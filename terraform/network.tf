################################################################################
# Default VPC and its first default subnet (the original spec's choice)
################################################################################

data "aws_vpc" "default" {
  count = var.create_vpc ? 0 : 1

  default = true
}

data "aws_subnets" "default" {
  count = var.create_vpc ? 0 : 1

  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default[0].id]
  }

  filter {
    name   = "default-for-az"
    values = ["true"]
  }
}

################################################################################
# Optional dedicated VPC: one public subnet, an internet gateway, no NAT
################################################################################

data "aws_availability_zones" "available" {
  count = var.create_vpc ? 1 : 0

  state = "available"
}

resource "aws_vpc" "this" {
  count = var.create_vpc ? 1 : 0

  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = var.project }
}

# Adopts the new VPC's default security group and removes its rules, so nothing can use it by accident.
resource "aws_default_security_group" "this" {
  count = var.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id

  tags = { Name = "${var.project}-default-unused" }
}

resource "aws_internet_gateway" "this" {
  count = var.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id

  tags = { Name = var.project }
}

resource "aws_subnet" "this" {
  count = var.create_vpc ? 1 : 0

  vpc_id            = aws_vpc.this[0].id
  cidr_block        = cidrsubnet(var.vpc_cidr, 8, 0)
  availability_zone = data.aws_availability_zones.available[0].names[0]

  tags = { Name = "${var.project}-public" }
}

resource "aws_route_table" "this" {
  count = var.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this[0].id
  }

  tags = { Name = "${var.project}-public" }
}

resource "aws_route_table_association" "this" {
  count = var.create_vpc ? 1 : 0

  subnet_id      = aws_subnet.this[0].id
  route_table_id = aws_route_table.this[0].id
}

locals {
  vpc_id = var.create_vpc ? aws_vpc.this[0].id : data.aws_vpc.default[0].id

  # The "first" default subnet: the lowest subnet ID, so repeated plans pick the same one.
  subnet_id = var.create_vpc ? aws_subnet.this[0].id : sort(data.aws_subnets.default[0].ids)[0]
}
