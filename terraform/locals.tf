locals {
  roles = ["api", "db", "monitor", "loadgen"]

  # Every resource gets these through the provider's default_tags; instances add Role and Name.
  tags = merge(var.tags, { Project = var.project })

  # SSM Parameter Store prefix shared with the roles (docs/architecture.md): /<project>/<role>/<name>.
  ssm_prefix = "/${var.project}"

  ##############################################################################
  # Instances: one map entry per instance, so api and loadgen scale by count
  ##############################################################################

  api_instances = {
    for n in range(1, var.api_instance_count + 1) : "${var.project}-api-${n}" => n
  }
  loadgen_instances = {
    for n in range(1, var.loadgen_instance_count + 1) : "${var.project}-loadgen-${n}" => n
  }

  # The first API instance: the loadgen's target until the demo grows a load balancer.
  first_api = aws_instance.api["${var.project}-api-1"]

  # Root volume size: the requested size, or the AMI's snapshot size if that is larger (a volume cannot
  # be smaller than its snapshot).
  root_volume_size = {
    for role in local.roles : role => max(
      var.root_volume_sizes[role],
      one([
        for m in data.aws_ami.this[role].block_device_mappings : tonumber(m.ebs.volume_size)
        if m.device_name == data.aws_ami.this[role].root_device_name
      ]),
    )
  }

  ##############################################################################
  # Security group matrix (docs/architecture.md, "Ports and local addresses")
  ##############################################################################

  # Traffic inside the VPC, one entry per port: an ingress rule on the "to" role's group and the matching
  # egress rule on the "from" role's group, both referencing the other group, never addresses.
  internal_rules = {
    api-http-from-loadgen           = { from = "loadgen", to = "api", port = 5000, description = "Order API from the load generator" }
    api-admin-from-monitor          = { from = "monitor", to = "api", port = 8000, description = "Order API admin port (/metrics, /health) from Prometheus" }
    api-node-from-monitor           = { from = "monitor", to = "api", port = 9100, description = "node_exporter from Prometheus" }
    db-mysql-from-api               = { from = "api", to = "db", port = 3306, description = "MySQL from the order API" }
    db-mysqld-exporter-from-monitor = { from = "monitor", to = "db", port = 9104, description = "mysqld_exporter from Prometheus" }
    db-node-from-monitor            = { from = "monitor", to = "db", port = 9100, description = "node_exporter from Prometheus" }
    loadgen-metrics-from-monitor    = { from = "monitor", to = "loadgen", port = 9464, description = "Load generator metrics from Prometheus" }
    loadgen-node-from-monitor       = { from = "monitor", to = "loadgen", port = 9100, description = "node_exporter from Prometheus" }
    # EC2 discovery gives Prometheus the monitor's own private address too.
    monitor-node-from-monitor = { from = "monitor", to = "monitor", port = 9100, description = "node_exporter from Prometheus on the same host" }
  }

  # The only ports open to anything outside the VPC, and only from the operator's CIDR.
  operator_rules = {
    monitor-grafana-from-operator    = { to = "monitor", port = 3000, description = "Grafana from the operator" }
    monitor-prometheus-from-operator = { to = "monitor", port = 9090, description = "Prometheus from the operator" }
  }

  ##############################################################################
  # user_data: /etc/prometheus-demo/runtime.env per role, names and addresses only
  ##############################################################################

  runtime_env = {
    for role in local.roles : role => merge(
      {
        PROJECT    = var.project
        ROLE       = role
        AWS_REGION = var.region
        SSM_PREFIX = local.ssm_prefix
      },
      # The db-stress stage's Run Command documents (ssm-documents.tf); the loadgen's IAM allows only these.
      role == "loadgen" ? {
        DB_STRESS_DOCUMENT      = aws_ssm_document.db_stress.name
        DB_STRESS_STOP_DOCUMENT = aws_ssm_document.db_stress_stop.name
      } : {},
    )
  }
}
