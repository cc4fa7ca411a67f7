#!/usr/bin/env bash
# Builds the e2e tier's Kubernetes control plane from Go modules at pinned versions:
#   kube-apiserver, kube-controller-manager, kube-scheduler  from k8s.io/kubernetes@${K8S_VERSION}
#   etcd                                                      from go.etcd.io/etcd/server/v3@${ETCD_VERSION}
# into ${STRATA_K8S_CACHE:-<repo>/.cache/k8s}/${K8S_VERSION}/bin. Idempotent: when the four binaries of that
# version exist (and the stamp beside them names the same pins) it only prints their versions.
#
# Why a wrapper module: k8s.io/kubernetes lists its staging modules (k8s.io/api, k8s.io/apiserver, ...) at
# v0.0.0 and resolves them with `replace => ./staging/...`, which is ignored when it is a dependency. The
# wrapper go.mod requires k8s.io/kubernetes and replaces every staging module with its published v0.X.Y.
# etcd gets its own wrapper so its dependency versions (grpc, otel) never shift the Kubernetes build.
#
# Caches: everything under STRATA_K8S_CACHE (default <repo>/.cache/k8s): the binaries in <version>/bin and
# GOMODCACHE/GOCACHE in go/, so the second run and a later `make e2e` on the same machine are fast. A CI run
# in a fresh clone can point STRATA_K8S_CACHE at a folder outside the clone to reuse an earlier build.
# GOTOOLCHAIN=local: never download another Go.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.32.4}"
ETCD_VERSION="${ETCD_VERSION:-v3.5.35}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
k8s_cache="${STRATA_K8S_CACHE:-${repo_root}/.cache/k8s}"
k8s_root="${k8s_cache}/${K8S_VERSION}"
bin_dir="${k8s_root}/bin"
stamp="${bin_dir}/versions"
go_cache="${k8s_cache}/go"
# The recipe number changes whenever the way of building changes, so cached binaries are rebuilt.
want_stamp="kubernetes=${K8S_VERSION} etcd=${ETCD_VERSION} recipe=2"
binaries=(kube-apiserver kube-controller-manager kube-scheduler etcd)

log() { echo "control-plane/build: $*" >&2; }

have_all() {
  local b
  for b in "${binaries[@]}"; do [ -x "${bin_dir}/${b}" ] || return 1; done
  [ "$(cat "${stamp}" 2>/dev/null || true)" = "${want_stamp}" ]
}

print_versions() {
  "${bin_dir}/kube-apiserver" --version
  "${bin_dir}/etcd" --version | sed -n 1p
}

if have_all; then
  log "using ${bin_dir} (${want_stamp})"
  print_versions
  exit 0
fi

command -v go >/dev/null 2>&1 || { [ -x /usr/local/go/bin/go ] && export PATH="/usr/local/go/bin:${PATH}"; } \
  || { log "go is not installed"; exit 1; }

export GOPATH="${go_cache}/path"
export GOMODCACHE="${go_cache}/mod"
export GOCACHE="${go_cache}/build"
export GOFLAGS="-mod=mod -modcacherw -buildvcs=false"
export GOTOOLCHAIN=local
export CGO_ENABLED=0
mkdir -p "${bin_dir}" "${GOPATH}" "${GOMODCACHE}" "${GOCACHE}"
start=$(date +%s)
log "$(go version); ${want_stamp}; caches under ${go_cache}"

# --- Kubernetes -------------------------------------------------------------------------------------------
k8s_src="${k8s_root}/src/kubernetes"
mkdir -p "${k8s_src}"
k8s_gomod="$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[ -f "${k8s_gomod}" ] || { log "could not download k8s.io/kubernetes@${K8S_VERSION}"; exit 1; }
# The staging modules are the ones its go.mod replaces with ./staging/src/k8s.io/<name>.
staging_version="v0.${K8S_VERSION#v1.}"
mapfile -t staging < <(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\1#p' "${k8s_gomod}" | sort -u)
[ "${#staging[@]}" -gt 20 ] || { log "found only ${#staging[@]} staging modules in ${k8s_gomod}"; exit 1; }
{
  echo "module strata.local/e2e/kubernetes-build"
  echo
  echo "go $(sed -n 's/^go \(.*\)$/\1/p' "${k8s_gomod}")"
  echo
  echo "require k8s.io/kubernetes ${K8S_VERSION}"
  echo
  echo "replace ("
  for m in "${staging[@]}"; do echo "	${m} => ${m} ${staging_version}"; done
  echo ")"
} >"${k8s_src}/go.mod"
log "wrapper go.mod pins ${#staging[@]} staging modules at ${staging_version}"
# The version the binaries report (/version, `kubectl version`, helm's kubeVersion checks) is set at link
# time, as Kubernetes' own build does; without it they say v0.0.0-master.
k8s_minor="${K8S_VERSION#v1.}"; k8s_minor="${k8s_minor%%.*}"
version_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_ldflags+=" -X ${pkg}.gitVersion=${K8S_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${k8s_minor}"
  version_ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
done
# One `go build` for the three commands: they share most packages, so one invocation compiles each once.
(cd "${k8s_src}" && go build -trimpath -ldflags "-s -w${version_ldflags}" -o "${bin_dir}/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler)
log "kubernetes built after $(( $(date +%s) - start ))s"

# --- etcd -------------------------------------------------------------------------------------------------
etcd_src="${k8s_root}/src/etcd"
mkdir -p "${etcd_src}"
cat >"${etcd_src}/go.mod" <<GOMOD
module strata.local/e2e/etcd-build

go 1.23

require go.etcd.io/etcd/server/v3 ${ETCD_VERSION}
GOMOD
(cd "${etcd_src}" && go build -trimpath -ldflags "-s -w" -o "${bin_dir}/etcd" go.etcd.io/etcd/server/v3)
log "etcd built after $(( $(date +%s) - start ))s"

echo "${want_stamp}" >"${stamp}"
log "built ${bin_dir} in $(( $(date +%s) - start ))s"
print_versions
