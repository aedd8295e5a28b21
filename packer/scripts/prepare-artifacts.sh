#!/usr/bin/env bash
# scripts/prepare-artifacts.sh: run on the operator's machine before `packer build`: checks the jars Packer
# uploads and makes build/java-runtime.tar.gz, a jlink runtime with the modules both jars need (jdeps), for the
# images' platform: Linux on the architecture sources.pkr.hcl bakes (x86_64 or arm64). Parameters (env):
# TARGET_ARCH (default: the `architecture` filter in sources.pkr.hcl), TARGET_JDK (a Linux JDK 25 of that
# architecture with jmods/, to link on another platform), API_JAR, API_LIBS_DIR, LOADTEST_JAR, OUT.
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

# The images' architecture, from the AMI filter (one source of truth), as Java names it.
TARGET_ARCH=${TARGET_ARCH:-$(sed -n 's/^ *architecture *= *"\([^"]*\)".*/\1/p' "$HERE/sources.pkr.hcl" | head -1)}
case "$TARGET_ARCH" in
  x86_64 | amd64) java_arch=x86_64 ;;
  arm64 | aarch64) java_arch=aarch64 ;;
  *) echo "TARGET_ARCH must be x86_64 or arm64 (the AMI's architecture), was '$TARGET_ARCH'" >&2; exit 1 ;;
esac
TARGET_JDK=${TARGET_JDK:-}

for file in "$API_JAR" "$API_LIBS_DIR" "$LOADTEST_JAR"; do
  [ -e "$file" ] || {
    echo "$file is missing: build the jars first (at the repository root: ./mvnw -B -q install -DskipTests)" >&2
    exit 1
  }
done
use_jdk
echo "JDK: $JAVA_HOME"

# jlink links the platform of the modules it is given: by default those of the JDK that runs it. A runtime for
# another OS or CPU fails only on the image (or, worse, at boot), so refuse early unless TARGET_JDK supplies the
# target's jmods. `release` names the platform: OS_NAME="Linux", OS_ARCH="x86_64" / "aarch64".
release_of() {
  sed -n "s/^$2=\"\(.*\)\"$/\1/p" "$1/release"
}
# The CPU an ELF executable is for, from its e_machine field (jlink's own `release` names no architecture).
elf_arch() {
  case "$(od -An -tx1 -j18 -N2 "$1" | tr -d ' ')" in
    3e00) echo x86_64 ;;
    b700) echo aarch64 ;;
    *) echo unknown ;;
  esac
}
link_args=()
if [ -n "$TARGET_JDK" ]; then
  [ -d "$TARGET_JDK/jmods" ] || { echo "TARGET_JDK=$TARGET_JDK has no jmods/ to link from" >&2; exit 1; }
  platform="$(release_of "$TARGET_JDK" OS_NAME)/$(release_of "$TARGET_JDK" OS_ARCH)"
  [ "$platform" = "Linux/$java_arch" ] ||
    { echo "TARGET_JDK=$TARGET_JDK is for $platform, the images need Linux/$java_arch" >&2; exit 1; }
  [ "$(release_of "$TARGET_JDK" JAVA_VERSION)" = "$(release_of "$JAVA_HOME" JAVA_VERSION)" ] ||
    { echo "TARGET_JDK must be the same Java version as $JAVA_HOME (jlink's rule)" >&2; exit 1; }
  link_args=(--module-path "$TARGET_JDK/jmods")
else
  platform="$(release_of "$JAVA_HOME" OS_NAME)/$(release_of "$JAVA_HOME" OS_ARCH)"
  if [ "$platform" != "Linux/$java_arch" ]; then
    cat >&2 <<MSG
The JDK at $JAVA_HOME is for $platform, but the images run Linux/$java_arch (sources.pkr.hcl).
jlink would link a runtime for $platform that cannot run there. Either run this script on Linux/$java_arch,
or set TARGET_JDK to a Linux/$java_arch JDK of the same version that has jmods/ (for example Temurin's
linux-$java_arch tar.gz unpacked anywhere), which jlink then links from.
MSG
    exit 1
  fi
fi
echo "target: Linux/$java_arch"

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
jlink "${link_args[@]}" --add-modules "$module_list" --strip-debug --no-header-files --no-man-pages \
  --compress zip-6 --output "$OUT/runtime"
[ "$(elf_arch "$OUT/runtime/bin/java")" = "$java_arch" ] ||
  { echo "jlink made a runtime for $(elf_arch "$OUT/runtime/bin/java"), not $java_arch" >&2; exit 1; }
if [ -z "$TARGET_JDK" ]; then
  "$OUT/runtime/bin/java" -version 2>&1 | head -1
fi
tar -C "$OUT/runtime" -czf "$OUT/java-runtime.tar.gz" .
echo "==> $OUT/java-runtime.tar.gz ($(du -h "$OUT/java-runtime.tar.gz" | cut -f1)); next: packer init . && packer build ..."
