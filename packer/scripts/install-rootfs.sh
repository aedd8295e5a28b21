#!/usr/bin/env bash
# scripts/install-rootfs.sh: copies files/rootfs/common and files/rootfs/<role> (systemd units and drop-ins,
# settings, boot scripts) onto the image and enables the role's services. Parameters (env): ROLE.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

require_env ROLE
case "$ROLE" in api | db | monitor | loadgen) ;; *) die "ROLE must be api, db, monitor or loadgen, was '$ROLE'" ;; esac
require_file "$STAGE/rootfs/common" "$STAGE/rootfs/$ROLE"

for tree in common "$ROLE"; do
  log "copying rootfs/$tree"
  # Owned by root whoever uploaded them; modes as in the repository. MySQL's settings are installed by
  # install-mysql.sh, into the directory its server package reads.
  tar -C "$STAGE/rootfs/$tree" --exclude=./etc/mysql --owner=root --group=root -cf - . |
    tar -C / --no-overwrite-dir --no-same-owner -xf -
done
chmod -R go-w /etc/systemd/system /usr/local/lib/prometheus-demo /usr/local/bin
# Executable whatever the upload kept of the modes: the boot scripts and the wrappers.
find /usr/local/lib/prometheus-demo -type f -exec chmod 0755 {} +
for tree in common "$ROLE"; do
  if [ -d "$STAGE/rootfs/$tree/usr/local/bin" ]; then
    find "$STAGE/rootfs/$tree/usr/local/bin" -type f -printf '/usr/local/bin/%f\0' | xargs -0 -r chmod 0755
  fi
done
systemctl daemon-reload 2>/dev/null || true

# The services each role starts at boot; the oneshot boot steps are pulled in by their Requires/RequiredBy.
units=(prometheus-node-exporter.service)
case "$ROLE" in
  api) units+=(order-api-config.service order-api-migrate.service order-api.service) ;;
  db)
    units+=(mysql-runtime-config.service mysql-instance-secrets.service db-bootstrap.service
      prometheus-mysqld-exporter.service)
    ;;
  monitor)
    # The RDS units run only when runtime.env names an RDS endpoint (their ExecCondition); skipped otherwise.
    units+=(prometheus-config.service prometheus.service rds-accounts.service prometheus-mysqld-exporter.service)
    # Not there when install-grafana.sh skipped the package (the test chroot).
    if [ -e /lib/systemd/system/grafana-server.service ] || [ -e /usr/lib/systemd/system/grafana-server.service ]; then
      units+=(grafana-admin-config.service grafana-server.service)
    else
      log "SKIP: grafana-server.service not installed; not enabling Grafana"
    fi
    ;;
  loadgen) ;;
esac
log "enabling ${units[*]}"
enable_units "${units[@]}"
