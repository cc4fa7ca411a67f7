#!/usr/bin/env bash
# Stops one run of the e2e control plane started by start.sh and removes its data (.cache/e2e/<run>).
# Each component was started as the leader of its own session, so its whole process group is signalled:
# SIGTERM, up to 15 s for a clean exit, then SIGKILL. Only the pids recorded by start.sh are touched.
#
# Usage: stop.sh [--run NAME] [--keep]   (--keep leaves logs, certificates and etcd data for a post-mortem)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
run="${STRATA_E2E_RUN:-local}"
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --run) run="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: stop.sh [--run NAME] [--keep]" >&2; exit 2 ;;
  esac
done
[[ "${run}" =~ ^[a-zA-Z0-9._-]+$ ]] || { echo "control-plane/stop: bad run name '${run}'" >&2; exit 2; }
run_dir="${repo_root}/.cache/e2e/${run}"
pids="${run_dir}/pids"

log() { echo "control-plane/stop: $*" >&2; }

# stop_one NAME: SIGTERM to the component's group, up to 15 s for a clean exit, then SIGKILL.
stopped=0
stop_one() {
  local name="$1" f="${pids}/$1.pid" pid deadline
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  kill -0 "${pid}" 2>/dev/null || return 0
  kill -TERM -- "-${pid}" 2>/dev/null || kill -TERM "${pid}" 2>/dev/null || true
  stopped=$((stopped + 1))
  deadline=$(( $(date +%s) + 15 ))
  while kill -0 "${pid}" 2>/dev/null && [ "$(date +%s)" -lt "${deadline}" ]; do sleep 0.1; done
  if kill -0 "${pid}" 2>/dev/null; then
    log "${name} (${pid}) ignored SIGTERM for 15 s; sending SIGKILL"
    kill -KILL -- "-${pid}" 2>/dev/null || kill -KILL "${pid}" 2>/dev/null || true
  fi
}
if [ -d "${pids}" ]; then
  # One at a time in reverse start order: the apiserver's clients, then the apiserver (which needs etcd
  # to shut down cleanly), then etcd.
  for name in kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_one "${name}"; done
  rm -rf "${pids}"
fi
log "run '${run}': stopped ${stopped} component(s)"

if [ "${keep}" = 1 ]; then
  log "kept ${run_dir}"
elif [ -d "${run_dir}" ]; then
  rm -rf "${run_dir}"
  log "removed ${run_dir}"
fi
