#!/usr/bin/env bash
# scripts/install-prometheus.sh: Prometheus from the distribution's archive with the repository's AWS
# configuration and rules (observability/prometheus, uploaded unchanged). Parameters (env): PROMETHEUS_PACKAGE.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# Ubuntu 24.04: prometheus 2.45 (an LTS line of Prometheus), patched through Ubuntu's security pocket.
PROMETHEUS_PACKAGE=${PROMETHEUS_PACKAGE:-prometheus}
SOURCE=$STAGE/observability/prometheus
RENDER_CONFIG=$STAGE/observability/bin/render-config
require_file "$SOURCE/prometheus.yml" "$SOURCE/rules" "$RENDER_CONFIG"
ls "$SOURCE"/rules/*.yml >/dev/null 2>&1 || die "$SOURCE/rules holds no rule files"

# python3-yaml for render-config (Ubuntu's cloud-init needs it too, so it is there already).
apt_install "$PROMETHEUS_PACKAGE" python3 python3-yaml

# The boot step (configure-prometheus) renders the configuration for this instance's project and region with
# the same observability/bin/render-config the local stack uses.
install -D -m 0755 "$RENDER_CONFIG" /usr/local/lib/prometheus-demo/render-config

log "installing prometheus.yml and the rules into /etc/prometheus"
install -m 0644 "$SOURCE/prometheus.yml" /etc/prometheus/prometheus.yml
# Replaced as a whole, so a rule file deleted from the repository leaves the image too.
rm -rf /etc/prometheus/rules
install -d -m 0755 /etc/prometheus/rules
install -m 0644 "$SOURCE"/rules/*.yml /etc/prometheus/rules/
promtool check config /etc/prometheus/prometheus.yml
