locals {
  roles = ["api", "db", "monitor", "loadgen"]

  # Every resource gets these through the provider's default_tags; instances add Role and Name.
  tags = merge(var.tags, { Project = var.project })

  # SSM Parameter Store prefix shared with the roles (docs/architecture.md): /<project>/<role>/<name>.
  ssm_prefix = "/${var.project}"

  # Where MySQL runs (var.db_mode): on the baked db host, or in RDS, where no db host exists at all.
  rds = var.db_mode == "rds"

  # The roles that run as EC2 instances from a baked AMI.
  host_roles = local.rds ? ["api", "monitor", "loadgen"] : local.roles

  # One security group per role, and one for the API's load balancer. In RDS mode the "db" group is the RDS
  # instance's.
  security_group_roles = concat(local.roles, ["alb"])

  # The database's address for the API hosts (and, with RDS, for the monitor).
  db_host = local.rds ? aws_db_instance.this[0].address : aws_instance.db[0].private_ip

  ##############################################################################
  # Instances: one map entry per instance, so api and loadgen scale by count
  ##############################################################################

  # Individual API instances, unless the Auto Scaling group launches them (autoscaling.tf).
  api_instances = var.api_autoscaling ? {} : {
    for n in range(1, var.api_instance_count + 1) : "${var.project}-api-${n}" => n
  }

  # runtime.env of every API host, individual or launched by the group.
  api_runtime_env = merge(local.runtime_env["api"], { DB_HOST = local.db_host })
  loadgen_instances = {
    for n in range(1, var.loadgen_instance_count + 1) : "${var.project}-loadgen-${n}" => n
  }

  # Root volume size: the requested size, or the AMI's snapshot size if that is larger (a volume cannot
  # be smaller than its snapshot).
  root_volume_size = {
    for role in local.host_roles : role => max(
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
  # egress rule on the "from" role's group, both referencing the other group, never addresses. The load
  # generator reaches the API only through the load balancer.
  internal_rules = merge(
    {
      alb-http-from-loadgen  = { from = "loadgen", to = "alb", port = 5000, description = "Load balancer listener from the load generator" }
      api-http-from-alb      = { from = "alb", to = "api", port = 5000, description = "Order API from the load balancer" }
      api-admin-from-alb     = { from = "alb", to = "api", port = 8000, description = "Order API readiness (/health/ready) for the load balancer's health checks" }
      api-admin-from-monitor = { from = "monitor", to = "api", port = 8000, description = "Order API admin port (/metrics, /health) from Prometheus" }
      api-node-from-monitor  = { from = "monitor", to = "api", port = 9100, description = "node_exporter from Prometheus" }
      db-mysql-from-api      = { from = "api", to = "db", port = 3306, description = "MySQL from the order API" }
      # The load generator serves metrics only while a stage runs.
      loadgen-metrics-from-monitor = { from = "monitor", to = "loadgen", port = 9464, description = "Load generator metrics from Prometheus" }
      loadgen-node-from-monitor    = { from = "monitor", to = "loadgen", port = 9100, description = "node_exporter from Prometheus" }
      # The load generator judges every stage by what Prometheus saw (--prometheus, PROMETHEUS_URL).
      monitor-prometheus-from-loadgen = { from = "loadgen", to = "monitor", port = 9090, description = "Prometheus query API from the load generator (verdicts)" }
      # EC2 discovery gives Prometheus the monitor's own private address too.
      monitor-node-from-monitor = { from = "monitor", to = "monitor", port = 9100, description = "node_exporter from Prometheus on the same host" }
    },
    local.rds ? {
      # RDS: the monitor creates the accounts and runs mysqld_exporter against the endpoint.
      db-mysql-from-monitor                = { from = "monitor", to = "db", port = 3306, description = "MySQL from the monitor (account bootstrap, mysqld_exporter)" }
      db-mysql-from-loadgen                = { from = "loadgen", to = "db", port = 3306, description = "MySQL from the load generator (db-stress's SQL stress, as the unprivileged stress user)" }
      monitor-mysqld-exporter-from-monitor = { from = "monitor", to = "monitor", port = 9104, description = "mysqld_exporter for RDS from Prometheus on the same host" }
      } : {
      db-mysqld-exporter-from-monitor = { from = "monitor", to = "db", port = 9104, description = "mysqld_exporter from Prometheus" }
      db-node-from-monitor            = { from = "monitor", to = "db", port = 9100, description = "node_exporter from Prometheus" }
    },
  )

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
      # With RDS the monitor creates the accounts and runs mysqld_exporter against the endpoint.
      role == "monitor" && local.rds ? { DB_HOST = local.db_host } : {},
    )
  }
}
