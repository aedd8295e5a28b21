#!/usr/bin/env bash
# packer/test.sh: the packer/ checks: fmt, validate (Debian's Packer 1.6.6), template lint, shellcheck, the "same
# file" check, then every role's scripts run for real in a Debian 12 chroot, with systemd-analyze verify inside.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=../scripts/lib.sh
. "$ROOT/scripts/lib.sh"
cd "$HERE"

require_packages packer shellcheck debootstrap systemd python3 curl
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/prometheus-demo/packer
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
started=$SECONDS
passed=0
failed=0
failures=()

# check NAME COMMAND...: runs one check, its output indented, and counts it.
check() {
  local name=$1 t0=$SECONDS
  shift
  echo "--- $name"
  if "$@"; then
    passed=$((passed + 1))
    echo "ok   $name ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "FAIL $name ($((SECONDS - t0)) s)"
  fi
}

##############################################################################
# Static checks
##############################################################################

check "packer fmt -check" packer fmt -check -diff .

check "template lint (only/except names, tags, IMDSv2, plugin pin)" python3 tests/lint-templates.py .

check "same files as the local stack (observability/ uploaded, never copied)" bash tests/check-same-files.sh

# Packer 1.6.6 rejects the packer { required_plugins } block and the fields newer than itself, so it validates a
# copy without plugins.pkr.hcl and without the ci-strip block (lint-templates.py checks both are there). The
# copy sits in a scratch tree whose app/, loadtest/ and observability/ link to the real ones, so the file
# provisioners' sources are the real artifacts; the jlink runtime (made by prepare-artifacts.sh before a real
# build) is an empty placeholder there, as validate only checks that it exists.
validate() {
  local tmp commit
  tmp=$(mktemp -d)
  mkdir -p "$tmp/packer/build"
  cp -r "$HERE"/*.pkr.hcl "$HERE/scripts" "$HERE/files" "$tmp/packer/"
  rm "$tmp/packer/plugins.pkr.hcl"
  sed -i '/# ci-strip-begin/,/# ci-strip-end/d' "$tmp/packer/sources.pkr.hcl"
  touch "$tmp/packer/build/java-runtime.tar.gz"
  for dir in app loadtest observability; do ln -s "$ROOT/$dir" "$tmp/$dir"; done
  for artifact in "$ROOT/app/target/order-api.jar" "$ROOT/app/target/libs" "$ROOT/loadtest/target/loadtest.jar"; do
    [ -e "$artifact" ] || echo "  $artifact is missing: build the jars first (./mvnw -B -q install -DskipTests)"
  done
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 0000000)
  (cd "$tmp/packer" && packer validate -var version=0.0.0-test -var "git_commit=$commit" .)
  local rc=$?
  rm -rf "$tmp"
  return "$rc"
}
check "packer validate (1.6.6, without plugins.pkr.hcl and the ci-strip block)" validate

# Every unit and drop-in under files/rootfs is one that a verify-<role>.sh (or the Grafana stand-in step below)
# passes to systemd-analyze verify, so none goes unchecked.
units_covered() {
  local unit unverified=0 count=0
  while IFS= read -r unit; do
    count=$((count + 1))
    if ! grep -q "$unit" scripts/verify-*.sh && ! grep -q "systemd-analyze verify.*$unit" test.sh; then
      echo "  $unit (files/rootfs) is not verified by any verify-<role>.sh"
      unverified=1
    fi
  done < <(find files/rootfs -path '*/systemd/system/*' \( -name '*.service' -o -name '*.service.d' \) \
    -printf '%f\n' | sed 's/\.d$//' | sort -u)
  echo "  $count units and drop-ins, each passed to systemd-analyze verify in the chroot"
  return "$unverified"
}
check "every unit under systemd-analyze verify" units_covered

shell_scripts() {
  printf '%s\n' test.sh scripts/*.sh tests/*.sh
  grep -rlE '^#!/usr/bin/env bash|^#!/bin/(ba)?sh' files/rootfs
}
run_shellcheck() {
  local scripts
  mapfile -t scripts < <(shell_scripts)
  echo "  ${#scripts[@]} scripts"
  shellcheck -x "${scripts[@]}"
}
check "shellcheck" run_shellcheck

##############################################################################
# Debian 12 chroot: the role scripts for real
##############################################################################

MOUNTS=()
PIDS=()
WORK=

cleanup_chroots() {
  local i pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  done
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" 2>/dev/null || true
  done
  MOUNTS=()
  PIDS=()
  [ -n "$WORK" ] && rm -rf "$WORK"
  WORK=
}
trap cleanup_chroots EXIT

mount_tracked() {
  mount "$@" || return 1
  MOUNTS+=("${!#}")
}

mount_system() {
  local root=$1
  mount_tracked -t proc proc "$root/proc" &&
    mount_tracked --bind /dev "$root/dev" &&
    mount_tracked -t devpts devpts -o newinstance,ptmxmode=0666 "$root/dev/pts" &&
    mount_tracked -t tmpfs tmpfs "$root/run"
}

# in_chroot ROOT COMMAND...: a clean environment, as Packer's `sudo env VARS bash script` gives.
in_chroot() {
  local root=$1
  shift
  chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    LANG=C.UTF-8 "$@"
}

# The packages every role installs, in the cached base so each role's chroot starts with them (the role
# scripts still run apt_install for them; it finds them installed). Changing the list rebuilds the base.
BASE_PACKAGES="systemd ca-certificates curl jq unattended-upgrades awscli prometheus-node-exporter python3"
BASE=$CACHE/bookworm-base
base_stamp="bookworm $MIRROR $BASE_PACKAGES v1"

prepare_base() {
  if [ -f "$BASE/.prometheus-demo-base" ] && [ "$(cat "$BASE/.prometheus-demo-base")" = "$base_stamp" ]; then
    echo "  cached: $BASE"
    return 0
  fi
  rm -rf "$BASE"
  mkdir -p "$CACHE/apt-archives/partial"
  if [ ! -f "$BASE.tmp/.debootstrap-ok" ]; then
    rm -rf "$BASE.tmp"
    echo "  debootstrap bookworm (about a minute; cached in $CACHE)"
    debootstrap --variant=minbase --include=systemd,ca-certificates bookworm "$BASE.tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
      { tail -20 "$CACHE/debootstrap.log"; return 1; }
    touch "$BASE.tmp/.debootstrap-ok"
  fi
  # No service starts inside the chroot (there is no init): packages' start requests are refused.
  printf '#!/bin/sh\nexit 101\n' >"$BASE.tmp/usr/sbin/policy-rc.d"
  chmod 0755 "$BASE.tmp/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$BASE.tmp/etc/resolv.conf"
  mount_system "$BASE.tmp" || return 1
  mount_tracked --bind "$CACHE/apt-archives" "$BASE.tmp/var/cache/apt/archives" || return 1
  # shellcheck disable=SC2086 # a list of package names
  if ! { in_chroot "$BASE.tmp" apt-get -q update && in_chroot "$BASE.tmp" DEBIAN_FRONTEND=noninteractive \
    apt-get -y -q install --no-install-recommends $BASE_PACKAGES; } >"$CACHE/base-packages.log" 2>&1; then
    tail -20 "$CACHE/base-packages.log"
    cleanup_chroots
    return 1
  fi
  cleanup_chroots
  echo "$base_stamp" >"$BASE.tmp/.prometheus-demo-base"
  mv "$BASE.tmp" "$BASE"
}

# new_role_root ROLE: an overlay on the cached base (thrown away at the end), with the files Packer would upload.
new_role_root() {
  local role=$1 dir=$WORK/$1 stage
  mkdir -p "$dir/upper" "$dir/work" "$dir/root"
  # Where overlayfs is not available (some containers), a copy of the base does the same, more slowly.
  if ! mount_tracked -t overlay overlay -o "lowerdir=$BASE,upperdir=$dir/upper,workdir=$dir/work" "$dir/root" \
    2>/dev/null; then
    echo "  [$role] overlayfs unavailable; copying the base"
    cp -a "$BASE/." "$dir/root/"
  fi
  mount_system "$dir/root" || return 1
  mount_tracked --bind "$CACHE/apt-archives" "$dir/root/var/cache/apt/archives" || return 1
  # What build.pkr.hcl uploads: lib.sh to /tmp, the staging tree, the scripts (Packer uploads each one to /tmp).
  stage=$dir/root/tmp/packer-files
  mkdir -p "$stage/observability" "$dir/root/tmp/packer"
  cp scripts/*.sh "$dir/root/tmp/packer/"
  cp -r files/rootfs "$stage/rootfs"
  cp -r "$ROOT/observability/exporters" "$stage/observability/"
  case "$role" in
    api)
      cp "$JAVA_RUNTIME_ARCHIVE" "$stage/java-runtime.tar.gz"
      cp "$ROOT/app/target/order-api.jar" "$stage/order-api.jar"
      cp -r "$ROOT/app/target/libs" "$stage/libs"
      ;;
    loadgen)
      cp "$JAVA_RUNTIME_ARCHIVE" "$stage/java-runtime.tar.gz"
      cp "$ROOT/loadtest/target/loadtest.jar" "$stage/loadtest.jar"
      ;;
    monitor)
      cp -r "$ROOT/observability/prometheus" "$ROOT/observability/grafana" "$stage/observability/"
      ;;
  esac
}

# run_scripts ROLE VARS... -- SCRIPT...: the role's provisioning scripts in build.pkr.hcl's order.
run_scripts() {
  local role=$1 vars=() script
  shift
  while [ "$1" != -- ]; do vars+=("$1"); shift; done
  shift
  for script in "$@"; do
    echo "  [$role] $script"
    in_chroot "$WORK/$role/root" ROLE="$role" "${DEBIAN_VARS[@]}" "${vars[@]}" bash "/tmp/packer/$script" >>"$WORK/$role.log" 2>&1 ||
      { echo "  [$role] $script failed; its output:"; tail -25 "$WORK/$role.log" | sed 's/^/    /'; return 1; }
  done
}

# Debian's names and sources for what Ubuntu's defaults name (the scripts' parameters), given to every script.
DEBIAN_VARS=(SSM_AGENT=none AWSCLI_SOURCE=apt)
DEBIAN_DB_VARS=(MYSQL_PACKAGES="mariadb-server mariadb-client" MYSQL_CONF_DIR=/etc/mysql/mariadb.conf.d
  MYSQL_SERVICE=mariadb MYSQLD=/usr/sbin/mariadbd MYSQLD_VALIDATE=0)

# A stand-in for `aws ssm get-parameter` (no AWS here): fixed test passwords, never real ones.
install_aws_stub() {
  cat >"$1/usr/local/sbin/aws" <<'STUB'
#!/bin/sh
# test stand-in for the AWS CLI: aws ssm get-parameter ... --name NAME ...
case "$*" in
  *--name\ /prometheus-demo/db/app-password*) echo "app-Test-password-123" ;;
  *--name\ /prometheus-demo/db/exporter-password*) echo "exporter-Test-password-456" ;;
  *--name\ /prometheus-demo/monitor/grafana-admin-password*) echo "grafana-Test-password-789" ;;
  *) echo "aws stub: unexpected: $*" >&2; exit 1 ;;
esac
STUB
  chmod 0755 "$1/usr/local/sbin/aws"
}

write_runtime_env() {
  local root=$1 role=$2
  shift 2
  mkdir -p "$root/etc/prometheus-demo"
  { printf 'PROJECT=prometheus-demo\nROLE=%s\nAWS_REGION=eu-west-1\nSSM_PREFIX=/prometheus-demo\n' "$role"
    printf '%s\n' "$@"; } >"$root/etc/prometheus-demo/runtime.env"
}

# The unit's ExecStart (from its drop-in) with the listen address moved to a loopback address of the test.
exec_start() {
  sed -n '/^ExecStart=./,/[^\\]$/p' "$1" | sed -e 's/^ExecStart=//' -e 's/\\$//' | tr -d '\n' |
    sed "s/--web.listen-address=:\([0-9]*\)/--web.listen-address=$2:\1/"
}

# spawn LOG ROOT COMMAND...: in_chroot in the background; the exec keeps $! the command's own process id.
spawn() {
  local log=$1 root=$2
  shift 2
  (exec chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    LANG=C.UTF-8 "$@" >"$log" 2>&1) &
  PIDS+=($!)
}

wait_http() {
  local url=$1 seconds=$2 i
  for ((i = 0; i < seconds * 2; i++)); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.5
  done
  echo "  no answer from $url after $seconds s"
  return 1
}

DB_IP=127.0.3.2
API_IP=127.0.3.1

chroot_db() {
  local r=$WORK/db/root cmd grants line
  new_role_root db || return 1
  run_scripts db -- configure-base.sh install-aws-cli.sh || return 1
  run_scripts db "${DEBIAN_DB_VARS[@]}" -- install-mysql.sh || return 1
  run_scripts db -- configure-exporters.sh install-rootfs.sh || return 1
  run_scripts db "${DEBIAN_DB_VARS[@]}" -- verify-db.sh || return 1
  echo "  [db] boot steps: configure-mysql-runtime (address $DB_IP), MariaDB, create-db-accounts, mysqld_exporter"
  # A small buffer pool share: this machine is shared, and the formula is what is under test.
  in_chroot "$r" PRIVATE_IP=$DB_IP MYSQL_CONF_DIR=/etc/mysql/mariadb.conf.d BUFFER_POOL_PERCENT=10 \
    /usr/local/lib/prometheus-demo/configure-mysql-runtime || return 1
  install -d -o "$(stat -c %u "$r/var/lib/mysql")" "$r/run/mysqld" || return 1
  spawn "$WORK/db-mariadbd.log" "$r" /usr/sbin/mariadbd --user=mysql
  for _ in $(seq 60); do [ -S "$r/run/mysqld/mysqld.sock" ] && break; sleep 0.5; done
  [ -S "$r/run/mysqld/mysqld.sock" ] || { tail -20 "$WORK/db-mariadbd.log"; return 1; }
  # The settings in effect, as the server reports them.
  in_chroot "$r" mysql --batch -e "SELECT @@bind_address, @@performance_schema, @@slow_query_log, \
    @@long_query_time, @@max_connections, @@innodb_buffer_pool_size DIV 1048576 AS pool_mib" | sed 's/^/    /'
  [ "$(in_chroot "$r" mysql -N -e 'SELECT @@bind_address, @@performance_schema, @@slow_query_log')" = \
    "$DB_IP	1	1" ] || { echo "  bind address, performance_schema or slow log not as configured"; return 1; }
  install_aws_stub "$r" || return 1
  write_runtime_env "$r" db || return 1
  in_chroot "$r" VPC_CIDR=127.0.0.0/8 /usr/local/lib/prometheus-demo/create-db-accounts || return 1
  # Twice: every statement is idempotent (it runs at every boot).
  in_chroot "$r" VPC_CIDR=127.0.0.0/8 /usr/local/lib/prometheus-demo/create-db-accounts 2>/dev/null || return 1
  [ "$(in_chroot "$r" stat -c "%a %U" /etc/prometheus-demo/mysqld-exporter.my.cnf)" = "600 prometheus" ] ||
    { echo "  the exporter's my.cnf is not 0600 prometheus"; return 1; }
  grants=$(in_chroot "$r" mysql --batch -N -e "SHOW GRANTS FOR 'exporter'@'localhost'; \
    SHOW GRANTS FOR 'orders'@'127.0.0.0/255.0.0.0'" | sed "s/PASSWORD '[^']*'/PASSWORD '(hash)'/")
  while IFS= read -r line; do echo "    $line"; done <<<"$grants"
  grep -q 'MAX_USER_CONNECTIONS 3' <<<"$grants" || { echo "  the exporter has no connection limit"; return 1; }
  cmd=$(exec_start "$r/etc/systemd/system/prometheus-mysqld-exporter.service.d/prometheus-demo.conf" "$DB_IP")
  # shellcheck disable=SC2086 # the unit's command line, split as systemd splits it
  spawn "$WORK/db-exporter.log" "$r" setpriv --reuid=prometheus --regid=prometheus --init-groups $cmd
  wait_http "http://$DB_IP:9104/metrics" 20 || { tail -5 "$WORK/db-exporter.log"; return 1; }
  curl -fsS "http://$DB_IP:9104/metrics" | grep -E '^mysql_up |^mysql_global_variables_max_connections ' |
    sed 's/^/    /'
  curl -fsS "http://$DB_IP:9104/metrics" | grep -q '^mysql_up 1' || { echo "  mysql_up is not 1"; return 1; }
}

chroot_api() {
  local r=$WORK/api/root
  new_role_root api || return 1
  run_scripts api -- configure-base.sh install-aws-cli.sh || return 1
  run_scripts api -- install-java-runtime.sh install-order-api.sh configure-exporters.sh install-rootfs.sh \
    verify-api.sh || return 1
  echo "  [api] boot steps: configure-order-api, order-api migrate --seed, serve (API $API_IP)"
  install_aws_stub "$r" || return 1
  write_runtime_env "$r" api "DB_HOST=$DB_IP" || return 1
  in_chroot "$r" /usr/local/lib/prometheus-demo/configure-order-api || return 1
  [ "$(in_chroot "$r" stat -c "%a %U" /run/prometheus-demo/order-api-db.env)" = "600 root" ] ||
    { echo "  order-api-db.env is not 0600 root"; return 1; }
  # As the units run it: the order-api user, both environment files (addresses moved to the test's loopback).
  local env='set -a; . /etc/prometheus-demo/order-api.env; . /run/prometheus-demo/order-api-db.env; set +a'
  local as_api="setpriv --reuid=order-api --regid=order-api --init-groups"
  in_chroot "$r" bash -c "$env; exec $as_api /usr/local/bin/order-api migrate --seed" >>"$WORK/api.log" 2>&1 ||
    { tail -20 "$WORK/api.log"; return 1; }
  spawn "$WORK/api-serve.log" "$r" bash -c "$env; SERVER_HOST=$API_IP SERVER_SOCKETS_0_HOST=$API_IP; \
    exec $as_api /usr/local/bin/order-api serve"
  wait_http "http://$API_IP:8000/health/ready" 60 || { tail -20 "$WORK/api-serve.log"; return 1; }
  curl -fsS -o /dev/null -w '    GET /api/order/1: %{http_code}\n' "http://$API_IP:5000/api/order/1"
}

chroot_monitor() {
  local r=$WORK/monitor/root
  new_role_root monitor || return 1
  run_scripts monitor -- configure-base.sh install-aws-cli.sh || return 1
  echo "  [monitor] SKIP: Grafana's package (apt.grafana.com is unreachable here); provisioning still installed"
  run_scripts monitor GRAFANA_VERSION=0.0.0 GRAFANA_SKIP=1 -- install-prometheus.sh install-grafana.sh \
    configure-exporters.sh install-rootfs.sh verify-monitor.sh || return 1
  # grafana-server.service comes with Grafana's package; a stand-in lets systemd-analyze check the demo's
  # drop-in and grafana-admin-config.service.
  printf '[Unit]\nDescription=stand-in\n[Service]\nExecStart=/bin/true\n' >"$r/etc/systemd/system/grafana-server.service"
  echo "  [monitor] systemd-analyze verify grafana-admin-config.service grafana-server.service (stand-in + drop-in)"
  in_chroot "$r" SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no grafana-admin-config.service grafana-server.service || return 1
  rm "$r/etc/systemd/system/grafana-server.service"
  install_aws_stub "$r" || return 1
  write_runtime_env "$r" monitor || return 1
  in_chroot "$r" /usr/local/lib/prometheus-demo/configure-grafana-admin || return 1
  grep -q "^GF_SECURITY_ADMIN_PASSWORD='grafana-Test-password-789'$" "$r/run/prometheus-demo/grafana-admin.env" || return 1
}

chroot_loadgen() {
  local r=$WORK/loadgen/root
  new_role_root loadgen || return 1
  run_scripts loadgen -- configure-base.sh install-aws-cli.sh || return 1
  run_scripts loadgen -- install-java-runtime.sh install-loadtest.sh configure-exporters.sh install-rootfs.sh \
    verify-loadgen.sh || return 1
  echo "  [loadgen] loadtest (target from runtime.env's API_URL) for 3 s against the chroot's API"
  write_runtime_env "$r" loadgen "API_URL=http://$API_IP:5000" || return 1
  in_chroot "$r" /usr/local/bin/loadtest --stage normal --duration 3s --ramp 1s --no-stress \
    --metrics-host 127.0.3.4 --linger 0s --no-default-thresholds --out /tmp/loadtest-out >"$WORK/loadgen-run.log" 2>&1 ||
    { tail -15 "$WORK/loadgen-run.log"; return 1; }
  tail -3 "$WORK/loadgen-run.log" | sed 's/^/    /'
}

# cleanup.sh last, as in the build, once the apt cache is no longer bound (it empties /var/cache/apt/archives).
chroot_cleanup() {
  local role r mount kept=()
  for role in "$@"; do
    r=$WORK/$role/root
    for mount in "${MOUNTS[@]}"; do
      if [ "$mount" = "$r/var/cache/apt/archives" ]; then umount "$mount"; else kept+=("$mount"); fi
    done
    MOUNTS=("${kept[@]}")
    kept=()
    rm -f "$r/usr/local/sbin/aws" "$r/etc/prometheus-demo/runtime.env"
    rm -f "$r/etc/prometheus-demo/mysqld-exporter.my.cnf"
    run_scripts "$role" -- cleanup.sh || return 1
  done
}

run_chroot() {
  local t0
  if [ "$(id -u)" -ne 0 ]; then
    echo "  needs root (debootstrap, chroot, mounts)"
    return 1
  fi
  for artifact in "$ROOT/app/target/order-api.jar" "$ROOT/app/target/libs" "$ROOT/loadtest/target/loadtest.jar"; do
    [ -e "$artifact" ] || { echo "  $artifact is missing: ./mvnw -B -q install -DskipTests"; return 1; }
  done
  [ -d "$ROOT/observability" ] || { echo "  $ROOT/observability is missing: the images bake it"; return 1; }
  JAVA_RUNTIME_ARCHIVE=$HERE/build/java-runtime.tar.gz
  if [ ! -f "$JAVA_RUNTIME_ARCHIVE" ] || [ -n "$(find "$ROOT/app/target/order-api.jar" "$ROOT/loadtest/target/loadtest.jar" \
    -newer "$JAVA_RUNTIME_ARCHIVE")" ]; then
    bash scripts/prepare-artifacts.sh | sed 's/^/  /'
  fi
  prepare_base
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/packer-chroot.XXXXXX")
  for role in db api monitor loadgen; do
    t0=$SECONDS
    "chroot_$role" || { echo "  [$role] failed; logs: $WORK/$role*.log"; tail -5 "$WORK/$role.log" 2>/dev/null; return 1; }
    echo "  [$role] done ($((SECONDS - t0)) s)"
  done
  chroot_cleanup db api monitor loadgen
}
check "role scripts in a Debian 12 chroot (MariaDB for MySQL 8, Grafana skipped)" run_chroot
cleanup_chroots

echo
echo "packer: $((SECONDS - started)) s${failures[*]:+; failed: ${failures[*]}}"
echo "packer: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
