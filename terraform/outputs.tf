################################################################################
# Reaching the demo
################################################################################

output "grafana_url" {
  description = "Grafana, reachable from operator_cidr only (admin password: see grafana_admin_password_command)"
  value       = "http://${aws_instance.monitor.public_ip}:3000"
}

output "prometheus_url" {
  description = "Prometheus, reachable from operator_cidr only"
  value       = "http://${aws_instance.monitor.public_ip}:9090"
}

output "grafana_port_forward_command" {
  description = "Reach Grafana on http://localhost:3000 through Session Manager, from anywhere (needs the session-manager-plugin)"
  value       = "aws ssm start-session --region ${var.region} --target ${aws_instance.monitor.id} --document-name AWS-StartPortForwardingSession --parameters '{\"portNumber\":[\"3000\"],\"localPortNumber\":[\"3000\"]}'"
}

output "grafana_admin_password_command" {
  description = "Prints the Grafana admin password from SSM (the password itself is never in Terraform's state or outputs)"
  value       = "aws ssm get-parameter --region ${var.region} --name ${aws_ssm_parameter.this["monitor/grafana-admin-password"].name} --with-decryption --query Parameter.Value --output text"
}

output "ssm_session_commands" {
  description = "Shell on each host through Session Manager, by instance Name"
  value = {
    for name, instance in local.all_instances : name => "aws ssm start-session --region ${var.region} --target ${instance.id}"
  }
}

output "ssh_commands" {
  description = "SSH to each host by instance Name, only when key_name is set (null otherwise)"
  value = var.key_name == null ? null : {
    for name, instance in local.all_instances : name => "ssh -i ${var.key_name}.pem ${var.ssh_user}@${instance.public_ip}"
  }
}

################################################################################
# Running the stages
################################################################################

output "load_stage_command" {
  description = "Starts the normal load stage on the first load host (replace normal with demo for the whole flow)"
  value       = "aws ssm start-session --region ${var.region} --target ${aws_instance.loadgen["${var.project}-loadgen-1"].id} --document-name AWS-StartInteractiveCommand --parameters '{\"command\":[\"loadtest --stage normal\"]}'"
}

# What scripts/aws-loadtest.sh reads to run one stage on every load host as one test.
output "region" {
  description = "The region everything runs in (the coordinator's AWS CLI calls go there)"
  value       = var.region
}

output "loadgen_instance_ids" {
  description = "Instance IDs of the load hosts in shard order: the n-th runs shard n of a multi-host load test"
  value       = [for n in range(1, var.loadgen_instance_count + 1) : aws_instance.loadgen["${var.project}-loadgen-${n}"].id]
}

output "loadtest_run_document" {
  description = "The Run Command document that runs one shard of a load test on a load host and uploads its results"
  value       = aws_ssm_document.loadtest_run.name
}

output "loadtest_stop_document" {
  description = "The Run Command document that stops the load-test shards running on a load host (they upload partial results)"
  value       = aws_ssm_document.loadtest_stop.name
}

output "loadtest_results_bucket" {
  description = "The S3 bucket holding each multi-host load test's shards under runs/<run id>/shard-<n>/"
  value       = aws_s3_bucket.this.bucket
}

output "loadtest_operator_policy_arn" {
  description = "Managed policy to attach to whoever runs scripts/aws-loadtest.sh: the run document on the load hosts, its invocations, the results under runs/"
  value       = aws_iam_policy.loadtest_operator.arn
}

################################################################################
# Inventory
################################################################################

output "api_url" {
  description = "The order API through the internal load balancer (reachable inside the VPC only, as the load hosts use it)"
  value       = "http://${aws_lb.this.dns_name}:${local.api_port}"
}

output "api_autoscaling_group" {
  description = "Name of the API hosts' Auto Scaling group (null unless api_autoscaling); its hosts are not in the per-host outputs"
  value       = var.api_autoscaling ? aws_autoscaling_group.api[0].name : null
}

output "db_endpoint" {
  description = "Where MySQL listens: the db host's private address, or the RDS endpoint when db_mode is \"rds\""
  value       = "${local.db_host}:3306"
}

output "instance_ids" {
  description = "Instance ID by instance Name"
  value       = { for name, instance in local.all_instances : name => instance.id }
}

output "private_ips" {
  description = "Private IPv4 address by instance Name (what Prometheus scrapes and the roles use)"
  value       = { for name, instance in local.all_instances : name => instance.private_ip }
}

output "public_ips" {
  description = "Public IPv4 address by instance Name (inbound is limited by the security groups)"
  value       = { for name, instance in local.all_instances : name => instance.public_ip }
}

output "ami_ids" {
  description = "AMI launched per role (var.ami_version)"
  value       = { for role, ami in data.aws_ami.this : role => ami.id }
}

output "ssm_parameter_names" {
  description = "Names of the SecureString parameters holding the generated passwords (the values are write-only)"
  value       = { for key, parameter in aws_ssm_parameter.this : key => parameter.name }
}

output "security_group_ids" {
  description = "Security group ID by role"
  value       = { for role, group in aws_security_group.this : role => group.id }
}

locals {
  all_instances = merge(
    { "${var.project}-monitor-1" = aws_instance.monitor },
    local.rds ? {} : { "${var.project}-db-1" = aws_instance.db[0] },
    aws_instance.api,
    aws_instance.loadgen,
  )
}
