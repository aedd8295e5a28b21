#!/usr/bin/env bash
# scripts/install-loadtest.sh: the load generator's jar, which /usr/local/bin/loadtest (rootfs) runs, and the
# unprivileged user the multi-host Run Command document runs it as (results under its home, /var/lib/loadtest).
# Parameters (env): LOADTEST_JAR (uploaded), LOADTEST_HOME (where the jar goes).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

LOADTEST_JAR=${LOADTEST_JAR:-$STAGE/loadtest.jar}
LOADTEST_HOME=${LOADTEST_HOME:-/opt/loadtest}
require_file "$LOADTEST_JAR"

log "installing loadtest.jar into $LOADTEST_HOME"
install -D -m 0644 "$LOADTEST_JAR" "$LOADTEST_HOME/loadtest.jar"

# <project>-loadtest-run (terraform/ssm-documents.tf) runs `runuser -u loadtest -- loadtest ...`, never as root.
if ! id -u loadtest >/dev/null 2>&1; then
  log "creating the system user loadtest (home /var/lib/loadtest)"
  useradd --system --user-group --create-home --home-dir /var/lib/loadtest --shell /usr/sbin/nologin loadtest
fi
chmod 0750 /var/lib/loadtest
