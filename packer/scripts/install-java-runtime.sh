#!/usr/bin/env bash
# scripts/install-java-runtime.sh: the jlink Java runtime (made by prepare-artifacts.sh) for api and loadgen.
# Parameters (env): JAVA_RUNTIME_ARCHIVE (the uploaded tar.gz), JAVA_RUNTIME_DIR (where it goes).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

JAVA_RUNTIME_ARCHIVE=${JAVA_RUNTIME_ARCHIVE:-$STAGE/java-runtime.tar.gz}
JAVA_RUNTIME_DIR=${JAVA_RUNTIME_DIR:-/opt/prometheus-demo/java}
require_file "$JAVA_RUNTIME_ARCHIVE"

log "unpacking the Java runtime into $JAVA_RUNTIME_DIR"
# Unpacked beside the target and swapped in, so a rerun never leaves a half-written runtime.
rm -rf "$JAVA_RUNTIME_DIR.new"
install -d -m 0755 "$JAVA_RUNTIME_DIR.new"
tar -xzf "$JAVA_RUNTIME_ARCHIVE" -C "$JAVA_RUNTIME_DIR.new" --no-same-owner
rm -rf "$JAVA_RUNTIME_DIR"
mv "$JAVA_RUNTIME_DIR.new" "$JAVA_RUNTIME_DIR"
chmod -R go-w "$JAVA_RUNTIME_DIR"

# Made for this image's CPU? (prepare-artifacts.sh links for the AMI's architecture; a mismatch would only
# show as "Exec format error" at boot.)
# The ELF header's e_machine (jlink's `release` file names no architecture).
case "$(od -An -tx1 -j18 -N2 "$JAVA_RUNTIME_DIR/bin/java" | tr -d ' ')" in
  3e00) runtime_arch=x86_64 ;;
  b700) runtime_arch=aarch64 ;;
  *) runtime_arch=unknown ;;
esac
case "$(uname -m)" in x86_64) machine=x86_64 ;; aarch64) machine=aarch64 ;; *) machine=$(uname -m) ;; esac
[ "$runtime_arch" = "$machine" ] || die "the Java runtime is for $runtime_arch, this image is $machine"
"$JAVA_RUNTIME_DIR/bin/java" -version
# A runtime, not a JDK: no compiler or jlink on the image.
[ ! -e "$JAVA_RUNTIME_DIR/bin/javac" ] || die "$JAVA_RUNTIME_DIR is a JDK, expected a jlink runtime"
