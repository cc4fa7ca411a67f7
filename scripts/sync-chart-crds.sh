#!/usr/bin/env bash
# Copies the files the chart ships from their sources of truth into charts/strata/files/:
#   crds/*.yaml                               -> charts/strata/files/crds/
#   monitoring/prometheus/strata-alerts.yaml  -> charts/strata/files/monitoring/   (when it exists)
#   monitoring/grafana/strata-dashboard.json  -> charts/strata/files/monitoring/   (when it exists)
# Helm reads only files inside the chart, hence copies; charts/strata/chart.test.ts fails when they drift.
# --check: change nothing, exit 1 and name the files that differ.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${repo_root}"
check=false
[ "${1:-}" = "--check" ] && check=true

pairs=()
for crd in crds/*.yaml; do pairs+=("${crd}:charts/strata/files/crds/$(basename "${crd}")"); done
for source in monitoring/prometheus/strata-alerts.yaml monitoring/grafana/strata-dashboard.json; do
  [ -f "${source}" ] && pairs+=("${source}:charts/strata/files/monitoring/$(basename "${source}")")
done

status=0
for pair in "${pairs[@]}"; do
  source="${pair%%:*}"
  target="${pair#*:}"
  if cmp -s "${source}" "${target}"; then continue; fi
  if ${check}; then
    echo "sync-chart-crds: ${target} differs from ${source} (run scripts/sync-chart-crds.sh)" >&2
    status=1
  else
    mkdir -p "$(dirname "${target}")"
    cp "${source}" "${target}"
    echo "sync-chart-crds: ${source} -> ${target}"
  fi
done

# A CRD deleted from crds/ must not linger in the chart.
for target in charts/strata/files/crds/*.yaml; do
  [ -e "${target}" ] || continue
  if [ ! -f "crds/$(basename "${target}")" ]; then
    if ${check}; then echo "sync-chart-crds: ${target} has no source in crds/" >&2; status=1; else rm -f "${target}"; echo "sync-chart-crds: removed ${target}"; fi
  fi
done
exit ${status}
