#!/usr/bin/env bash
# scripts/install-order-api.sh: the order API's jar and dependency jars, and the system user that runs it.
# Parameters (env): API_JAR, API_LIBS_DIR (uploaded), API_HOME (where they go).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

API_JAR=${API_JAR:-$STAGE/order-api.jar}
API_LIBS_DIR=${API_LIBS_DIR:-$STAGE/libs}
API_HOME=${API_HOME:-/opt/order-api}
require_file "$API_JAR" "$API_LIBS_DIR"
ls "$API_LIBS_DIR"/*.jar >/dev/null 2>&1 || die "$API_LIBS_DIR holds no jars"

if ! id order-api >/dev/null 2>&1; then
  log "creating the order-api system user"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin order-api
fi

log "installing the jars into $API_HOME"
# The manifest's Class-Path names libs/*.jar beside the jar. Replaced as a whole, so no stale jar stays.
rm -rf "$API_HOME/libs"
install -d -m 0755 "$API_HOME/libs"
install -m 0644 "$API_JAR" "$API_HOME/order-api.jar"
install -m 0644 "$API_LIBS_DIR"/*.jar "$API_HOME/libs/"

# The JDK's AOT cache (app/README.md, "Start-up"): a training run of the API on the image's own runtime and jars,
# without a database (its store requests end in 503), written as the JVM exits, with the unit's collector and heap.
# The unit starts with -XX:AOTCache= (order-api.env); a cache the JVM cannot use only costs start-up time, with a
# warning in the journal.
JAVA_RUNTIME_DIR=${JAVA_RUNTIME_DIR:-/opt/prometheus-demo/java}
log "training the API's AOT cache into $API_HOME/order-api.aot"
rm -f "$API_HOME/order-api.aot"
"$JAVA_RUNTIME_DIR/bin/java" -XX:+UseSerialGC -Xmx64m -XX:AOTCacheOutput="$API_HOME/order-api.aot" -jar "$API_HOME/order-api.jar" train 5
require_file "$API_HOME/order-api.aot"
chmod 0644 "$API_HOME/order-api.aot"
