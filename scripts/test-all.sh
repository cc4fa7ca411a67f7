#!/usr/bin/env bash
# The whole test suite, in the order of the testing pyramid; stops at the first failing tier.
# Ends with one line "N passed, M failed" over every tier (vitest tests + monitoring checks + simulation seeds).
# STRATA_E2E=0 leaves out the last tier (e2e on a local Kubernetes control plane; `make test-quick`), and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.cache/test-results
mkdir -p "$out"
passed=0
failed=0

count() { # file -> adds vitest JSON counts (a missing report counts as one failure)
  local p f
  if [ ! -f "$1" ]; then failed=$((failed + 1)); return; fi
  p=$(node -e "const r=require('./$1');console.log(r.numPassedTests)")
  f=$(node -e "const r=require('./$1');console.log(r.numFailedTests + (r.numTotalTestSuites && r.success===false && r.numFailedTests===0 ? 1 : 0))")
  passed=$((passed + p)); failed=$((failed + f))
  [ "$f" -eq 0 ] || node scripts/failed-tests.cjs "$1"
}

summary() {
  echo "tests: ${passed} passed, ${failed} failed"
}
trap summary EXIT

echo "== lint (types + dependency rules)"
npm run lint --silent

echo "== build"
npm run build --silent

echo "== unit"
npx vitest run --project unit --reporter=default --reporter=json --outputFile="$out/unit.json" || { count "$out/unit.json"; exit 1; }
count "$out/unit.json"

echo "== monitoring (promtool check/test rules, dashboard, runbooks)"
mon_log="$out/monitoring.log"
set +e
bash scripts/check-monitoring.sh | tee "$mon_log"
mon_status=${PIPESTATUS[0]}
set -e
read -r mp mf < <(sed -nE 's/^monitoring: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' "$mon_log" | tail -1) || true
passed=$((passed + ${mp:-0})); failed=$((failed + ${mf:-0}))
if [ "$mon_status" -ne 0 ]; then [ "${mf:-0}" -gt 0 ] || failed=$((failed + 1)); exit 1; fi

echo "== simulation (bounded: ${SIM_BUDGET_SECONDS:-60}s of random seeds after the fixed ones)"
sim_log="$out/sim.log"
set +e
npx tsx node/src/testing/sim-main.ts --budget-seconds "${SIM_BUDGET_SECONDS:-60}" | tee "$sim_log"
sim_status=${PIPESTATUS[0]}
set -e
read -r sp sf < <(sed -nE 's/^sim: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' "$sim_log" | tail -1)
passed=$((passed + ${sp:-0})); failed=$((failed + ${sf:-0}))
if [ "$sim_status" -ne 0 ]; then [ "${sf:-0}" -gt 0 ] || failed=$((failed + 1)); exit 1; fi

echo "== integration (real processes on loopback)"
npx vitest run --project integration --reporter=default --reporter=json --outputFile="$out/integration.json" || { count "$out/integration.json"; exit 1; }
count "$out/integration.json"

if [ "${STRATA_E2E:-1}" = "0" ]; then
  echo "== e2e: not run (STRATA_E2E=0); make e2e runs it"
  exit 0
fi
echo "== e2e (a Kubernetes control plane built from Go modules, the node agent, the chart and the operator)"
e2e_log="$out/e2e.log"
set +e
bash e2e/harness/run-e2e.sh | tee "$e2e_log"
e2e_status=${PIPESTATUS[0]}
set -e
read -r ep ef < <(sed -nE 's/^e2e: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' "$e2e_log" | tail -1) || true
passed=$((passed + ${ep:-0})); failed=$((failed + ${ef:-0}))
if [ "$e2e_status" -ne 0 ]; then [ "${ef:-0}" -gt 0 ] || failed=$((failed + 1)); exit 1; fi
