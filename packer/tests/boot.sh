#!/usr/bin/env bash
# packer/tests/boot.sh: the boot test, sourced by packer/test.sh after the role roots are provisioned and cleaned
# as the images are. Each root boots under a real systemd, PID 1 of its own PID, mount, UTS and cgroup namespaces
# and of its own network namespace, the four joined by a bridge in a namespace the test creates (every role binds
# the same ports on every address, as on EC2, so one shared network stack cannot hold them). runtime.env is
# written as user_data writes it; the images reach a fake SSM Parameter Store and the fake EC2 API by AWS's own
# regional host names over HTTPS, as an instance does. Uses test.sh's WORK, ROOT, HERE, MOUNTS and check().
# shellcheck disable=SC2153 # ROOT and WORK are test.sh's

# Addresses inside the test's namespaces only (TEST-NET-1, RFC 5737: never routed anywhere).
NET=192.0.2
declare -A ROLE_IP=([api]=$NET.1 [db]=$NET.2 [monitor]=$NET.3 [loadgen]=$NET.4)
EC2_IP=$NET.8
SSM_IP=$NET.9
REGION=eu-west-1
# Not the default project: discovery, parameter names and documents must all follow var.project.
PROJECT=boot-demo
NS=pdboot$$
declare -A SYSTEMD_PID=() BOOT_PID=()
BOOT_FAKES=()
BOOT_NETNS=()

# The units each role's own tree defines or changes (files/rootfs): what "every project unit" means.
project_units() {
  local role=$1
  find "$HERE/files/rootfs/common/etc/systemd/system" "$HERE/files/rootfs/$role/etc/systemd/system" -maxdepth 1 \
    \( -name '*.service' -o -name '*.service.d' \) -printf '%f\n' 2>/dev/null | sed 's/\.d$//' | sort -u
}

# The order the units must start in, as "A<B": A has finished starting before B begins. The contract the units'
# Requires=/After=/Before= exist for; a missing ordering shows here even when a retry would hide it.
declare -A START_ORDER=(
  [db]="mysql-runtime-config.service<mysql.service mysql-instance-secrets.service<mysql.service
        mysql.service<db-bootstrap.service db-bootstrap.service<prometheus-mysqld-exporter.service"
  [api]="order-api-config.service<order-api-migrate.service order-api-migrate.service<order-api.service"
  [monitor]="prometheus-config.service<prometheus.service rds-accounts.service<prometheus-mysqld-exporter.service"
  [loadgen]=""
)

# Units whose ExecCondition skips them in this boot: the monitor's RDS units, while the database is the db host
# (no DB_HOST in the monitor's runtime.env). boot_check_rds boots the monitor again with RDS and empties this.
declare -A SKIPPED_UNITS=([monitor]="rds-accounts.service prometheus-mysqld-exporter.service")

in_role() {
  local role=$1
  shift
  nsenter -t "${SYSTEMD_PID[$role]}" -m -p -u -n -C -- /usr/bin/env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
}

in_net() {
  ip netns exec "$NS-hub" "$@"
}

boot_cleanup() {
  local role pid h
  # Killing PID 1 of a PID namespace ends every process in it. Every step may find nothing to do (|| true).
  for pid in "${SYSTEMD_PID[@]}" "${BOOT_PID[@]}" "${BOOT_FAKES[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${BOOT_PID[@]}" "${BOOT_FAKES[@]}"; do wait "$pid" 2>/dev/null || true; done
  BOOT_PID=()
  SYSTEMD_PID=()
  BOOT_FAKES=()
  for role in "${BOOT_NETNS[@]}"; do ip netns delete "$NS-$role" 2>/dev/null || true; done
  BOOT_NETNS=()
  for role in api db monitor loadgen; do
    for h in systemd unified; do
      if [ -d "/sys/fs/cgroup/$h/$NS-$role" ]; then
        find "/sys/fs/cgroup/$h/$NS-$role" -depth -type d -exec rmdir {} + 2>/dev/null || true
      fi
    done
  done
  return 0
}

# The network: a bridge in the hub namespace, each role's namespace on it through a veth pair, the fakes on it.
boot_network() {
  local role
  ip netns add "$NS-hub" && BOOT_NETNS+=(hub) || return 1
  in_net ip link set lo up
  in_net ip link add br0 type bridge
  in_net ip addr add "$EC2_IP/24" dev br0
  in_net ip addr add "$SSM_IP/24" dev br0
  in_net ip link set br0 up
  for role in api db monitor loadgen; do
    ip netns add "$NS-$role" && BOOT_NETNS+=("$role") || return 1
    ip -n "$NS-$role" link set lo up
    in_net ip link add "v-$role" type veth peer name eth0 netns "$NS-$role"
    in_net ip link set "v-$role" master br0 up
    ip -n "$NS-$role" addr add "${ROLE_IP[$role]}/24" dev eth0
    ip -n "$NS-$role" link set eth0 up
  done
}

