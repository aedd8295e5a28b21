#!/usr/bin/env bash
# terraform/test.sh
# Static checks of the Terraform configuration without a Terraform binary (fmt, parse, schema, policy), then the mutation tests proving each check catches its own kind of error.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
checks="${here}/checks"
passed=0
failed=0

command -v node >/dev/null || { echo "terraform: node (20 or later) is required" >&2; echo "terraform: 0 passed, 1 failed"; exit 1; }

# Install the pinned checker dependencies when node_modules is missing or older than the lockfile.
if [[ ! -f "${checks}/node_modules/.package-lock.json" || "${checks}/package-lock.json" -nt "${checks}/node_modules/.package-lock.json" ]]; then
  (cd "${checks}" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
fi

scratch="$(mktemp -d)"
trap 'rm -rf "${scratch}"' EXIT

# 1. The four checks on the module itself, one result each.
echo "== checks on terraform/"
if node "${checks}/tfcheck.js" "${here}" >"${scratch}/checks.out" 2>&1; then :; fi
cat "${scratch}/checks.out"
ok=$(grep -c '^ok ' "${scratch}/checks.out" || true)
bad=$(grep -c '^FAIL ' "${scratch}/checks.out" || true)
if [[ $((ok + bad)) -ne 4 ]]; then bad=$((4 - ok)); fi
passed=$((passed + ok))
failed=$((failed + bad))

# 2. Planted errors: each must be caught by its own check; the unmodified module must pass.
echo "== mutation tests (checks/test)"
if (cd "${checks}" && node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="${scratch}/tap" test/ </dev/null); then :; fi
tests_passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "${scratch}/tap")
tests_failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "${scratch}/tap")
if [[ -z "${tests_passed}" ]]; then tests_passed=0; tests_failed=1; fi
passed=$((passed + tests_passed))
failed=$((failed + tests_failed))

echo "terraform: ${passed} passed, ${failed} failed"
[[ "${failed}" -eq 0 ]]
