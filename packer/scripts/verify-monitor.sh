#!/usr/bin/env bash
# scripts/verify-monitor.sh: the monitor image before it is sealed: Prometheus's configuration and rules (also as
# rendered at boot for another region), Grafana's provisioning and dashboards, no Grafana database, the RDS
# units' condition and tools, the units.
# Parameters (env): GRAFANA_SKIP (1: Grafana's package was not installed).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

GRAFANA_SKIP=${GRAFANA_SKIP:-0}
verify_common
promtool check config /etc/prometheus/prometheus.yml
promtool check rules /etc/prometheus/rules/*.yml

# The boot step, for a project and region other than the file's, into a scratch directory: discovery must ask
# for that project only.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
printf 'PROJECT=shop-demo\nROLE=monitor\nAWS_REGION=us-east-2\nSSM_PREFIX=/shop-demo\n' >"$scratch/runtime.env"
RUNTIME_ENV=$scratch/runtime.env PROMETHEUS_RUNTIME_DIR=$scratch/prometheus \
  /usr/local/lib/prometheus-demo/configure-prometheus
rendered=$scratch/prometheus/prometheus.yml
grep -q 'region: us-east-2' "$rendered" || die "the boot step did not set the region"
! grep -v '^#' "$rendered" | grep -q 'prometheus-demo' || die "the rendered configuration still names prometheus-demo"
[ "$(grep -c -- '- shop-demo' "$rendered")" -ge 5 ] || die "the EC2 filters do not ask for project shop-demo"

require_file /etc/grafana/provisioning/datasources /etc/grafana/provisioning/dashboards
for dashboard in /etc/grafana/dashboards/*.json; do
  [ -e "$dashboard" ] || die "no dashboards in /etc/grafana/dashboards"
  jq -e '.uid and .title' "$dashboard" >/dev/null || die "$dashboard is not a dashboard (uid, title)"
done
# Grafana creates its database, and the admin account with the SSM password, at the first start on an instance.
[ ! -e /var/lib/grafana/grafana.db ] || die "/var/lib/grafana/grafana.db must not be baked"

# With RDS the monitor makes the accounts and runs mysqld_exporter; the units run only when runtime.env says so.
command -v mysql >/dev/null || die "no mysql client (create-rds-accounts)"
require_file /usr/bin/prometheus-mysqld-exporter /etc/prometheus-demo/exporters/mysqld-exporter.flags
printf 'PROJECT=shop-demo\nROLE=monitor\n' >"$scratch/instance.env"
printf 'PROJECT=shop-demo\nROLE=monitor\nDB_HOST=shop-demo-db.abc.us-east-2.rds.amazonaws.com\n' >"$scratch/rds.env"
! RUNTIME_ENV=$scratch/instance.env /usr/local/lib/prometheus-demo/uses-rds || die "uses-rds says RDS without DB_HOST"
RUNTIME_ENV=$scratch/rds.env /usr/local/lib/prometheus-demo/uses-rds || die "uses-rds does not see DB_HOST"

units=(prometheus-node-exporter.service prometheus-config.service prometheus.service rds-accounts.service
  prometheus-mysqld-exporter.service)
if [ "$GRAFANA_SKIP" = 1 ]; then
  log "SKIP: Grafana not installed (GRAFANA_SKIP=1): grafana-server units not verified"
else
  [ "$(apt-mark showhold grafana)" = grafana ] || die "grafana is not held at its pinned version"
  units+=(grafana-admin-config.service grafana-server.service)
fi
verify_units "${units[@]}"
log "monitor image verified"