# A CA and one certificate for the two AWS endpoints, trusted inside the booted roots only.
boot_certificates() {
  local dir=$WORK/tls
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=prometheus-demo boot test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$REGION.amazonaws.com" -keyout "$dir/aws.key" \
      -out "$dir/aws.csr" 2>/dev/null &&
    printf 'subjectAltName=DNS:ec2.%s.amazonaws.com,DNS:ssm.%s.amazonaws.com\n' "$REGION" "$REGION" >"$dir/san" &&
    openssl x509 -req -days 2 -in "$dir/aws.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
      -extfile "$dir/san" -out "$dir/aws.pem" 2>/dev/null
}

boot_fakes() {
  local role
  # The SecureStrings Terraform creates (the master password with db_mode = "rds"), with values of the alphabet terraform/secrets.tf uses.
  python3 - "$PROJECT" >"$WORK/parameters.json" <<'PY'
import json, secrets, string, sys
p = sys.argv[1]
alphabet = string.ascii_letters + string.digits
pw = lambda: "".join(secrets.choice(alphabet) for _ in range(32))
print(json.dumps({f"/{p}/db/app-password": pw(), f"/{p}/db/exporter-password": pw(),
                  f"/{p}/monitor/grafana-admin-password": pw(), f"/{p}/db/master-password": pw(),
                  f"/{p}/db/stress-password": pw()}))
PY
  # This deployment's four instances, a stopped one, and one of the default project that must not be scraped.
  {
    printf '['
    for role in api db monitor loadgen; do
      printf '["i-0b00000000000%s1", "running", "%s", {"Project": "%s", "Role": "%s", "Name": "%s-%s-1"}],' \
        "${role:0:1}" "${ROLE_IP[$role]}" "$PROJECT" "$role" "$PROJECT" "$role"
    done
    printf '["i-0b0000000000000a2", "stopped", "%s.5", {"Project": "%s", "Role": "api", "Name": "%s-api-2"}],' \
      "$NET" "$PROJECT" "$PROJECT"
    printf '["i-0a0000000000000a1", "running", "%s.6", {"Project": "prometheus-demo", "Role": "api", "Name": "prometheus-demo-api-1"}]]' "$NET"
  } >"$WORK/instances.json"
  ip netns exec "$NS-hub" python3 "$HERE/tests/fake-ssm.py" "$SSM_IP" 443 "$WORK/parameters.json" "$WORK/ssm-requests.log" \
    "$WORK/tls/aws.pem" "$WORK/tls/aws.key" >"$WORK/fake-ssm.log" 2>&1 &
  BOOT_FAKES+=($!)
  ip netns exec "$NS-hub" python3 "$ROOT/observability/tests/fake-ec2.py" "$EC2_IP" 443 "$WORK/ec2-requests.log" \
    --instances "$WORK/instances.json" --tls "$WORK/tls/aws.pem" "$WORK/tls/aws.key" >"$WORK/fake-ec2.log" 2>&1 &
  BOOT_FAKES+=($!)
}

# runtime.env as cloud-init writes it from terraform/templates/cloud-init.yaml.tftpl (its loop over keys(env),
# sorted as Terraform's keys() sorts), then the file's path, mode and content from the rendered YAML.
write_user_data() {
  local root=$1
  shift
  python3 - "$ROOT/terraform/templates/cloud-init.yaml.tftpl" "$root" "$@" <<'PY'
import os, re, sys, yaml
template, root, pairs = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3:]
env = dict(p.split("=", 1) for p in pairs)
loop = re.search(r"%\{ for key in keys\(env\) ~\}\n(.*?)%\{ endfor ~\}\n", template, re.S)
body = "".join(loop.group(1).replace("${key}", k).replace("${env[key]}", env[k]) for k in sorted(env))
config = yaml.safe_load(template[:loop.start()] + body + template[loop.end():])
(entry,) = config["write_files"]
path = root + entry["path"]
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    f.write(entry["content"])
os.chmod(path, int(entry["permissions"], 8))
PY
}

