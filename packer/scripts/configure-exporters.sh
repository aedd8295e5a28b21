#!/usr/bin/env bash
# scripts/configure-exporters.sh: node_exporter on every role, mysqld_exporter on db and on monitor (which runs it
# against RDS when the database is RDS), from the distribution's packages, with the repository's flags files
# (observability/exporters, uploaded unchanged). Parameters (env): ROLE, NODE_EXPORTER_PACKAGE, MYSQLD_EXPORTER_PACKAGE.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

require_env ROLE
NODE_EXPORTER_PACKAGE=${NODE_EXPORTER_PACKAGE:-prometheus-node-exporter}
MYSQLD_EXPORTER_PACKAGE=${MYSQLD_EXPORTER_PACKAGE:-prometheus-mysqld-exporter}
SOURCE=$STAGE/observability/exporters
FLAGS_DIR=/etc/prometheus-demo/exporters

exporters=(node)
case "$ROLE" in db | monitor) exporters+=(mysqld) ;; esac

for exporter in "${exporters[@]}"; do
  case "$exporter" in
    node) package=$NODE_EXPORTER_PACKAGE ;;
    mysqld) package=$MYSQLD_EXPORTER_PACKAGE ;;
  esac
  require_file "$SOURCE/$exporter-exporter.flags"
  apt_install "$package"
  # The units (files/rootfs) append this file's flags to the listen address and, for mysqld, the my.cnf.
  install -D -m 0644 "$SOURCE/$exporter-exporter.flags" "$FLAGS_DIR/$exporter-exporter.flags"
  log "$package installed with $FLAGS_DIR/$exporter-exporter.flags"
done
