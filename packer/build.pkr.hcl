# The four role images: one build, one build-level source per role, provisioners shared unless `only` names
# roles. Order: base system, AWS CLI, the role's software and configuration, exporters, the rootfs tree (units,
# drop-ins, boot scripts), then verify-<role>.sh and cleanup.sh. `packer build -only=amazon-ebs.db .` bakes one.

build {
  ##############################################################################
  # Roles
  ##############################################################################

  source "amazon-ebs.base" {
    name            = "api"
    ami_name        = "${var.project}-api-${var.version}-${var.git_commit}-${local.timestamp}"
    ami_description = "${var.project} order API (Helidon SE, jlink runtime), version ${var.version}"
    tags            = merge(local.image_tags, { Role = "api", Name = "${var.project}-api-${var.version}" })
    snapshot_tags   = merge(local.image_tags, { Role = "api", Name = "${var.project}-api-${var.version}" })
  }

  source "amazon-ebs.base" {
    name            = "db"
    ami_name        = "${var.project}-db-${var.version}-${var.git_commit}-${local.timestamp}"
    ami_description = "${var.project} MySQL 8.0 with mysqld_exporter and stress-ng, version ${var.version}"
    tags            = merge(local.image_tags, { Role = "db", Name = "${var.project}-db-${var.version}" })
    snapshot_tags   = merge(local.image_tags, { Role = "db", Name = "${var.project}-db-${var.version}" })
  }

  source "amazon-ebs.base" {
    name            = "monitor"
    ami_name        = "${var.project}-monitor-${var.version}-${var.git_commit}-${local.timestamp}"
    ami_description = "${var.project} Prometheus and Grafana, version ${var.version}"
    tags            = merge(local.image_tags, { Role = "monitor", Name = "${var.project}-monitor-${var.version}" })
    snapshot_tags   = merge(local.image_tags, { Role = "monitor", Name = "${var.project}-monitor-${var.version}" })
  }

  source "amazon-ebs.base" {
    name            = "loadgen"
    ami_name        = "${var.project}-loadgen-${var.version}-${var.git_commit}-${local.timestamp}"
    ami_description = "${var.project} load generator (loadtest.jar, AWS CLI), version ${var.version}"
    tags            = merge(local.image_tags, { Role = "loadgen", Name = "${var.project}-loadgen-${var.version}" })
    snapshot_tags   = merge(local.image_tags, { Role = "loadgen", Name = "${var.project}-loadgen-${var.version}" })
  }

  ##############################################################################
  # Every role: staging directories, base system, AWS CLI
  ##############################################################################

  # As the SSH user, so that the file provisioners below can write into the staging tree.
  provisioner "shell" {
    inline = [
      "mkdir -p ${local.stage}/rootfs ${local.stage}/libs ${local.stage}/observability/exporters",
      "mkdir -p ${local.stage}/observability/prometheus/rules ${local.stage}/observability/grafana/provisioning",
      "mkdir -p ${local.stage}/observability/grafana/dashboards ${local.stage}/observability/bin",
    ]
  }

  # Every script sources lib.sh from its own directory; Packer uploads scripts to /tmp.
  provisioner "file" {
    source      = "scripts/lib.sh"
    destination = "/tmp/lib.sh"
  }

  provisioner "file" {
    source      = "files/rootfs/"
    destination = "${local.stage}/rootfs"
  }

  provisioner "shell" {
    execute_command  = local.sudo_bash
    environment_vars = ["ROLE=${source.name}"]
    scripts          = ["scripts/configure-base.sh", "scripts/install-aws-cli.sh"]
  }

  ##############################################################################
  # Artifacts and configuration: uploaded straight from the build output and from observability/, the same
  # files the local stack runs with (test.sh checks that no copy of them lives in packer/).
  ##############################################################################

  provisioner "file" {
    only        = ["amazon-ebs.api", "amazon-ebs.loadgen"]
    source      = var.java_runtime_archive
    destination = "${local.stage}/java-runtime.tar.gz"
  }

  provisioner "file" {
    only        = ["amazon-ebs.api"]
    source      = var.api_jar
    destination = "${local.stage}/order-api.jar"
  }

  provisioner "file" {
    only        = ["amazon-ebs.api"]
    source      = "${var.api_libs_dir}/"
    destination = "${local.stage}/libs"
  }

  provisioner "file" {
    only        = ["amazon-ebs.loadgen"]
    source      = var.loadtest_jar
    destination = "${local.stage}/loadtest.jar"
  }

  provisioner "file" {
    source      = "../observability/exporters/node-exporter.flags"
    destination = "${local.stage}/observability/exporters/node-exporter.flags"
  }

  # The db runs mysqld_exporter beside MySQL; the monitor runs it against RDS when the database is RDS.
  provisioner "file" {
    only        = ["amazon-ebs.db", "amazon-ebs.monitor"]
    source      = "../observability/exporters/mysqld-exporter.flags"
    destination = "${local.stage}/observability/exporters/mysqld-exporter.flags"
  }

  provisioner "file" {
    only        = ["amazon-ebs.monitor"]
    source      = "../observability/prometheus/prometheus.yml"
    destination = "${local.stage}/observability/prometheus/prometheus.yml"
  }

  # The renderer the local stack uses too: the monitor's boot sets the project and region with it.
  provisioner "file" {
    only        = ["amazon-ebs.monitor"]
    source      = "../observability/bin/render-config"
    destination = "${local.stage}/observability/bin/render-config"
  }

  provisioner "file" {
    only        = ["amazon-ebs.monitor"]
    source      = "../observability/prometheus/rules/"
    destination = "${local.stage}/observability/prometheus/rules"
  }

  provisioner "file" {
    only        = ["amazon-ebs.monitor"]
    source      = "../observability/grafana/provisioning/"
    destination = "${local.stage}/observability/grafana/provisioning"
  }

  provisioner "file" {
    only        = ["amazon-ebs.monitor"]
    source      = "../observability/grafana/dashboards/"
    destination = "${local.stage}/observability/grafana/dashboards"
  }

  ##############################################################################
  # Role software
  ##############################################################################

  provisioner "shell" {
    only            = ["amazon-ebs.api"]
    execute_command = local.sudo_bash
    scripts         = ["scripts/install-java-runtime.sh", "scripts/install-order-api.sh"]
  }

  provisioner "shell" {
    only            = ["amazon-ebs.db"]
    execute_command = local.sudo_bash
    scripts         = ["scripts/install-mysql.sh"]
  }

  provisioner "shell" {
    only             = ["amazon-ebs.monitor"]
    execute_command  = local.sudo_bash
    environment_vars = ["GRAFANA_VERSION=${var.grafana_version}"]
    scripts          = ["scripts/install-prometheus.sh", "scripts/install-grafana.sh", "scripts/install-mysql-client.sh"]
  }

  provisioner "shell" {
    only            = ["amazon-ebs.loadgen"]
    execute_command = local.sudo_bash
    scripts         = ["scripts/install-java-runtime.sh", "scripts/install-loadtest.sh"]
  }

  ##############################################################################
  # Every role: exporters, units and boot scripts, then verify and clean up
  ##############################################################################

  provisioner "shell" {
    execute_command  = local.sudo_bash
    environment_vars = ["ROLE=${source.name}"]
    scripts          = ["scripts/configure-exporters.sh", "scripts/install-rootfs.sh"]
  }

  provisioner "shell" {
    execute_command  = local.sudo_bash
    environment_vars = ["ROLE=${source.name}"]
    scripts          = ["scripts/verify-${source.name}.sh", "scripts/cleanup.sh"]
  }

  post-processor "manifest" {
    output     = "packer-manifest.json"
    strip_path = true
    custom_data = {
      project    = var.project
      version    = var.version
      git_commit = var.git_commit
    }
  }
}