# What an instance has that a chroot lacks, and nothing the image provides: user_data, a name, AWS credentials
# (on EC2 they come from the instance profile through IMDS, which this machine has none of: environment variables
# instead), the fakes under AWS's names, and the test CA.
prepare_boot_root() {
  local role=$1 root=$WORK/$1/root env=()
  env=("PROJECT=$PROJECT" "ROLE=$role" "AWS_REGION=$REGION" "SSM_PREFIX=/$PROJECT")
  case "$role" in
    api) env+=("DB_HOST=${ROLE_IP[db]}") ;;
    loadgen) env+=("API_URL=http://${ROLE_IP[api]}:5000" DB_INSTANCE_ID=i-0b00000000000d1
      "DB_STRESS_DOCUMENT=$PROJECT-db-stress" "DB_STRESS_STOP_DOCUMENT=$PROJECT-db-stress-stop") ;;
  esac
  write_user_data "$root" "${env[@]}" || return 1
  echo "$PROJECT-$role-1" >"$root/etc/hostname"
  printf '%s ec2.%s.amazonaws.com\n%s ssm.%s.amazonaws.com\n' "$EC2_IP" "$REGION" "$SSM_IP" "$REGION" >>"$root/etc/hosts"
  cat "$WORK/tls/ca.pem" >>"$root/etc/ssl/certs/ca-certificates.crt"
  mkdir -p "$root/etc/systemd/system.conf.d"
  # IMDS stand-ins the boot scripts accept (configure-mysql-runtime, create-db-accounts), test credentials, and
  # the system's CA store (with the test CA) for the AWS CLI, which otherwise trusts only its own bundle.
  cat >"$root/etc/systemd/system.conf.d/boot-test.conf" <<CONF
[Manager]
DefaultEnvironment=AWS_ACCESS_KEY_ID=AKIABOOTTEST$role AWS_SECRET_ACCESS_KEY=boot-test-secret AWS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt PRIVATE_IP=${ROLE_IP[$role]} VPC_CIDR=$NET.0/24
CONF
  # The chroot's guard against package scripts starting services is not part of an image.
  rm -f "$root/usr/sbin/policy-rc.d"
  # The host's terminals are not the role's: no gettys (systemd in a container starts only the console one).
  ln -sf /dev/null "$root/etc/systemd/system/console-getty.service"
  # A shared machine: a tenth of its memory for the buffer pool, not 55 %.
  [ "$role" = db ] && sed -i 's/^BUFFER_POOL_PERCENT=.*/BUFFER_POOL_PERCENT=10/' "$root/etc/prometheus-demo/mysql.env"
  return 0
}

# boot ROLE: systemd as PID 1 over the role's root, in the role's namespaces; returns once it runs.
boot() {
  local role=$1 root=$WORK/$1/root cg=$NS-$1 i pid h
  for h in systemd unified; do mkdir -p "/sys/fs/cgroup/$h/$cg"; done
  # shellcheck disable=SC2016 # the inner scripts expand their own arguments
  nsenter --net="/run/netns/$NS-$role" -- sh -eu -c '
    for h in systemd unified; do echo $$ >"/sys/fs/cgroup/$h/$2/cgroup.procs"; done
    exec unshare --fork --pid --mount --uts --cgroup sh -eu -c "$3" sh "$1"' sh "$root" "$cg" '
      root=$1
      mount --make-rprivate /
      mount -t proc proc "$root/proc"
      mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
      mount -t tmpfs -o mode=755,nosuid,nodev,noexec tmpfs "$root/sys/fs/cgroup"
      mkdir "$root/sys/fs/cgroup/systemd" "$root/sys/fs/cgroup/unified"
      mount -t cgroup -o none,name=systemd,xattr cgroup "$root/sys/fs/cgroup/systemd"
      mount -t cgroup2 cgroup2 "$root/sys/fs/cgroup/unified"
      # A /dev of its own: the host devices a container gets, nothing else; the console goes nowhere.
      mount -t tmpfs -o mode=755,nosuid tmpfs "$root/dev"
      for d in null zero full random urandom tty console; do touch "$root/dev/$d"; done
      for d in null zero full random urandom tty; do mount --bind "/dev/$d" "$root/dev/$d"; done
      mount --bind /dev/null "$root/dev/console"
      mkdir "$root/dev/pts" "$root/dev/shm"
      mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
      ln -s pts/ptmx "$root/dev/ptmx"
      mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"
      ln -s /proc/self/fd "$root/dev/fd"
      mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$root/run"
      cd "$root"
      mkdir -p .boot-old
      pivot_root . .boot-old
      umount -l /.boot-old
      rmdir /.boot-old
      exec env -i container=prometheus-demo-boot-test /lib/systemd/systemd --system' >"$WORK/$role-boot.log" 2>&1 &
  BOOT_PID[$role]=$!
  for ((i = 0; i < 100; i++)); do
    pid=$(pgrep -P "${BOOT_PID[$role]}" 2>/dev/null | head -1)
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd ]; then
      SYSTEMD_PID[$role]=$pid
      return 0
    fi
    sleep 0.1
  done
  echo "  [$role] systemd did not start; $WORK/$role-boot.log:"
  tail -5 "$WORK/$role-boot.log" | sed 's/^/    /'
  return 1
}

