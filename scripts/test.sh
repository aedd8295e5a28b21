#!/usr/bin/env bash
# scripts/test.sh: the local stack's own tests: its scripts are clean, its data survives stops, no fault loses an
# acknowledged order (scripts/fault-matrix.sh), and neither does killing one of several API processes behind HAProxy
# (scripts/check-scale-out.sh); and the AWS coordinator against a fake aws (scripts/test-aws-loadtest.sh). Prints
# "scripts: N passed, M failed".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }

require_packages shellcheck >/dev/null
if (cd "$ROOT" && shellcheck -x demo scripts/*.sh); then
  ok "shellcheck demo scripts/*.sh"
else
  fail "shellcheck demo scripts/*.sh"
fi
for jar in app/target/order-api.jar db/embedded/target/embedded-db.jar loadtest/target/loadtest.jar; do
  [ -f "$ROOT/$jar" ] || { fail "$jar is missing: build first (./mvnw -B verify, or ./demo test)"; }
done
if [ "$FAILED" -gt 0 ]; then
  echo "scripts: $PASSED passed, $FAILED failed"
  exit 1
fi

# The AWS coordinator against a fake aws that runs the real Run Command document on fake hosts (no AWS).
log=$(mktemp)
bash "$ROOT/scripts/test-aws-loadtest.sh" 2>&1 | tee "$log" || true
summary=$(grep -E '^aws-coordinator: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || true)
if [ -z "$summary" ]; then
  fail "scripts/test-aws-loadtest.sh printed no summary"
else
  PASSED=$((PASSED + $(sed -E 's/^[^:]+: ([0-9]+) passed.*/\1/' <<<"$summary")))
  FAILED=$((FAILED + $(sed -E 's/^[^:]+: [0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$summary")))
fi
rm -f "$log"

# The fault matrix on its own stack, left running for the persistence checks below. A state folder under /tmp on
# purpose: that is where the embedded database used to lose its data.
export LOCAL_STACK_NET=127.0.8
LOCAL_STACK_DIR=$(mktemp -d /tmp/local-stack-test.XXXXXX)
export LOCAL_STACK_DIR
STACK=$ROOT/scripts/local-stack.sh
trap '"$STACK" down >/dev/null 2>&1 || true; rm -rf "$LOCAL_STACK_DIR"' EXIT

log=$(mktemp)
set +e
bash "$ROOT/scripts/fault-matrix.sh" --keep --report "$LOCAL_STACK_DIR/fault-matrix.md" 2>&1 | tee "$log"
set -e
summary=$(grep -E '^fault-matrix: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || true)
if [ -z "$summary" ]; then
  fail "the fault matrix printed no summary"
else
  PASSED=$((PASSED + $(sed -E 's/^[^:]+: ([0-9]+) passed.*/\1/' <<<"$summary")))
  FAILED=$((FAILED + $(sed -E 's/^[^:]+: [0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$summary")))
fi
rm -f "$log"

sql() {
  "$LOCAL_STACK_DIR/data/db-base/bin/mariadb" -h "$LOCAL_STACK_NET.2" -u orders -porders-local orders -Nse "$1"
}
if before=$(sql "SELECT COUNT(*) FROM orders" 2>/dev/null); then
  # down / up keeps every order, and the seed is not loaded a second time.
  "$STACK" down >/dev/null
  if "$STACK" up --detach >"$LOCAL_STACK_DIR/up-again.log" 2>&1 && after=$(sql "SELECT COUNT(*) FROM orders"); then
    if [ "$after" -eq "$before" ] && [ "$before" -gt 100000 ]; then
      ok "down, then up: the database keeps its $after orders (seeded 100,000 plus the matrix's)"
    else
      fail "down, then up: $before orders before, $after after"
    fi
  else
    fail "up after down failed: $(tail -3 "$LOCAL_STACK_DIR/up-again.log")"
  fi
  # reset refuses while the stack runs, then deletes the data and says so.
  if ! "$STACK" reset >/dev/null 2>&1 && [ -d "$LOCAL_STACK_DIR/data/db" ]; then
    ok "reset refuses while the stack runs and deletes nothing"
  else
    fail "reset ran while the stack was up"
  fi
  "$STACK" down >/dev/null
  out=$("$STACK" reset)
  if [ ! -e "$LOCAL_STACK_DIR/data/db" ] && grep -q "data/db (.*): the database" <<<"$out"; then
    ok "reset deletes the database and says what it deleted"
  else
    fail "reset: $out"
  fi
else
  fail "the matrix's stack is not up for the persistence checks"
fi

"$STACK" down >/dev/null 2>&1 || true

# Several API processes behind HAProxy, one killed mid-run (scripts/check-scale-out.sh), on a stack of its own.
log=$(mktemp)
set +e
env -u LOCAL_STACK_NET -u LOCAL_STACK_DIR bash "$ROOT/scripts/check-scale-out.sh" 2>&1 | tee "$log"
set -e
summary=$(grep -E '^scale-out: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || true)
if [ -z "$summary" ]; then
  fail "the scale-out check printed no summary"
else
  PASSED=$((PASSED + $(sed -E 's/^[^:]+: ([0-9]+) passed.*/\1/' <<<"$summary")))
  FAILED=$((FAILED + $(sed -E 's/^[^:]+: [0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$summary")))
fi
rm -f "$log"

echo "scripts: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
