#!/usr/bin/env bash
# scripts/test-all.sh: every test of the project, as `./demo test` and CI run them.
# The Maven build's unit and integration tests first (they build the jars), then each folder's test.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

use_jdk
# The load generator's report test renders the HTML in headless Chromium; its sharded-verdict tests run a real
# Prometheus and promtool (Debian's prometheus package, which observability/test.sh needs later anyway).
[ -f loadtest/pom.xml ] && require_packages chromium prometheus

passed=0
failed=0
steps_failed=()

# Adds up the Surefire and Failsafe reports of the Maven run.
count_maven() {
  local file tests failures errors skipped
  while IFS= read -r file; do
    tests=$(grep -o -m1 '<testsuite[^>]*' "$file" | grep -o ' tests="[0-9]*"' | grep -o '[0-9]*')
    failures=$(grep -o -m1 '<testsuite[^>]*' "$file" | grep -o ' failures="[0-9]*"' | grep -o '[0-9]*')
    errors=$(grep -o -m1 '<testsuite[^>]*' "$file" | grep -o ' errors="[0-9]*"' | grep -o '[0-9]*')
    skipped=$(grep -o -m1 '<testsuite[^>]*' "$file" | grep -o ' skipped="[0-9]*"' | grep -o '[0-9]*')
    passed=$((passed + tests - failures - errors - skipped))
    failed=$((failed + failures + errors))
  done < <(find . -path '*/target/*-reports/TEST-*.xml' -not -path './.local-stack/*' 2>/dev/null)
}

echo "==> Maven: unit and integration tests (./mvnw -B verify)"
find . -path '*/target/*-reports' -type d -prune -exec rm -rf {} + 2>/dev/null || true
if ! ./mvnw -B -ntp verify; then
  steps_failed+=("maven")
fi
count_maven

for script in */test.sh; do
  [ -f "$script" ] || continue
  name=${script%/test.sh}
  echo
  echo "==> $name: bash $script"
  log=$(mktemp)
  if bash "$script" 2>&1 | tee "$log"; then :; else steps_failed+=("$name"); fi
  summary=$(grep -E '^[A-Za-z0-9_-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || true)
  if [ -z "$summary" ]; then
    echo "$script printed no 'name: N passed, M failed' line" >&2
    steps_failed+=("$name")
  else
    p=$(sed -E 's/^[^:]+: ([0-9]+) passed, ([0-9]+) failed.*/\1/' <<<"$summary")
    f=$(sed -E 's/^[^:]+: ([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$summary")
    passed=$((passed + p))
    failed=$((failed + f))
  fi
  rm -f "$log"
done

echo
if [ "${#steps_failed[@]}" -gt 0 ]; then
  echo "Failed steps: ${steps_failed[*]}"
  [ "$failed" -gt 0 ] || failed=${#steps_failed[@]}
fi
echo "all: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "${#steps_failed[@]}" -eq 0 ]