# wait_booted ROLE SECONDS: until systemd has finished starting (running or degraded) or the time is up. Polled:
# until systemd has made its socket, systemctl cannot connect at all (and --wait would give up at once).
wait_booted() {
  local role=$1 deadline=$((SECONDS + $2)) state=""
  while [ "$SECONDS" -lt "$deadline" ]; do
    state=$(in_role "$role" systemctl is-system-running 2>/dev/null) || true
    case "$state" in
      running | degraded | maintenance | stopping | offline) break ;;
    esac
    sleep 0.5
  done
  echo "  [$role] systemd: ${state:-not answering} after $(($2 - deadline + SECONDS)) s"
  [ "$state" = running ] || [ "$state" = degraded ]
}

# shut_down ROLE: a clean poweroff (SIGRTMIN+4 to PID 1, what `systemctl poweroff` sends), then the namespace ends.
shut_down() {
  local role=$1 i h
  kill -s RTMIN+4 "${SYSTEMD_PID[$role]}"
  for ((i = 0; i < 600; i++)); do
    kill -0 "${BOOT_PID[$role]}" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "${BOOT_PID[$role]}" 2>/dev/null; then
    echo "  [$role] did not power off within 60 s"
    kill -9 "${SYSTEMD_PID[$role]}" 2>/dev/null
    return 1
  fi
  wait "${BOOT_PID[$role]}" 2>/dev/null || true
  unset "BOOT_PID[$role]" "SYSTEMD_PID[$role]"
  for h in systemd unified; do
    find "/sys/fs/cgroup/$h/$NS-$role" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  return 0
}

# units_healthy ROLE: every project unit active (a oneshot: finished, active/exited), no unit failed, the start
# order kept.
units_healthy() {
  local role=$1 unit state bad=0 pair before after t_done t_start property
  while IFS= read -r unit; do
    if [ "$unit" = grafana-server.service ] && ! in_role "$role" systemctl cat "$unit" >/dev/null 2>&1; then
      echo "  [$role] SKIP $unit: Grafana's package cannot be installed here (apt.grafana.com is unreachable)"
      continue
    fi
    # systemctl show prints properties in its own order, whatever -p's: one at a time.
    state=$(for property in ActiveState SubState Result; do
      in_role "$role" systemctl show -p "$property" --value "$unit"
    done | paste -sd/ -)
    if [[ " ${SKIPPED_UNITS[$role]:-} " == *" $unit "* ]]; then
      # Must be skipped by its condition, not run, not failed.
      case "$state" in
        inactive/dead/exec-condition) echo "  [$role] $unit: $state (skipped by its ExecCondition, as intended)" ;;
        *) echo "  [$role] FAIL $unit: $state, expected skipped by its ExecCondition"; bad=1 ;;
      esac
      continue
    fi
    case "$state" in
      active/running/success | active/exited/success) echo "  [$role] $unit: $state" ;;
      *) echo "  [$role] FAIL $unit: $state"; bad=1 ;;
    esac
  done < <(project_units "$role")
  state=$(in_role "$role" systemctl list-units --state=failed --no-legend --plain)
  if [ -n "$state" ]; then
    echo "  [$role] FAIL failed units:"
    printf '      %s\n' "$state"
    bad=1
  fi
  for pair in ${START_ORDER[$role]}; do
    before=${pair%<*}
    after=${pair#*<}
    [[ " ${SKIPPED_UNITS[$role]:-} " == *" $before "* || " ${SKIPPED_UNITS[$role]:-} " == *" $after "* ]] && continue
    t_done=$(in_role "$role" systemctl show -p ActiveEnterTimestampMonotonic --value "$before")
    t_start=$(in_role "$role" systemctl show -p InactiveExitTimestampMonotonic --value "$after")
    if [ "${t_done:-0}" -gt 0 ] && [ "${t_start:-0}" -gt 0 ] && [ "$t_done" -le "$t_start" ]; then
      echo "  [$role] $before started before $after ($(((t_start - t_done) / 1000)) ms between)"
    else
      echo "  [$role] FAIL $after began (at ${t_start:-?} us) before $before had started (at ${t_done:-?} us)"
      bad=1
    fi
  done
  if [ "$bad" -ne 0 ]; then
    echo "  [$role] journal of the failing boot (last 30 lines):"
    in_role "$role" journalctl -b --no-pager -n 30 -p info 2>/dev/null | sed 's/^/      /'
  fi
  return "$bad"
}

