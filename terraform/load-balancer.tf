################################################################################
# Internal Application Load Balancer in front of the API hosts
################################################################################

locals {
  # The API's port, on the hosts and on the load balancer's listener alike, so API_URL keeps its shape.
  api_port = 5000

  # The admin socket serves readiness: UP only while the API can reach the database.
  api_admin_port = 8000
}

# Internal: addresses in the VPC only, reached by the load hosts. Two subnets in two zones (AWS requires at
# least two). Plain HTTP inside the VPC, like every other hop here: a certificate would need a private CA.
resource "aws_lb" "this" {
  name                       = "${var.project}-api"
  internal                   = true
  load_balancer_type         = "application"
  subnets                    = local.subnet_ids
  security_groups            = [aws_security_group.this["alb"].id]
  drop_invalid_header_fields = true
  # Below the API's own idle-connection timeout (Helidon's five minutes), so the API never closes a connection
  # the load balancer still considers open (a 502).
  idle_timeout = 60

  tags = { Name = "${var.project}-api" }
}

# Per-request balancing over the API hosts. The health check asks the admin port's readiness: a host that
# cannot reach the database stops receiving orders. When every host fails it, an ALB sends to all of them
# again (fails open), so a database outage shows as errors rather than as a load balancer with no targets.
resource "aws_lb_target_group" "this" {
  name                 = "${var.project}-api"
  port                 = local.api_port
  protocol             = "HTTP"
  target_type          = "instance"
  vpc_id               = local.vpc_id
  deregistration_delay = 30

  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = tostring(local.api_admin_port)
    path                = "/health/ready"
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }

  tags = { Name = "${var.project}-api" }
}

resource "aws_lb_listener" "this" {
  load_balancer_arn = aws_lb.this.arn
  port              = local.api_port
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = { Name = "${var.project}-api" }
}

# Every API host, registered on the API port.
resource "aws_lb_target_group_attachment" "api" {
  for_each = local.api_instances

  target_group_arn = aws_lb_target_group.this.arn
  target_id        = aws_instance.api[each.key].id
  port             = local.api_port
}
