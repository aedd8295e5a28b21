#!/usr/bin/env bash
# scripts/lib.sh: helpers for the provisioning scripts (sourced, not run). Packer uploads it to /tmp beside them.
# Every helper is idempotent; package names come from the calling script's parameters.

# Where the file provisioners staged the rootfs tree, artifacts and observability files.
STAGE=${STAGE:-/tmp/packer-files}
export DEBIAN_FRONTEND=noninteractive
# Ubuntu's needrestart would otherwise ask which services to restart after an upgrade.
export NEEDRESTART_MODE=a

log() {
  printf '==> %s: %s\n' "$(basename "$0")" "$*"
}

die() {
  printf 'ERROR %s: %s\n' "$(basename "$0")" "$*" >&2
  exit 1
}

# require_env NAME...: fails unless each variable is set and non-empty.
require_env() {
  local name
  for name in "$@"; do
    [ -n "${!name:-}" ] || die "$name must be set"
  done
}

# require_file PATH...: fails unless each file or directory exists.
require_file() {
  local path
  for path in "$@"; do
    [ -e "$path" ] || die "$path is missing (was it uploaded?)"
  done
}

# Waits for cloud-init to finish its first boot: it runs apt itself, and apt-daily and unattended-upgrades may
# start too, so a provisioner's apt-get would otherwise race them for the dpkg lock.
wait_for_cloud_init() {
  if command -v cloud-init >/dev/null; then
    log "waiting for cloud-init"
    # Exit code 2 means "done, with recoverable errors" (cloud-init 23.4 and later); the image can go on.
    cloud-init status --wait >/dev/null || [ $? -eq 2 ] || die "cloud-init failed: cloud-init status --long"
  fi
}

# apt-get with a wait on the dpkg lock instead of failing at once (apt 1.9.11+ honours DPkg::Lock::Timeout).
apt_get() {
  apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confold -y -q "$@"
}

# apt_install PKG...: installs what is missing, without recommended packages.
apt_install() {
  local pkg missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing ${missing[*]}"
  apt_get install --no-install-recommends "${missing[@]}"
}

# enable_units UNIT...: enables units for the next boot. systemctl works without a running systemd (a chroot).
enable_units() {
  command -v systemctl >/dev/null || die "systemctl not found: systemd must be installed"
  systemctl enable "$@"
}

# install_staged SRC DEST MODE [OWNER]: copies one staged file into place (install -D creates parent dirs).
install_staged() {
  local src=$1 dest=$2 mode=$3 owner=${4:-root:root}
  require_file "$src"
  install -D -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$src" "$dest"
}

# verify_units UNIT...: each unit is enabled and passes `systemd-analyze verify` (with its drop-ins, so a missing
# ExecStart binary or a misspelt directive fails the bake here rather than at boot).
verify_units() {
  local unit
  for unit in "$@"; do
    systemctl is-enabled --quiet "$unit" || die "$unit is not enabled"
  done
  # --man=no: the packages' Documentation=man: pages are not what is under test (and may not be installed).
  SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$@" || die "systemd-analyze verify failed: $*"
  log "enabled and verified: $*"
}

# What MySQL and its package make once and that must differ per instance (TLS/RSA keys, the maintenance
# password): removed at the end of the bake, made at first boot by create-mysql-instance-secrets.
# shellcheck disable=SC2034 # used by the scripts that source this file (cleanup.sh)
MYSQL_INSTANCE_FILES=(/var/lib/mysql/ca.pem /var/lib/mysql/ca-key.pem /var/lib/mysql/server-cert.pem
  /var/lib/mysql/server-key.pem /var/lib/mysql/client-cert.pem /var/lib/mysql/client-key.pem
  /var/lib/mysql/private_key.pem /var/lib/mysql/public_key.pem /etc/mysql/debian.cnf)

# The hardening of the boot units that run the AWS CLI (order-api-config, db-bootstrap, grafana-admin-config).
HARDENING=(NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes)

# verify_aws_cli: the AWS CLI is a plain program (not a snap, which cannot run in those units) and, where systemd
# runs (the bake; the test chroot has none, its boot test runs the units themselves), runs under their hardening.
verify_aws_cli() {
  local aws out property properties=()
  aws=$(command -v aws) || die "the AWS CLI is missing"
  case "$(readlink -f "$aws")" in
    /snap/* | */snap) die "aws is a snap ($(readlink -f "$aws")): it cannot run under NoNewPrivileges/ProtectHome" ;;
  esac
  if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null; then
    for property in "${HARDENING[@]}"; do properties+=(-p "$property"); done
    out=$(systemd-run --quiet --wait --pipe --collect "${properties[@]}" "$aws" --version 2>&1) ||
      die "the AWS CLI fails under ${HARDENING[*]}: $out"
    log "AWS CLI runs under ${HARDENING[*]}: $out"
  else
    log "no running systemd: the AWS CLI under ${HARDENING[*]} is checked when the image boots (packer/test.sh)"
  fi
}

# verify_common: what every image holds: node_exporter and its flags, the AWS CLI, no runtime settings or secrets.
verify_common() {
  require_file /etc/prometheus-demo/exporters/node-exporter.flags /usr/local/lib/prometheus-demo/boot-lib.sh
  verify_aws_cli
  if [ "${SSM_AGENT:-snap}" = snap ]; then
    snap list amazon-ssm-agent >/dev/null || die "the SSM agent snap is missing"
  fi
  # user_data writes runtime.env; secrets only ever exist under /run on a running instance.
  [ ! -e /etc/prometheus-demo/runtime.env ] || die "/etc/prometheus-demo/runtime.env must not be baked"
  [ ! -e /etc/prometheus-demo/mysqld-exporter.my.cnf ] || die "the exporter's my.cnf must not be baked"
}