# aws_cli_hardened ROLE: the image's AWS CLI in a unit with the boot units' hardening (verify_aws_cli at bake).
aws_cli_hardened() {
  local role=$1 out
  in_role "$role" sh -c 'cat >/run/systemd/system/aws-cli-hardened-check.service <<UNIT
[Service]
Type=oneshot
ExecStart=/bin/sh -c "aws --version"
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
UNIT
systemctl daemon-reload && systemctl start aws-cli-hardened-check.service' || return 1
  out=$(in_role "$role" journalctl -b -u aws-cli-hardened-check.service -o cat --no-pager | grep -m1 '^aws-cli/')
  echo "  [$role] aws --version under NoNewPrivileges, ProtectSystem=strict, ProtectHome, PrivateTmp: ${out:-nothing}"
  [ -n "$out" ]
}

# Asserts on each role once all four run.
boot_check_db() {
  local users
  # The image holds no instance secrets; the first boot made them (checked before the first boot too).
  users=$(in_role db mysql -N -e "SELECT CONCAT(user, '@', host) FROM mysql.user
    WHERE user IN ('orders', 'exporter', 'debian-sys-maint') ORDER BY 1")
  echo "  [db] accounts: $(paste -sd' ' - <<<"$users")"
  [ "$users" = "$(printf 'debian-sys-maint@localhost\nexporter@localhost\norders@%s.0/255.255.255.0' "$NET")" ] ||
    { echo "  [db] FAIL the accounts are not orders (from the VPC), exporter and debian-sys-maint"; return 1; }
  [ "$(in_role db mysql --defaults-file=/etc/mysql/debian.cnf -N -e 'SELECT CURRENT_USER()')" = \
    debian-sys-maint@localhost ] || { echo "  [db] FAIL debian.cnf does not log in"; return 1; }
  [ "$(in_role db mysql -N -e 'SELECT @@bind_address')" = "${ROLE_IP[db]}" ] ||
    { echo "  [db] FAIL MySQL does not listen on the private address only"; return 1; }
  [ "$(in_role db stat -c '%a %U' /etc/prometheus-demo/mysqld-exporter.my.cnf /etc/mysql/debian.cnf | paste -sd, -)" = \
    "600 prometheus,600 root" ] || { echo "  [db] FAIL the exporter's my.cnf or debian.cnf is readable by others"; return 1; }
  in_net curl -fsS "http://${ROLE_IP[db]}:9104/metrics" | grep -q '^mysql_up 1' ||
    { echo "  [db] FAIL mysqld_exporter: mysql_up is not 1"; return 1; }
  echo "  [db] MySQL on ${ROLE_IP[db]}:3306 only, debian.cnf logs in, mysqld_exporter mysql_up 1"
}

boot_check_api() {
  local code
  code=$(in_net curl -s -o /dev/null -w '%{http_code}' "http://${ROLE_IP[api]}:8000/health/ready")
  echo "  [api] GET /health/ready: $code (against the booted db at ${ROLE_IP[db]})"
  [ "$code" = 200 ] || return 1
  code=$(in_net curl -s -o /dev/null -w '%{http_code}' "http://${ROLE_IP[api]}:5000/api/order/1")
  echo "  [api] GET /api/order/1: $code"
  [ "$code" = 200 ]
}

# The SSM calls the boot units made, by parameter: each role read exactly what it needs, through the fake.
boot_check_ssm() {
  local name expected actual
  for expected in "db /$PROJECT/db/app-password" "db /$PROJECT/db/exporter-password" "api /$PROJECT/db/app-password" \
    "monitor /$PROJECT/monitor/grafana-admin-password"; do
    name=${expected#* }
    actual=$(jq -r --arg n "$name" --arg k "AKIABOOTTEST${expected%% *}" \
      'select(.action == "GetParameter" and .name == $n and .decrypt and .access_key == $k) | .name' \
      "$WORK/ssm-requests.log" | head -1)
    [ -n "$actual" ] || { echo "  FAIL no GetParameter $name (with decryption) from ${expected%% *}"; return 1; }
  done
  echo "  SSM GetParameter with decryption: db (app, exporter), api (app), monitor (grafana-admin) via the fake"
}

# Prometheus on the monitor: the targets EC2 discovery gives for this project, each scraped (health up).
prometheus_targets() {
  in_net curl -fsS "http://${ROLE_IP[monitor]}:9090/api/v1/targets?state=active" 2>/dev/null |
    jq -r '.data.activeTargets[] | "\(.labels.job) \(.labels.instance) \(.scrapeUrl | capture("//(?<a>[^/]+)/").a) \(.health)"' |
    sort
}

boot_check_monitor() {
  local expected actual="" i role
  expected=$(
    for role in api db monitor loadgen; do echo "node $PROJECT-$role-1 ${ROLE_IP[$role]}:9100 up"; done
    echo "order-api $PROJECT-api-1 ${ROLE_IP[api]}:8000 up"
    echo "mysqld $PROJECT-db-1 ${ROLE_IP[db]}:9104 up"
    echo "prometheus $PROJECT-monitor-1 ${ROLE_IP[monitor]}:9090 up"
    echo "loadgen $PROJECT-loadgen-1 ${ROLE_IP[loadgen]}:9464 up"
  )
  expected=$(sort <<<"$expected")
  # The load generator serves metrics only while a stage runs: one runs now, from the loadgen host.
  in_role loadgen /usr/local/bin/loadtest --stage normal --duration 20s --ramp 2s --no-stress \
    --no-default-thresholds --linger 20s --out /tmp/loadtest-out >"$WORK/loadgen-run.log" 2>&1 &
  local loadtest=$!
  for ((i = 0; i < 90; i++)); do
    actual=$(prometheus_targets)
    [ "$actual" = "$expected" ] && break
    sleep 1
  done
  if [ "$actual" != "$expected" ]; then
    echo "  [monitor] FAIL Prometheus's targets are not this project's roles, all scraped:"
    diff <(echo "$expected") <(echo "$actual") | sed 's/^/      /'
    wait "$loadtest" 2>/dev/null
    return 1
  fi
  echo "  [monitor] Prometheus discovered and scraped (up) through the fake EC2 API, project $PROJECT only:"
  printf '      %s\n' "$actual"
  jq -e -s --arg p "$PROJECT" 'any(.[]; .action == "DescribeInstances" and .filters["tag:Project"] == [$p])' \
    "$WORK/ec2-requests.log" >/dev/null || { echo "  [monitor] FAIL DescribeInstances did not filter on $PROJECT"; return 1; }
  if ! wait "$loadtest"; then
    echo "  [loadgen] FAIL loadtest against the booted api:"
    tail -15 "$WORK/loadgen-run.log" | sed 's/^/      /'
    return 1
  fi
  echo "  [loadgen] loadtest --stage normal (20 s) against the booted api: $(grep -m1 -iE 'pass|fail' "$WORK/loadgen-run.log" || tail -1 "$WORK/loadgen-run.log")"
}

# The db-stress documents' commands (terraform/ssm-documents.tf), run as Run Command would run them on the db.
document_commands() {
  sed -n "/resource \"aws_ssm_document\" \"$1\"/,/^}/p" "$ROOT/terraform/ssm-documents.tf" |
    sed -n '/runCommand = \[$/,/^ *\],\{0,1\}$/p' | sed -n 's/^ *"\(.*\)",\{0,1\}$/\1/p' | sed 's/\\"/"/g'
}
document_inline() {
  sed -n "/resource \"aws_ssm_document\" \"$1\"/,/^}/p" "$ROOT/terraform/ssm-documents.tf" |
    sed -n 's/^ *runCommand = \["\(.*\)"\]$/\1/p'
}

boot_check_stress_documents() {
  local stress stop rc=0 owner
  stress=$(document_commands db_stress | sed 's/{{ durationSeconds }}/30/')
  stop=$(document_inline db_stress_stop)
  if [ -z "$stress" ] || [ -z "$stop" ]; then
    echo "  [db] FAIL cannot read the documents' commands"
    return 1
  fi
  # From a directory only root may write, as the SSM agent's working directory is.
  in_role db sh -c "cd /root && $stress" >"$WORK/db-stress.log" 2>&1 &
  local pid=$! i
  for ((i = 0; i < 40; i++)); do
    owner=$(in_role db ps -C stress-ng -o user= | sort -u | paste -sd, -)
    [ -n "$owner" ] && break
    sleep 0.25
  done
  in_role db sh -c "$stop" || rc=$?
  wait "$pid" 2>/dev/null
  sleep 0.5
  if [ "$owner" != nobody ] || [ "$rc" -ne 0 ] || in_role db pgrep -x stress-ng >/dev/null; then
    echo "  [db] FAIL db-stress ran as '${owner:-nothing}', the stop document exited $rc or left stress-ng running:"
    sed 's/^/      /' "$WORK/db-stress.log"
    return 1
  fi
  in_role db sh -c "$stop" || { echo "  [db] FAIL the stop document fails when nothing runs"; return 1; }
  rc=0
  in_role db sh -c "cd /root && $(document_commands db_stress | sed 's/{{ durationSeconds }}/0/')" 2>/dev/null || rc=$?
  [ "$rc" -eq 2 ] || { echo "  [db] FAIL db-stress with durationSeconds 0 exited $rc, expected 2"; return 1; }
  echo "  [db] db-stress document: stress-ng as nobody; the stop document ends it (and succeeds with none running); 0 s refused"
}

# What must survive a reboot unchanged: the data, and the secrets made at the first boot.
db_fingerprint() {
  in_role db sh -c 'cd /var/lib/mysql && sha256sum ca.pem ca-key.pem server-cert.pem server-key.pem client-cert.pem \
    client-key.pem private_key.pem public_key.pem /etc/mysql/debian.cnf'
}

boot_check_reboot() {
  local location id before_secrets before_rows after_secrets after_rows code
  location=$(in_net curl -fsS -o /dev/null -w '%header{location}' -H 'Content-Type: application/json' \
    -d '{"customer_id": 1, "items": [{"product_id": 1, "quantity": 2, "unit_price": 9.99}]}' \
    "http://${ROLE_IP[api]}:5000/api/order") || { echo "  [db] FAIL POST /api/order before the reboot"; return 1; }
  id=${location##*/}
  before_secrets=$(db_fingerprint)
  before_rows=$(in_role db mysql -N -e 'SELECT COUNT(*), MAX(order_id) FROM orders.orders')
  echo "  [db] order $id written; orders (count, max id): $before_rows; power off, boot again"
  shut_down db || return 1
  boot db || return 1
  wait_booted db 120 || { units_healthy db; return 1; }
  units_healthy db >"$WORK/db-reboot-units.log" || { cat "$WORK/db-reboot-units.log"; return 1; }
  after_secrets=$(db_fingerprint)
  after_rows=$(in_role db mysql -N -e 'SELECT COUNT(*), MAX(order_id) FROM orders.orders')
  [ "$after_rows" = "$before_rows" ] || { echo "  [db] FAIL after the reboot orders are $after_rows"; return 1; }
  [ "$after_secrets" = "$before_secrets" ] ||
    { echo "  [db] FAIL the TLS keys or debian.cnf changed at the second boot:"; diff <(echo "$before_secrets") <(echo "$after_secrets") | sed 's/^/      /'; return 1; }
  for _ in $(seq 30); do
    code=$(in_net curl -s -o /dev/null -w '%{http_code}' "http://${ROLE_IP[api]}:5000/api/order/$id")
    [ "$code" = 200 ] && break
    sleep 1
  done
  echo "  [db] after the reboot: every unit active, none failed; orders $after_rows; TLS keys and debian.cnf unchanged; GET /api/order/$id: $code"
  [ "$code" = 200 ]
}

# db_mode = "rds": the monitor, booted again with the endpoint in runtime.env as Terraform writes it then, makes the
# database's accounts as the master user and runs mysqld_exporter against it. The db's MariaDB stands in for RDS: it
# gets a master user reachable from the VPC, as RDS has, and loses the application account its own boot made, so
# only the monitor can bring it back.
boot_check_rds() {
  local master vpc_host users grants mode code
  master=$(jq -r --arg n "/$PROJECT/db/master-password" '.[$n]' "$WORK/parameters.json")
  vpc_host="$NET.0/255.255.255.0"
  in_role db mysql -e "CREATE USER 'admin'@'%' IDENTIFIED BY '$master';
    GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%' WITH GRANT OPTION; DROP USER 'orders'@'$vpc_host';" ||
    { echo "  [db] FAIL cannot make the stand-in master user"; return 1; }
  shut_down monitor || return 1
  write_user_data "$WORK/monitor/root" "PROJECT=$PROJECT" ROLE=monitor "AWS_REGION=$REGION" "SSM_PREFIX=/$PROJECT" \
    "DB_HOST=${ROLE_IP[db]}" || return 1
  SKIPPED_UNITS[monitor]=""
  boot monitor || return 1
  wait_booted monitor 120 || { units_healthy monitor; return 1; }
  # As in boot_units: Grafana's admin step is enabled only with Grafana's package.
  in_role monitor systemctl start grafana-admin-config.service || return 1
  units_healthy monitor || return 1
  users=$(in_role db mysql -N -e "SELECT CONCAT(user, '@', host) FROM mysql.user
    WHERE user IN ('orders', 'exporter') ORDER BY 1" | paste -sd' ' -)
  echo "  [db] accounts after the monitor's RDS boot: $users"
  [ "$users" = "exporter@$vpc_host exporter@localhost orders@$vpc_host" ] ||
    { echo "  [monitor] FAIL the monitor did not create orders and exporter from the VPC"; return 1; }
  # The load generator's SQL stress account: from the VPC, no privilege beyond logging in.
  grants=$(in_role db mysql -N -e "SHOW GRANTS FOR 'stress'@'$vpc_host'") ||
    { echo "  [monitor] FAIL the monitor did not create the stress account"; return 1; }
  echo "  [db] stress account: $grants"
  if [ "$(wc -l <<<"$grants")" -ne 1 ] || [[ "$grants" != "GRANT USAGE ON *.* TO "* ]]; then
    echo "  [monitor] FAIL the stress account has privileges: $grants"
    return 1
  fi
  mode=$(in_role monitor stat -c '%a %U' /etc/prometheus-demo/mysqld-exporter.my.cnf)
  [ "$mode" = "600 prometheus" ] || { echo "  [monitor] FAIL the exporter's my.cnf is $mode"; return 1; }
  in_net curl -fsS "http://${ROLE_IP[monitor]}:9104/metrics" | grep -q '^mysql_up 1' ||
    { echo "  [monitor] FAIL mysqld_exporter on the monitor: mysql_up is not 1"; return 1; }
  jq -e -s --arg n "/$PROJECT/db/master-password" \
    'any(.[]; .action == "GetParameter" and .name == $n and .decrypt and .access_key == "AKIABOOTTESTmonitor")' \
    "$WORK/ssm-requests.log" >/dev/null || { echo "  [monitor] FAIL no GetParameter of the master password"; return 1; }
  # New connections with the re-created application account: the API restarted, ready, serving.
  in_role api systemctl restart order-api.service || return 1
  for _ in $(seq 60); do
    code=$(in_net curl -s -o /dev/null -w '%{http_code}' "http://${ROLE_IP[api]}:5000/api/order/1")
    [ "$code" = 200 ] && break
    sleep 1
  done
  echo "  [monitor] with DB_HOST: rds-accounts made the accounts as the master user; mysqld_exporter on" \
    "${ROLE_IP[monitor]}:9104 mysql_up 1; the restarted api: GET /api/order/1 $code"
  [ "$code" = 200 ]
}

# The test itself: the four roots (provisioned and cleaned by run_chroot) booted together.
run_boot() {
  local role t0=$SECONDS
  for role in api db monitor loadgen; do
    [ -d "$WORK/$role/root/etc" ] || { echo "  the $role root was not built (the chroot step failed)"; return 1; }
  done
  # The image as baked: no instance secrets, no runtime.env.
  for file in /var/lib/mysql/ca.pem /var/lib/mysql/server-key.pem /var/lib/mysql/private_key.pem /etc/mysql/debian.cnf; do
    [ ! -e "$WORK/db/root$file" ] || { echo "  FAIL the db image holds $file"; return 1; }
  done
  boot_network || return 1
  boot_certificates || return 1
  boot_fakes
  for role in db api monitor loadgen; do prepare_boot_root "$role" || return 1; done
  for role in db api monitor loadgen; do boot "$role" || return 1; done
  for role in db api monitor loadgen; do wait_booted "$role" 240 || { units_healthy "$role"; return 1; }; done
  echo "  four roles booted in $((SECONDS - t0)) s"
  # Where these Debian roots differ from the Ubuntu images, said once, before the assertions.
  cat <<'TXT'
  NOT SHOWN by this boot (Debian 12 roots, no AWS): Ubuntu 24.04's packages (MariaDB 10.11 stands in for MySQL 8.0,
    Prometheus 2.42 for 2.45, Debian's aws-cli 2.9.19 for the pinned AWS CLI zip); snaps (SSM agent, Session
    Manager, Run Command delivery); Grafana (its package is unreachable; its admin step still runs); cloud-init
    and IMDS (runtime.env, PRIVATE_IP, VPC_CIDR and credentials are given by the test); IAM, security groups, KMS.
TXT
}

boot_units() {
  local role bad=0
  for role in db api monitor loadgen; do
    [ -n "${SYSTEMD_PID[$role]:-}" ] || return 1
  done
  # Grafana's admin step is enabled only with Grafana's package; its script still runs here, hardened, via SSM.
  in_role monitor systemctl start grafana-admin-config.service ||
    { echo "  [monitor] FAIL grafana-admin-config.service"; bad=1; }
  for role in db api monitor loadgen; do units_healthy "$role" || bad=1; done
  for role in api db monitor loadgen; do aws_cli_hardened "$role" || bad=1; done
  return "$bad"
}

booted() {
  local role
  for role in db api monitor loadgen; do
    [ -n "${SYSTEMD_PID[$role]:-}" ] || { echo "  not booted ($role)"; return 1; }
  done
  "$@"
}
