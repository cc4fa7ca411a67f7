#!/usr/bin/env bash
# `make e2e`: helm, the control plane binaries (cached: STRATA_K8S_CACHE or .cache/k8s), then the vitest
# project e2e (two files at a time, vitest.config.ts). Ends with one line "e2e: N passed, M failed, S skipped in T s".
# dist/ must be built first (the Makefile's e2e target depends on build).
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
out=.cache/test-results
mkdir -p "$out"
report="$out/e2e.json"
rm -f "$report"

# Pods run as uid 10001, as in a real cluster, and execute their "images" from under this checkout: every
# folder above it must let others through (a clone made under `mktemp -d` is 0700).
dir=$(pwd)
while [ "$dir" != "/" ]; do
  if [ $(( 0$(stat -c %a "$dir") & 1 )) -eq 0 ]; then
    chmod o+x "$dir"
    echo "== e2e: chmod o+x $dir (pods run as uid 10001 and read their images below it)"
  fi
  dir=$(dirname "$dir")
done

echo "== e2e: helm ($(bash scripts/fetch-helm.sh))"
echo "== e2e: control plane binaries (cold: ~15-18 min on 2 cores; cached: a second)"
bash e2e/control-plane/build.sh

echo "== e2e: vitest project e2e"
set +e
npx vitest run --project e2e --reporter=default --reporter=json --outputFile.json="$report" "$@"
status=$?
set -e

if [ -f "$report" ]; then
  node -e "
    const r = require('./$report');
    const failedFiles = r.testResults.filter((f) => f.status === 'failed').map((f) => f.name.replace(process.cwd() + '/', ''));
    console.log('e2e: ' + r.numPassedTests + ' passed, ' + r.numFailedTests + ' failed, ' + (r.numPendingTests + r.numTodoTests) + ' skipped in $(( $(date +%s) - start )) s');
    if (failedFiles.length) console.log('e2e: failed files: ' + failedFiles.join(', '));
  "
  [ "$status" -eq 0 ] || node scripts/failed-tests.cjs "$report"
else
  echo "e2e: no report (vitest exited ${status} before writing one) after $(( $(date +%s) - start )) s"
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
