#!/usr/bin/env bash
# scripts/install-mysql-client.sh: the MySQL client on the monitor, which creates the accounts on RDS at boot when
# the database is RDS (create-rds-accounts). Parameters (env): MYSQL_CLIENT_PACKAGE.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# Ubuntu 24.04's MySQL 8.0 client; the test chroot (Debian 12) passes mariadb-client.
MYSQL_CLIENT_PACKAGE=${MYSQL_CLIENT_PACKAGE:-mysql-client-8.0}

apt_install "$MYSQL_CLIENT_PACKAGE"
command -v mysql >/dev/null || die "no mysql client after installing $MYSQL_CLIENT_PACKAGE"
log "$MYSQL_CLIENT_PACKAGE installed"
