#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (the S3 benchmark's baseline) from its Go module at a pinned version, into
# <repo>/.cache/bin/weed, and prints its version. Idempotent: a second run finds the binary (built from the
# same pinned version, recorded beside it) and only prints the version.
#
# Why not `go install github.com/seaweedfs/seaweedfs/weed@<version>`: SeaweedFS's go.mod carries a replace
# directive (go-bip39), and `go install pkg@version` refuses modules with replace directives. So the script
# fetches the module through the Go module proxy (`go mod download`) and builds ./weed inside it, where its
# go.mod (and its replace lines) are the main module's. SeaweedFS tags releases as "3.xx"/"4.xx" (not
# semver), so the proxy only knows pseudo-versions: the pin is one, with its commit.
#
# GOPATH, GOMODCACHE and GOCACHE live under <repo>/.cache/go so a second run (or CI on the same machine)
# reuses the download and the compiled packages. WEED_GO_VERSION overrides the pin.
set -euo pipefail

WEED_GO_VERSION="${WEED_GO_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}"
WEED_MODULE="github.com/seaweedfs/seaweedfs"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache_bin="${repo_root}/.cache/bin"
go_root_cache="${repo_root}/.cache/go"
weed_bin="${cache_bin}/weed"
stamp="${cache_bin}/weed.version"

command -v go >/dev/null 2>&1 || { [ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:${PATH}"; } \
  || { echo "build-seaweedfs: go is not installed (need Go >= the module's go line)" >&2; exit 1; }

if [ -x "${weed_bin}" ] && [ "$(cat "${stamp}" 2>/dev/null || true)" = "${WEED_GO_VERSION}" ]; then
  echo "build-seaweedfs: using ${weed_bin} (${WEED_GO_VERSION})" >&2
  "${weed_bin}" version
  exit 0
fi

export GOPATH="${go_root_cache}/path"
export GOMODCACHE="${go_root_cache}/mod"
export GOCACHE="${go_root_cache}/build"
export GOFLAGS="-modcacherw"
# Never switch toolchains behind our back (that would download one): fail with a clear message instead.
export GOTOOLCHAIN=local
mkdir -p "${cache_bin}" "${GOPATH}" "${GOMODCACHE}" "${GOCACHE}"

echo "build-seaweedfs: $(go version); fetching ${WEED_MODULE}@${WEED_GO_VERSION} via $(go env GOPROXY)" >&2
module_dir="$(go mod download -json "${WEED_MODULE}@${WEED_GO_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -n "${module_dir}" ] && [ -d "${module_dir}/weed" ] \
  || { echo "build-seaweedfs: module download gave no source folder" >&2; exit 1; }

echo "build-seaweedfs: compiling ${module_dir}/weed (several minutes on 2 cores; cached after)" >&2
# -p 2: the machine has 2 cores shared with other work. CGO off: a static binary, no C toolchain needed.
(cd "${module_dir}" && CGO_ENABLED=0 go build -p 2 -trimpath -ldflags "-s -w" -o "${weed_bin}.tmp" ./weed)
mv "${weed_bin}.tmp" "${weed_bin}"
echo "${WEED_GO_VERSION}" >"${stamp}"
echo "build-seaweedfs: built ${weed_bin}" >&2
"${weed_bin}" version
