################################################################################
# Optional: the API hosts as an Auto Scaling group (var.api_autoscaling)
################################################################################

# The same host as aws_instance.api: AMI, type, profile, group, IMDSv2, encrypted gp3 root and user_data. Provider
# default_tags do not reach instances a group launches, so the template tags them (Project, Role and a Name they
# all share; Prometheus tells them apart by instance id).
resource "aws_launch_template" "api" {
  count = var.api_autoscaling ? 1 : 0

  name_prefix            = "${var.project}-api-"
  description            = "${var.project} order API hosts of the Auto Scaling group"
  image_id               = data.aws_ami.this["api"].id
  instance_type          = var.instance_types.api
  key_name               = var.key_name
  update_default_version = true

  user_data = base64encode(templatefile(local.cloud_init_template, {
    env = local.api_runtime_env
  }))

  iam_instance_profile {
    name = aws_iam_instance_profile.this["api"].name
  }

  # A public address for outbound HTTPS to AWS's endpoints, as the individual hosts have (terraform/README.md).
  network_interfaces {
    associate_public_ip_address = true
    delete_on_termination       = true
    security_groups             = [aws_security_group.this["api"].id]
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = data.aws_ami.this["api"].root_device_name

    ebs {
      volume_type           = "gp3"
      volume_size           = local.root_volume_size["api"]
      encrypted             = true
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(local.tags, { Role = "api", Name = "${var.project}-api" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(local.tags, { Role = "api", Name = "${var.project}-api" })
  }

  tags = { Name = "${var.project}-api" }
}

# A fixed size (api_instance_count) over both subnets, registered with the load balancer's target group. EC2
# health checks, not the load balancer's: readiness fails for every host while the database is down, and an
# ELB health check would then replace every API host at once. The target group still takes unready hosts out
# of rotation. A new launch template version (a new AMI) rolls through the hosts half at a time.
resource "aws_autoscaling_group" "api" {
  count = var.api_autoscaling ? 1 : 0

  name_prefix               = "${var.project}-api-"
  min_size                  = var.api_instance_count
  max_size                  = var.api_instance_count
  desired_capacity          = var.api_instance_count
  vpc_zone_identifier       = local.subnet_ids
  target_group_arns         = [aws_lb_target_group.this.arn]
  health_check_type         = "EC2"
  health_check_grace_period = 300

  launch_template {
    id      = aws_launch_template.api[0].id
    version = aws_launch_template.api[0].latest_version
  }

  instance_refresh {
    strategy = "Rolling"

    preferences {
      min_healthy_percentage = 50
    }
  }

  # The first boot reads the password from SSM: the permissions must exist before the hosts do.
  depends_on = [aws_iam_role_policy.api, aws_iam_role_policy.session_manager]
}
