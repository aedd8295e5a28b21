#!/usr/bin/env bash
# scripts/prepare-artifacts.sh: run on the operator's machine before `packer build`: checks the jars Packer
# uploads and makes build/java-runtime.tar.gz, a jlink runtime with the modules both jars need (jdeps).
set -euo pipefail

HERE=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=../scripts/lib.sh
. "$ROOT/scripts/lib.sh"

API_JAR=${API_JAR:-$ROOT/app/target/order-api.jar}
API_LIBS_DIR=${API_LIBS_DIR:-$ROOT/app/target/libs}
LOADTEST_JAR=${LOADTEST_JAR:-$ROOT/loadtest/target/loadtest.jar}
OUT=${OUT:-$HERE/build}
# Modules jdeps cannot see, because they are loaded by name at run time: sun.misc.Unsafe users (jdk.unsupported),
# zip file systems (jdk.zipfs, Liquibase's resource scanning), elliptic-curve TLS (jdk.crypto.ec where it still
# exists) and the JMX extensions behind Helidon's and Micrometer's process metrics (jdk.management).
EXTRA_MODULES=${EXTRA_MODULES:-jdk.unsupported jdk.zipfs jdk.crypto.ec jdk.management}

for file in "$API_JAR" "$API_LIBS_DIR" "$LOADTEST_JAR"; do
  [ -e "$file" ] || {
    echo "$file is missing: build the jars first (at the repository root: ./mvnw -B -q install -DskipTests)" >&2
    exit 1
  }
done
use_jdk
echo "JDK: $JAVA_HOME"

echo "==> deriving the runtime's modules with jdeps"
api_modules=$(jdeps --ignore-missing-deps --print-module-deps --multi-release 25 \
  --class-path "$API_LIBS_DIR/*" "$API_JAR")
loadtest_modules=$(jdeps --ignore-missing-deps --print-module-deps --multi-release 25 "$LOADTEST_JAR")
available=$(java --list-modules | sed 's/@.*//')
modules=()
for module in ${api_modules//,/ } ${loadtest_modules//,/ } $EXTRA_MODULES; do
  if grep -qx "$module" <<<"$available"; then
    modules+=("$module")
  else
    echo "    $module is not in this JDK; left out"
  fi
done
module_list=$(printf '%s\n' "${modules[@]}" | sort -u | paste -sd, -)
echo "    order-api: $api_modules"
echo "    loadtest:  $loadtest_modules"
echo "    runtime:   $module_list"

echo "==> linking the runtime into $OUT/runtime"
rm -rf "$OUT/runtime" "$OUT/java-runtime.tar.gz"
mkdir -p "$OUT"
# JDK 24+ can link from its own run-time image when it has no jmods/ (Temurin 25 has none; JEP 493).
jlink --add-modules "$module_list" --strip-debug --no-header-files --no-man-pages --compress zip-6 \
  --output "$OUT/runtime"
"$OUT/runtime/bin/java" -version 2>&1 | head -1
tar -C "$OUT/runtime" -czf "$OUT/java-runtime.tar.gz" .
echo "==> $OUT/java-runtime.tar.gz ($(du -h "$OUT/java-runtime.tar.gz" | cut -f1)); next: packer init . && packer build ..."
