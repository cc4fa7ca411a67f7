#!/usr/bin/env bash
# Installs etcd for the Raft benchmark's baseline, if it is not installed yet, and prints its version.
# Order: an etcd already on PATH or in .cache/bin; Debian's etcd-server (3.4) via apt-get; otherwise
# etcd built from its Go module at a pinned version into <repo>/.cache/bin.
# Idempotent: a second run finds the binary and only prints the version.
set -euo pipefail

ETCD_GO_VERSION="${ETCD_GO_VERSION:-v3.5.17}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache_bin="${repo_root}/.cache/bin"

find_etcd() {
  if command -v etcd >/dev/null 2>&1; then command -v etcd; return 0; fi
  if [ -x "${cache_bin}/etcd" ]; then echo "${cache_bin}/etcd"; return 0; fi
  # Debian installs the server outside some PATHs (e.g. /usr/bin is fine, but keep sbin in mind).
  for p in /usr/bin/etcd /usr/sbin/etcd /usr/local/bin/etcd; do
    if [ -x "$p" ]; then echo "$p"; return 0; fi
  done
  return 1
}

as_root() {
  if [ "$(id -u)" = "0" ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi
}

install_from_debian() {
  command -v apt-get >/dev/null 2>&1 || return 1
  as_root apt-get update -qq >/dev/null || return 1
  local candidate
  candidate="$(apt-cache policy etcd-server 2>/dev/null | awk '/Candidate:/ {print $2}')"
  if [ -z "${candidate}" ] || [ "${candidate}" = "(none)" ]; then
    echo "install-etcd: Debian has no etcd-server candidate" >&2
    return 1
  fi
  echo "install-etcd: installing Debian etcd-server ${candidate}" >&2
  # The Debian package only ships the binary: it does not start a service inside containers without systemd,
  # and policy-rc.d keeps a postinst from starting one where systemd exists.
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq etcd-server >/dev/null
}

install_from_go() {
  command -v go >/dev/null 2>&1 || { [ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:${PATH}"; } \
    || { echo "install-etcd: neither apt nor go can provide etcd" >&2; return 1; }
  echo "install-etcd: building go.etcd.io/etcd/server/v3@${ETCD_GO_VERSION} into ${cache_bin}" >&2
  mkdir -p "${cache_bin}"
  GOBIN="${cache_bin}" go install "go.etcd.io/etcd/server/v3@${ETCD_GO_VERSION}"
  # The module's main package builds a binary named "server"; the benchmark looks for "etcd".
  if [ -x "${cache_bin}/server" ]; then mv -f "${cache_bin}/server" "${cache_bin}/etcd"; fi
}

if ! etcd_bin="$(find_etcd)"; then
  install_from_debian || install_from_go
  etcd_bin="$(find_etcd)" || { echo "install-etcd: etcd still not found after install" >&2; exit 1; }
fi

echo "install-etcd: using ${etcd_bin}" >&2
"${etcd_bin}" --version
