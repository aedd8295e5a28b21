#!/usr/bin/env bash
# scripts/install-prometheus.sh: Prometheus from the distribution's archive with the repository's AWS
# configuration and rules (observability/prometheus, uploaded unchanged). Parameters (env): PROMETHEUS_PACKAGE.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# Ubuntu 24.04: prometheus 2.45 (an LTS line of Prometheus), patched through Ubuntu's security pocket.
PROMETHEUS_PACKAGE=${PROMETHEUS_PACKAGE:-prometheus}
SOURCE=$STAGE/observability/prometheus
require_file "$SOURCE/prometheus.yml" "$SOURCE/rules"
ls "$SOURCE"/rules/*.yml >/dev/null 2>&1 || die "$SOURCE/rules holds no rule files"

apt_install "$PROMETHEUS_PACKAGE"

log "installing prometheus.yml and the rules into /etc/prometheus"
install -m 0644 "$SOURCE/prometheus.yml" /etc/prometheus/prometheus.yml
# Replaced as a whole, so a rule file deleted from the repository leaves the image too.
rm -rf /etc/prometheus/rules
install -d -m 0755 /etc/prometheus/rules
install -m 0644 "$SOURCE"/rules/*.yml /etc/prometheus/rules/
promtool check config /etc/prometheus/prometheus.yml
