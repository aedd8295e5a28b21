#!/usr/bin/env bash
# packer/tests/check-same-files.sh: the images bake observability/ itself: every file provisioner source under
# ../observability exists, every file the local stack runs with is uploaded, and packer/ holds no copy of any.
set -euo pipefail

HERE=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OBS=$ROOT/observability
status=0

if [ ! -d "$OBS" ]; then
  echo "  $OBS is missing: the images bake observability/ (prometheus.yml, rules, Grafana, exporter flags)"
  exit 1
fi

# 1. Every ../observability source named in the templates exists.
mapfile -t sources < <(grep -ho '"\.\./observability/[^"]*"' "$HERE"/*.pkr.hcl | tr -d '"' | sort -u)
[ "${#sources[@]}" -gt 0 ] || { echo "  no file provisioner uploads from ../observability"; exit 1; }
for source in "${sources[@]}"; do
  if [ -e "$HERE/$source" ]; then
    echo "  uploaded: ${source#../}"
  else
    echo "  MISSING: ${source#../} (named in packer/*.pkr.hcl)"
    status=1
  fi
done

# 2. What the local stack and the AWS images share must all be uploaded.
for needed in observability/prometheus/prometheus.yml observability/prometheus/rules/ \
  observability/grafana/provisioning/ observability/grafana/dashboards/ \
  observability/exporters/node-exporter.flags observability/exporters/mysqld-exporter.flags \
  observability/bin/render-config; do
  printf '%s\n' "${sources[@]}" | grep -qx "\.\./$needed" ||
    { echo "  NOT UPLOADED: $needed"; status=1; }
done

# 3. No copy: no file inside packer/ (outside build output) has the content of a file under observability/.
declare -A obs_sums=()
while IFS= read -r -d '' file; do
  obs_sums[$(sha256sum "$file" | cut -d' ' -f1)]=${file#"$ROOT"/}
done < <(find "$OBS" -type f -size +0 -print0)
while IFS= read -r -d '' file; do
  sum=$(sha256sum "$file" | cut -d' ' -f1)
  if [ -n "${obs_sums[$sum]:-}" ]; then
    echo "  COPY: ${file#"$ROOT"/} has the content of ${obs_sums[$sum]}"
    status=1
  fi
done < <(find "$HERE" -path "$HERE/build" -prune -o -type f -size +0 -print0)
for pattern in 'prometheus*.yml' '*.rules.yml' '*-exporter.flags'; do
  while IFS= read -r file; do
    echo "  COPY?: ${file#"$ROOT"/} looks like an observability file; bake observability/ itself"
    status=1
  done < <(find "$HERE" -path "$HERE/build" -prune -o -type f -name "$pattern" -print)
done
[ "$status" -eq 0 ] && echo "  ${#obs_sums[@]} observability files; none copied into packer/"

# 4. MySQL's settings are packer's own file (files/rootfs/db/...); the local stack's embedded MariaDB runs with
# --no-defaults and takes the same settings as arguments. Both must say the same.
cnf=$HERE/files/rootfs/db/etc/mysql/mysql.conf.d/zz1-prometheus-demo.cnf
embedded=$ROOT/db/embedded/src/main/java/dev/promdemo/db/EmbeddedDatabase.java
if [ -f "$embedded" ]; then
  for setting in performance_schema slow_query_log long_query_time max_connections; do
    ours=$(sed -n "s/^$setting *= *\([^ #]*\).*/\1/p" "$cnf")
    local_stack=$(grep -o -- "--${setting//_/-}=[^\"]*" "$embedded" | cut -d= -f2)
    if [ -n "$ours" ] && [ "$ours" = "$local_stack" ]; then
      echo "  $setting = $ours in the image and in the local stack's database"
    else
      echo "  DIFFERENT: $setting is '$ours' in ${cnf#"$ROOT"/} but '$local_stack' in ${embedded#"$ROOT"/}"
      status=1
    fi
  done
else
  echo "  ${embedded#"$ROOT"/} not found: MySQL settings not compared with the local stack"
fi
exit "$status"
