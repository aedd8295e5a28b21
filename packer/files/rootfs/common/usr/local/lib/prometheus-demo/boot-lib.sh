#!/usr/bin/env bash
# /usr/local/lib/prometheus-demo/boot-lib.sh: helpers for the boot scripts beside it (sourced, not run).
# They read the settings user_data wrote, instance metadata (IMDSv2) and SSM parameters; nothing is cached on disk.

RUNTIME_ENV=${RUNTIME_ENV:-/etc/prometheus-demo/runtime.env}

boot_log() {
  printf '%s: %s\n' "$(basename "$0")" "$*" >&2
}

boot_die() {
  boot_log "ERROR: $*"
  exit 1
}

# load_runtime_env [NAME...]: exports the settings user_data wrote (docs/architecture.md) and checks that
# PROJECT, ROLE, AWS_REGION, SSM_PREFIX and the extra NAMEs are set.
load_runtime_env() {
  local name
  [ -r "$RUNTIME_ENV" ] || boot_die "$RUNTIME_ENV is missing: user_data writes it (terraform/)"
  set -a
  # shellcheck source=/dev/null
  . "$RUNTIME_ENV"
  set +a
  for name in PROJECT ROLE AWS_REGION SSM_PREFIX "$@"; do
    [ -n "${!name:-}" ] || boot_die "$name is not set in $RUNTIME_ENV"
  done
}

# imds PATH: one instance metadata value, with an IMDSv2 session token (the instances require IMDSv2).
imds() {
  local token
  token=$(curl -sSf --max-time 5 --retry 5 --retry-connrefused -X PUT \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token) ||
    boot_die "no IMDSv2 token from instance metadata"
  curl -sSf --max-time 5 --retry 5 -H "X-aws-ec2-metadata-token: $token" \
    "http://169.254.169.254/latest/meta-data/$1" || boot_die "instance metadata $1 not available"
}

# ssm_get NAME: the decrypted value of a SecureString parameter. Retried: at boot the instance profile's
# credentials and the route to SSM can take a few seconds to appear.
ssm_get() {
  local name=$1 attempt value
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if value=$(aws ssm get-parameter --region "$AWS_REGION" --with-decryption --name "$name" \
      --query Parameter.Value --output text); then
      check_secret "$name" "$value"
      printf '%s' "$value"
      return 0
    fi
    boot_log "reading SSM parameter $name failed (attempt $attempt), retrying"
    sleep $((attempt * 2))
  done
  boot_die "cannot read SSM parameter $name: does the instance profile allow ssm:GetParameter on it?"
}

# check_secret NAME VALUE: a password goes into SQL, a my.cnf and a systemd environment file; rather than quote
# it three ways, only characters none of them treats specially are accepted (terraform/ makes 32 alphanumerics).
check_secret() {
  [[ "$2" =~ ^[A-Za-z0-9_.,:=+@%^~/-]{12,128}$ ]] ||
    boot_die "$1 must be 12-128 characters of A-Z a-z 0-9 _ . , : = + @ % ^ ~ / - (no quotes or blanks)"
}

# write_private FILE: writes stdin to FILE (root only, 0600) atomically.
write_private() {
  local file=$1 tmp
  # Made only when missing: install -d would also reset the mode of an existing directory.
  [ -d "$(dirname "$file")" ] || install -d -m 0755 "$(dirname "$file")"
  tmp=$(mktemp "$file.XXXXXX")
  chmod 0600 "$tmp"
  cat >"$tmp"
  mv -f "$tmp" "$file"
}

# db_accounts_sql APP_HOST EXPORTER_HOST APP_PASSWORD EXPORTER_PASSWORD EXTRA_GRANT: the orders database and its two
# accounts, as idempotent SQL on stdout (every boot re-applies the passwords from SSM). The db host runs it as root
# (create-db-accounts); with RDS the monitor runs it as the master user (create-rds-accounts). The passwords passed
# check_secret, so they need no quoting. EXTRA_GRANT: ", SLAVE MONITOR" on MariaDB (the test's stand-in), else "".
db_accounts_sql() {
  local app_host=$1 exporter_host=$2 app_pw="'$3'" exporter_pw="'$4'" extra_grant=$5
  cat <<SQL
CREATE DATABASE IF NOT EXISTS orders CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'orders'@'$app_host' IDENTIFIED BY $app_pw;
ALTER USER 'orders'@'$app_host' IDENTIFIED BY $app_pw;
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES, TRIGGER
  ON orders.* TO 'orders'@'$app_host';
CREATE USER IF NOT EXISTS 'exporter'@'$exporter_host' IDENTIFIED BY $exporter_pw WITH MAX_USER_CONNECTIONS 3;
ALTER USER 'exporter'@'$exporter_host' IDENTIFIED BY $exporter_pw WITH MAX_USER_CONNECTIONS 3;
GRANT PROCESS, REPLICATION CLIENT, SELECT$extra_grant ON *.* TO 'exporter'@'$exporter_host';
SQL
}

# vpc_account_host: the VPC's range as a MySQL account host (address/netmask, which MySQL and MariaDB both accept),
# from VPC_CIDR (tests) or instance metadata.
vpc_account_host() {
  local vpc_cidr=${VPC_CIDR:-} mac network prefix mask
  if [ -z "$vpc_cidr" ]; then
    mac=$(imds mac)
    vpc_cidr=$(imds "network/interfaces/macs/$mac/vpc-ipv4-cidr-block")
  fi
  [[ "$vpc_cidr" =~ ^([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+)/([0-9]+)$ ]] || boot_die "not an IPv4 CIDR: '$vpc_cidr'"
  network=${BASH_REMATCH[1]}
  prefix=${BASH_REMATCH[2]}
  mask=$((0xffffffff << (32 - prefix) & 0xffffffff))
  printf '%s/%s' "$network" "$((mask >> 24 & 255)).$((mask >> 16 & 255)).$((mask >> 8 & 255)).$((mask & 255))"
}
