################################################################################
# Default VPC and its default subnets (one per availability zone)
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
# Optional dedicated VPC: two public subnets in two zones, an internet gateway, no NAT
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

# Two zones: the load balancer needs subnets in at least two, and RDS Multi-AZ a subnet group spanning two.
resource "aws_subnet" "this" {
  count = var.create_vpc ? 2 : 0

  vpc_id            = aws_vpc.this[0].id
  cidr_block        = cidrsubnet(var.vpc_cidr, 8, count.index)
  availability_zone = data.aws_availability_zones.available[0].names[count.index]

  tags = { Name = "${var.project}-public-${count.index + 1}" }
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
  count = var.create_vpc ? 2 : 0

  subnet_id      = aws_subnet.this[count.index].id
  route_table_id = aws_route_table.this[0].id
}

locals {
  vpc_id = var.create_vpc ? aws_vpc.this[0].id : data.aws_vpc.default[0].id

  # Two subnets in two zones: the two lowest default subnet IDs (a default subnet is one per zone, so they are
  # in different zones, and repeated plans pick the same two), or the dedicated VPC's two.
  subnet_ids = var.create_vpc ? [aws_subnet.this[0].id, aws_subnet.this[1].id] : slice(sort(data.aws_subnets.default[0].ids), 0, 2)

  # The first of them: the db, monitor and load hosts live there; the API hosts alternate between the two.
  subnet_id = local.subnet_ids[0]
}
