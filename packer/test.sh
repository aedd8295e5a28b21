#!/usr/bin/env bash
# packer/test.sh: the packer/ checks: fmt, validate (Debian's Packer 1.6.6), template lint, shellcheck, the "same
# file" check, the AWS CLI signature check, then every role's scripts run for real in a Debian 12 chroot (with
# systemd-analyze verify inside), and the four roots boot under a real systemd (tests/boot.sh).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=../scripts/lib.sh
. "$ROOT/scripts/lib.sh"
cd "$HERE"

require_packages packer shellcheck debootstrap systemd python3 python3-yaml curl jq openssl iproute2 zip unzip gpg \
  gpgv
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

check "AWS CLI: installed only with a valid signature by the pinned key" bash tests/aws-cli-signature-test.sh

# The jlink runtime is made for the AMI's architecture, or not at all: ask for the other one and it must refuse
# before linking anything.
other_arch_refused() {
  local other out rc=0
  case "$(uname -m)" in x86_64) other=arm64 ;; *) other=x86_64 ;; esac
  out=$(TARGET_ARCH=$other OUT="$(mktemp -d)/none" bash scripts/prepare-artifacts.sh 2>&1) || rc=$?
  echo "  TARGET_ARCH=$other on $(uname -m): exit $rc: $(grep -m1 'images run' <<<"$out")"
  [ "$rc" -ne 0 ] && grep -q "images run Linux/" <<<"$out" && ! grep -q 'linking the runtime' <<<"$out"
}
check "prepare-artifacts.sh refuses a runtime for another architecture" other_arch_refused

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

# shellcheck source=tests/boot.sh
. "$HERE/tests/boot.sh"

cleanup_chroots() {
  local i pid
  boot_cleanup
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
# Interrupted: still clean up (bash runs the EXIT trap on exit, not on a fatal signal).
trap 'exit 130' INT
trap 'exit 143' TERM

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
      cp -r "$ROOT/observability/prometheus" "$ROOT/observability/grafana" "$ROOT/observability/bin" "$stage/observability/"
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

chroot_db() {
  new_role_root db || return 1
  run_scripts db -- configure-base.sh install-aws-cli.sh || return 1
  run_scripts db "${DEBIAN_DB_VARS[@]}" -- install-mysql.sh || return 1
  run_scripts db -- configure-exporters.sh install-rootfs.sh || return 1
  run_scripts db "${DEBIAN_DB_VARS[@]}" -- verify-db.sh || return 1
}

chroot_api() {
  new_role_root api || return 1
  run_scripts api -- configure-base.sh install-aws-cli.sh || return 1
  run_scripts api -- install-java-runtime.sh install-order-api.sh configure-exporters.sh install-rootfs.sh \
    verify-api.sh || return 1
}

chroot_monitor() {
  local r=$WORK/monitor/root
  new_role_root monitor || return 1
  run_scripts monitor -- configure-base.sh install-aws-cli.sh || return 1
  echo "  [monitor] SKIP: Grafana's package (apt.grafana.com is unreachable here); provisioning still installed"
  run_scripts monitor GRAFANA_VERSION=0.0.0 GRAFANA_SKIP=1 MYSQL_CLIENT_PACKAGE=mariadb-client -- install-prometheus.sh \
    install-grafana.sh install-mysql-client.sh configure-exporters.sh install-rootfs.sh verify-monitor.sh || return 1
  # grafana-server.service comes with Grafana's package; a stand-in lets systemd-analyze check the demo's
  # drop-in and grafana-admin-config.service.
  printf '[Unit]\nDescription=stand-in\n[Service]\nExecStart=/bin/true\n' >"$r/etc/systemd/system/grafana-server.service"
  echo "  [monitor] systemd-analyze verify grafana-admin-config.service grafana-server.service (stand-in + drop-in)"
  in_chroot "$r" SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no grafana-admin-config.service grafana-server.service || return 1
  rm "$r/etc/systemd/system/grafana-server.service"
}

chroot_loadgen() {
  new_role_root loadgen || return 1
  run_scripts loadgen -- configure-base.sh install-aws-cli.sh || return 1
  run_scripts loadgen -- install-java-runtime.sh install-loadtest.sh configure-exporters.sh install-rootfs.sh \
    verify-loadgen.sh || return 1
}

# cleanup.sh last, as in the build, once the apt cache is no longer bound (it empties /var/cache/apt/archives);
# then the chroot's own mounts go, and the root is what the image would hold, ready to boot.
chroot_cleanup() {
  local role r mount i kept=()
  for role in "$@"; do
    r=$WORK/$role/root
    for mount in "${MOUNTS[@]}"; do
      if [ "$mount" = "$r/var/cache/apt/archives" ]; then umount "$mount"; else kept+=("$mount"); fi
    done
    MOUNTS=("${kept[@]}")
    kept=()
    run_scripts "$role" -- cleanup.sh || return 1
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
      if [[ "${MOUNTS[i]}" == "$r/"* ]]; then umount "${MOUNTS[i]}" || umount -l "${MOUNTS[i]}"; else kept=("${MOUNTS[i]}" "${kept[@]}"); fi
    done
    MOUNTS=("${kept[@]}")
    kept=()
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

# The roots as baked, booted (tests/boot.sh): what an instance does at its first boot, and at a reboot.
check "boot: the four roles under systemd as PID 1, each in its own namespaces" run_boot
check "boot: every project unit active or finished, none failed, in order; AWS CLI hardened" booted boot_units
check "boot: db accounts, private address, debian.cnf, mysqld_exporter" booted boot_check_db
check "boot: SSM parameters read by the boot units through the fake Parameter Store" booted boot_check_ssm
check "boot: api /health/ready and an order against the booted db" booted boot_check_api
check "boot: the db-stress Run Command documents on the db" booted boot_check_stress_documents
check "boot: Prometheus discovers (fake EC2 API) and scrapes every role; loadtest runs" booted boot_check_monitor
check "boot: a db reboot keeps its data and does not regenerate its secrets" booted boot_check_reboot
check "boot: db_mode rds: the monitor creates the accounts as the master user and runs mysqld_exporter" booted boot_check_rds
cleanup_chroots

echo
echo "packer: $((SECONDS - started)) s${failures[*]:+; failed: ${failures[*]}}"
echo "packer: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
