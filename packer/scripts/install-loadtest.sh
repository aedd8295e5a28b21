#!/usr/bin/env bash
# scripts/install-loadtest.sh: the load generator's jar; /usr/local/bin/loadtest (rootfs) runs it.
# Parameters (env): LOADTEST_JAR (uploaded), LOADTEST_HOME (where it goes).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

LOADTEST_JAR=${LOADTEST_JAR:-$STAGE/loadtest.jar}
LOADTEST_HOME=${LOADTEST_HOME:-/opt/loadtest}
require_file "$LOADTEST_JAR"

log "installing loadtest.jar into $LOADTEST_HOME"
install -D -m 0644 "$LOADTEST_JAR" "$LOADTEST_HOME/loadtest.jar"
