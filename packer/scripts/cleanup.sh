#!/usr/bin/env bash
# scripts/cleanup.sh: the last step of every image: stops what the bake started, removes state that must be
# unique per instance (SSH host keys, machine-id, cloud-init state, MySQL's server UUID), caches, logs and the
# staged files, then checks that none is left. Parameters (env): ROLE.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

require_env ROLE
running_systemd=0
[ -d /run/systemd/system ] && running_systemd=1

stop_service() {
  if [ "$running_systemd" = 1 ]; then
    systemctl stop "$@" 2>/dev/null || true
  fi
}

case "$ROLE" in
  db)
    stop_service mysql.service prometheus-mysqld-exporter.service
    # MySQL made a server UUID, TLS certificates and keys at its first start, and the package a debian-sys-maint
    # password: every instance makes its own (mysql-instance-secrets.service, before MySQL starts).
    rm -f /var/lib/mysql/auto.cnf "${MYSQL_INSTANCE_FILES[@]}"
    ;;
  monitor)
    stop_service grafana-server.service prometheus.service prometheus-mysqld-exporter.service
    # Samples the bake's Prometheus scraped, and any Grafana database (it would carry the default admin).
    rm -rf /var/lib/prometheus/metrics2/* /var/lib/grafana/grafana.db
    ;;
esac
stop_service prometheus-node-exporter.service

log "removing apt caches and lists"
apt-get -y -q autoremove --purge
apt-get -q clean
rm -rf /var/lib/apt/lists/*

if command -v cloud-init >/dev/null; then
  # The first boot of every instance runs cloud-init (and user_data) afresh.
  log "cleaning cloud-init state"
  cloud-init clean --logs --seed
fi

log "removing SSH host keys, machine-id, histories, logs and staged files"
# Regenerated at first boot (cloud-init, ssh.service); shared host keys would let one instance impersonate another.
rm -f /etc/ssh/ssh_host_*
# Empty, not absent: systemd makes a new one at first boot.
truncate -s 0 /etc/machine-id
# Ubuntu links this to /etc/machine-id; only a copy of its own would carry the bake's id.
if [ -f /var/lib/dbus/machine-id ] && [ ! -L /var/lib/dbus/machine-id ]; then
  rm -f /var/lib/dbus/machine-id
fi
rm -f /root/.bash_history /home/*/.bash_history /root/.lesshst
rm -rf /root/.cache /tmp/* /var/tmp/*
rm -rf "$STAGE"
find /var/log -type f \( -name '*.gz' -o -name '*.[0-9]' -o -name '*.old' \) -delete
find /var/log -type f -exec truncate -s 0 {} +
if command -v journalctl >/dev/null && [ "$running_systemd" = 1 ]; then
  journalctl --rotate >/dev/null 2>&1 || true
  journalctl --vacuum-time=1s >/dev/null 2>&1 || true
fi

# The clean-image check: what must never be in an image.
for leftover in /etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_ed25519_key /etc/prometheus-demo/runtime.env \
  /etc/prometheus-demo/mysqld-exporter.my.cnf /var/lib/grafana/grafana.db "$STAGE" /var/lib/mysql/auto.cnf \
  "${MYSQL_INSTANCE_FILES[@]}"; do
  [ ! -e "$leftover" ] || die "$leftover is still in the image"
done
[ ! -s /etc/machine-id ] || die "/etc/machine-id is not empty"
log "image clean"
