#!/usr/bin/env bash
# scripts/verify-loadgen.sh: the loadgen image before it is sealed: `loadtest --help` runs the jar on the jlink
# runtime, the AWS CLI is there for the db-stress Run Command, node_exporter's unit.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

verify_common
require_file /opt/loadtest/loadtest.jar /usr/local/bin/loadtest
/usr/local/bin/loadtest --help >/dev/null || die "loadtest --help failed on the bundled runtime"
aws ssm send-command help >/dev/null 2>&1 || aws ssm send-command --generate-cli-skeleton >/dev/null ||
  die "the AWS CLI cannot run ssm send-command"
verify_units prometheus-node-exporter.service
log "loadgen image verified"
