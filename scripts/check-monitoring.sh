#!/usr/bin/env bash
# Checks the monitoring that ships in monitoring/: the alert rules (promtool check rules, promtool test rules),
# the Grafana dashboard (the guide's panels and queries, metric names against the guide and node/src, PromQL
# syntax, every query returns data over a synthetic scrape) and the runbook links.
# Ends with one line "monitoring: N passed, M failed"; exits non-zero when anything failed.
# Needs promtool (Debian: apt-get install prometheus) and node with the repository's node_modules (js-yaml).
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0
failed=0
out=$(mktemp -d)
trap 'rm -rf "$out"; echo "monitoring: ${passed} passed, ${failed} failed"' EXIT

ok() { passed=$((passed + 1)); echo "PASS $1"; }
ko() { failed=$((failed + 1)); echo "FAIL $1"; }

# promtool: one check per command, its output shown on failure.
run() { # name, command...
  local name=$1 log
  shift
  if log=$("$@" 2>&1); then ok "$name"; else ko "$name"; echo "$log" | sed 's/^/    /'; fi
}

if ! command -v promtool >/dev/null 2>&1; then
  ko "promtool is installed (Debian: apt-get install prometheus)"
  exit 1
fi
echo "== $(promtool --version 2>&1 | head -1)"

# The dashboard, the metric names and the runbooks; it also writes the dashboard's queries for promtool.
dash_log="$out/check-dashboard.log"
node monitoring/tools/check-dashboard.mjs . "$out" >"$dash_log" 2>&1
dash_status=$?
cat "$dash_log"
passed=$((passed + $(grep -c '^PASS ' "$dash_log")))
failed=$((failed + $(grep -c '^FAIL ' "$dash_log")))
if [ "$dash_status" -ne 0 ] && ! grep -q '^FAIL ' "$dash_log"; then ko "check-dashboard.mjs ran (exit $dash_status)"; fi

run "promtool check rules monitoring/prometheus/strata-alerts.yaml" promtool check rules monitoring/prometheus/strata-alerts.yaml
# promtool resolves rule_files relative to the test file.
run "promtool test rules monitoring/prometheus/strata-alerts.test.yaml" promtool test rules monitoring/prometheus/strata-alerts.test.yaml
if [ -f "$out/dashboard-queries.rules.yaml" ]; then
  run "dashboard queries are valid PromQL (promtool check rules)" promtool check rules "$out/dashboard-queries.rules.yaml"
  run "dashboard queries return series (promtool test rules)" promtool test rules "$out/dashboard-queries.test.yaml"
else
  ko "dashboard queries were written for promtool"
fi
run "example scrape config (promtool check config)" promtool check config monitoring/prometheus/prometheus.yml

[ "$failed" -eq 0 ]
