#!/usr/bin/env bash
# Installs etcd for the Raft benchmark's baseline, if it is not installed yet, and prints its version.
# Order: an etcd already on PATH or in .cache/bin; Debian's etcd-server (3.4) via apt-get; otherwise
# etcd built from its Go module (go.etcd.io/etcd/server/v3, pinned) into <repo>/.cache/bin.
# ETCD_FORCE_GO=1 skips apt (to test that path).
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
  # `go install module@version` refuses etcd's modules (their go.mod files carry replace directives), so
  # build a two-line wrapper module that requires the server module and calls its real entry point.
  local work
  work="$(mktemp -d)"
  trap 'rm -rf "${work}"' RETURN
  printf 'module strata.local/etcd-build\n\ngo 1.21\n' >"${work}/go.mod"
  cat >"${work}/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "${work}" && go get "go.etcd.io/etcd/server/v3@${ETCD_GO_VERSION}" && go mod tidy && go build -o "${cache_bin}/etcd" .)
}

if [ "${ETCD_FORCE_GO:-0}" = "1" ]; then
  [ -x "${cache_bin}/etcd" ] || install_from_go
  etcd_bin="${cache_bin}/etcd"
elif ! etcd_bin="$(find_etcd)"; then
  install_from_debian || install_from_go
  etcd_bin="$(find_etcd)" || { echo "install-etcd: etcd still not found after install" >&2; exit 1; }
fi

echo "install-etcd: using ${etcd_bin}" >&2
"${etcd_bin}" --version
