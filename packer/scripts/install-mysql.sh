#!/usr/bin/env bash
# scripts/install-mysql.sh: MySQL 8.0 from the distribution's archive with the demo's settings, and stress-ng for
# the db-stress stage. Parameters (env): MYSQL_PACKAGES, MYSQL_CONF_DIR, MYSQL_SERVICE, STRESS_PACKAGE.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# Ubuntu 24.04's defaults. The test chroot (Debian 12, no MySQL 8) passes mariadb-server, mariadb-client,
# /etc/mysql/mariadb.conf.d and mariadb.
MYSQL_PACKAGES=${MYSQL_PACKAGES:-mysql-server-8.0 mysql-client-8.0}
MYSQL_CONF_DIR=${MYSQL_CONF_DIR:-/etc/mysql/mysql.conf.d}
MYSQL_SERVICE=${MYSQL_SERVICE:-mysql}
STRESS_PACKAGE=${STRESS_PACKAGE:-stress-ng}
SETTINGS=$STAGE/rootfs/db/etc/mysql/mysql.conf.d/zz1-prometheus-demo.cnf
require_file "$SETTINGS"

# shellcheck disable=SC2086 # a list of package names
# openssl: mysql-instance-secrets makes each instance's TLS keys with it at first boot.
apt_install $MYSQL_PACKAGES "$STRESS_PACKAGE" openssl
[ -d "$MYSQL_CONF_DIR" ] || die "$MYSQL_CONF_DIR does not exist after installing $MYSQL_PACKAGES"

# Installed here rather than by install-rootfs.sh: the directory the server reads depends on the package.
log "installing the demo settings into $MYSQL_CONF_DIR"
install -m 0644 "$SETTINGS" "$MYSQL_CONF_DIR/zz1-prometheus-demo.cnf"

# The slow query log's directory: Ubuntu's package makes it, Debian's MariaDB does not, and the server turns
# the slow log off for good when it cannot open the file. Created only if missing (its owner and mode stay).
if [ ! -d /var/log/mysql ]; then
  install -d -o mysql -g adm -m 2750 /var/log/mysql
fi

# What the boot scripts need to know about this server (no secrets).
cat >/etc/prometheus-demo/mysql.env <<ENV
# Written by packer/scripts/install-mysql.sh: where the boot-time MySQL settings go.
MYSQL_CONF_DIR=$MYSQL_CONF_DIR
MYSQL_SERVICE=$MYSQL_SERVICE
# innodb_buffer_pool_size as a share of the instance's memory (configure-mysql-runtime).
BUFFER_POOL_PERCENT=55
ENV
chmod 0644 /etc/prometheus-demo/mysql.env
