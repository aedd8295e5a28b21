#!/usr/bin/env bash
# scripts/verify-loadgen.sh: the loadgen image before it is sealed: `loadtest --help` runs the jar on the jlink
# runtime, the AWS CLI is there for the db-stress Run Command, the loadtest user for multi-host runs,
# node_exporter's unit.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

verify_common
require_file /opt/loadtest/loadtest.jar /usr/local/bin/loadtest
/usr/local/bin/loadtest --help >/dev/null || die "loadtest --help failed on the bundled runtime"
aws ssm send-command help >/dev/null 2>&1 || aws ssm send-command --generate-cli-skeleton >/dev/null ||
  die "the AWS CLI cannot run ssm send-command"
if [ "$(getent passwd loadtest | cut -d: -f6)" != /var/lib/loadtest ] || [ ! -d /var/lib/loadtest ]; then
  die "no user loadtest with the home /var/lib/loadtest (the loadtest-run Run Command document runs as it)"
fi
runuser -u loadtest -- /usr/local/bin/loadtest --help >/dev/null || die "loadtest --help failed as the loadtest user"
verify_units prometheus-node-exporter.service
log "loadgen image verified"
