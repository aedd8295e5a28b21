#!/usr/bin/env bash
# scripts/verify-db.sh: the db image before it is sealed: MySQL's configuration valid and effective (including the
# boot drop-in winning over the distribution's bind-address), exporters, stress-ng and the units. Parameters (env):
# MYSQLD (server binary), MYSQLD_VALIDATE (1: mysqld --validate-config, MySQL 8.0.16+; 0: MariaDB).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

MYSQLD=${MYSQLD:-/usr/sbin/mysqld}
MYSQLD_VALIDATE=${MYSQLD_VALIDATE:-1}
verify_common
require_file /etc/prometheus-demo/mysql.env /etc/prometheus-demo/exporters/mysqld-exporter.flags "$MYSQLD"
command -v stress-ng >/dev/null || die "stress-ng is missing (db-stress stage)"
[ -d /var/log/mysql ] || die "/var/log/mysql is missing: MySQL would turn the slow query log off"
# shellcheck source=/dev/null
. /etc/prometheus-demo/mysql.env

# The boot step's output for a sample address, then the effective options: the last value of each wins.
PRIVATE_IP=192.0.2.10 MYSQL_CONF_DIR=$MYSQL_CONF_DIR /usr/local/lib/prometheus-demo/configure-mysql-runtime
trap 'rm -f "$MYSQL_CONF_DIR/zz2-prometheus-demo-boot.cnf"' EXIT
effective() {
  my_print_defaults mysqld | sed -n "s/^--$1=//p" | tail -1
}
for expected in bind-address=192.0.2.10 performance_schema=ON slow_query_log=ON long_query_time=0.5; do
  actual=$(effective "${expected%%=*}")
  [ "$actual" = "${expected#*=}" ] || die "${expected%%=*} is '$actual', expected '${expected#*=}' (file order?)"
done
[ -n "$(effective innodb_buffer_pool_size)" ] || die "innodb_buffer_pool_size is not set"
if [ "$MYSQLD_VALIDATE" = 1 ]; then
  "$MYSQLD" --validate-config --user=mysql
else
  # MariaDB has no --validate-config; parsing every option and exiting is the nearest check.
  "$MYSQLD" --help --verbose --user=mysql >/dev/null
fi
log "MySQL configuration valid; effective bind-address, performance_schema, slow log as intended"
rm -f "$MYSQL_CONF_DIR/zz2-prometheus-demo-boot.cnf"
trap - EXIT

verify_units prometheus-node-exporter.service mysql-runtime-config.service mysql-instance-secrets.service \
  "$MYSQL_SERVICE.service" db-bootstrap.service prometheus-mysqld-exporter.service
command -v openssl >/dev/null || die "openssl is missing (mysql-instance-secrets makes the TLS keys with it)"
if [ "$MYSQL_SERVICE" != mysql ]; then
  # The demo's drop-in is named for mysql.service (Ubuntu's unit; an alias of Debian's mariadb.service).
  SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no mysql.service || die "systemd-analyze verify mysql.service"
fi
log "db image verified"
