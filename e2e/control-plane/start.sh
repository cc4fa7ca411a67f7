#!/usr/bin/env bash
# Starts the e2e tier's Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager
# and kube-scheduler built by build.sh. Everything of one run lives under <repo>/.cache/e2e/<run>:
#   pki/ (certificates), etcd/ (data), logs/<component>.log, pids/<component>.pid, *.kubeconfig.
# Prints exactly one line on stdout, `export KUBECONFIG=<run>/admin.kubeconfig`, so
#   eval "$(e2e/control-plane/start.sh)"
# works; progress goes to stderr. Idempotent: when this run's control plane is already up it only prints.
#
# Usage: start.sh [--run NAME] [--no-build]
# Ports (all 127.0.0.1; override each by the environment variable in brackets):
#   16443 kube-apiserver [K8S_APISERVER_PORT]    12379 etcd clients [K8S_ETCD_PORT]
#   12380 etcd peers [K8S_ETCD_PEER_PORT]         16257 kube-controller-manager [K8S_KCM_PORT]
#   16259 kube-scheduler [K8S_SCHEDULER_PORT]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "${here}/../.." && pwd)"
run="${STRATA_E2E_RUN:-local}"
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --run) run="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "usage: start.sh [--run NAME] [--no-build]" >&2; exit 2 ;;
  esac
done
[[ "${run}" =~ ^[a-zA-Z0-9._-]+$ ]] || { echo "control-plane/start: bad run name '${run}'" >&2; exit 2; }

K8S_VERSION="${K8S_VERSION:-v1.32.4}"
apiserver_port="${K8S_APISERVER_PORT:-16443}"
etcd_port="${K8S_ETCD_PORT:-12379}"
etcd_peer_port="${K8S_ETCD_PEER_PORT:-12380}"
kcm_port="${K8S_KCM_PORT:-16257}"
scheduler_port="${K8S_SCHEDULER_PORT:-16259}"
# Cluster-internal allocation ranges only: nothing routes to them here (no kube-proxy, no CNI).
service_cidr="${K8S_SERVICE_CIDR:-10.96.0.0/16}"
service_ip="${K8S_SERVICE_IP:-10.96.0.1}"
cluster_cidr="${K8S_CLUSTER_CIDR:-10.244.0.0/16}"

bin_dir="${STRATA_K8S_CACHE:-${repo_root}/.cache/k8s}/${K8S_VERSION}/bin"
run_dir="${repo_root}/.cache/e2e/${run}"
pki="${run_dir}/pki"
logs="${run_dir}/logs"
pids="${run_dir}/pids"
admin_kubeconfig="${run_dir}/admin.kubeconfig"
api_url="https://127.0.0.1:${apiserver_port}"
start_time=$(date +%s)

log() { echo "control-plane/start: $*" >&2; }
die() { log "$*"; exit 1; }
elapsed() { echo "$(( $(date +%s) - start_time ))s"; }

alive() { local f="${pids}/$1.pid"; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ready() { kubectl --kubeconfig "${admin_kubeconfig}" get --raw /readyz >/dev/null 2>&1; }

if alive etcd && alive kube-apiserver && alive kube-controller-manager && alive kube-scheduler && ready; then
  log "run '${run}' is already up at ${api_url}"
  echo "export KUBECONFIG=${admin_kubeconfig}"
  exit 0
fi
# A half-up run (a crash, a killed test) is cleaned first so ports and data start fresh.
if [ -d "${pids}" ]; then
  log "cleaning a previous, incomplete run '${run}'"
  "${here}/stop.sh" --run "${run}" >&2
fi
for p in "${apiserver_port}" "${etcd_port}" "${etcd_peer_port}" "${kcm_port}" "${scheduler_port}"; do
  ! port_open "$p" || die "127.0.0.1:${p} is in use (another control plane? run stop.sh, or set the K8S_*_PORT variables)"
done

if [ "${build}" = 1 ]; then
  K8S_VERSION="${K8S_VERSION}" "${here}/build.sh" >&2
fi
for b in etcd kube-apiserver kube-controller-manager kube-scheduler; do
  [ -x "${bin_dir}/${b}" ] || die "${bin_dir}/${b} is missing: run e2e/control-plane/build.sh"
done
command -v kubectl >/dev/null || die "kubectl is not on PATH"
command -v openssl >/dev/null || die "openssl is not on PATH"

rm -rf "${run_dir}"
mkdir -p "${pki}" "${logs}" "${pids}" "${run_dir}/etcd"
chmod 700 "${run_dir}" "${pki}" "${run_dir}/etcd"

# --- certificates ------------------------------------------------------------------------------------------
# One CA signs everything: the apiserver serving cert, the client certs (admin in system:masters, and the
# controller-manager and scheduler under the user names the default RBAC policy binds), and CSRs approved
# in the cluster (cluster-signing). A separate key pair signs service-account tokens.
ossl() { openssl "$@" >/dev/null 2>&1 || { openssl "$@"; die "openssl $1 failed"; }; }
ossl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout "${pki}/ca.key" -out "${pki}/ca.crt" \
  -subj "/CN=strata-e2e-ca" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
ossl genrsa -out "${pki}/sa.key" 2048
ossl rsa -in "${pki}/sa.key" -pubout -out "${pki}/sa.pub"

# sign NAME SUBJECT EXTENSIONS: a key and a certificate signed by the CA.
sign() {
  local name="$1" subject="$2" ext="$3"
  ossl req -newkey rsa:2048 -nodes -keyout "${pki}/${name}.key" -out "${pki}/${name}.csr" -subj "${subject}"
  printf '%b\n' "${ext}" >"${pki}/${name}.ext"
  ossl x509 -req -in "${pki}/${name}.csr" -CA "${pki}/ca.crt" -CAkey "${pki}/ca.key" -CAcreateserial \
    -days 30 -out "${pki}/${name}.crt" -extfile "${pki}/${name}.ext"
  rm -f "${pki}/${name}.csr" "${pki}/${name}.ext"
}
client_ext="basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth"
sign apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:${service_ip},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
sign admin "/O=system:masters/CN=strata-e2e-admin" "${client_ext}"
sign kube-controller-manager "/CN=system:kube-controller-manager" "${client_ext}"
sign kube-scheduler "/CN=system:kube-scheduler" "${client_ext}"
# The aggregation layer's front proxy has its own CA (as kubeadm does), so aggregated APIs and the
# components' request-header authentication are set up like a real cluster's.
ossl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout "${pki}/front-proxy-ca.key" \
  -out "${pki}/front-proxy-ca.crt" -subj "/CN=strata-e2e-front-proxy-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
ossl req -newkey rsa:2048 -nodes -keyout "${pki}/front-proxy-client.key" -out "${pki}/front-proxy-client.csr" \
  -subj "/CN=front-proxy-client"
printf '%b\n' "${client_ext}" >"${pki}/front-proxy-client.ext"
ossl x509 -req -in "${pki}/front-proxy-client.csr" -CA "${pki}/front-proxy-ca.crt" -CAkey "${pki}/front-proxy-ca.key" \
  -CAcreateserial -days 30 -out "${pki}/front-proxy-client.crt" -extfile "${pki}/front-proxy-client.ext"
rm -f "${pki}/front-proxy-client.csr" "${pki}/front-proxy-client.ext"
log "certificates in ${pki} ($(elapsed))"

# kubeconfig FILE USER: a kubeconfig with embedded certs, so it can be copied anywhere on this machine.
kubeconfig() {
  local file="$1" user="$2"
  {
    echo "apiVersion: v1"
    echo "kind: Config"
    echo "clusters:"
    echo "- name: strata-e2e"
    echo "  cluster:"
    echo "    server: ${api_url}"
    echo "    certificate-authority-data: $(base64 -w0 <"${pki}/ca.crt")"
    echo "users:"
    echo "- name: ${user}"
    echo "  user:"
    echo "    client-certificate-data: $(base64 -w0 <"${pki}/${user}.crt")"
    echo "    client-key-data: $(base64 -w0 <"${pki}/${user}.key")"
    echo "contexts:"
    echo "- name: strata-e2e"
    echo "  context: {cluster: strata-e2e, user: ${user}, namespace: default}"
    echo "current-context: strata-e2e"
  } >"${file}"
  chmod 600 "${file}"
}
kubeconfig "${admin_kubeconfig}" admin
kubeconfig "${run_dir}/kube-controller-manager.kubeconfig" kube-controller-manager
kubeconfig "${run_dir}/kube-scheduler.kubeconfig" kube-scheduler

# launch NAME ARGS...: a component in its own session (so stop.sh can end its group), logs to logs/NAME.log.
launch() {
  local name="$1"; shift
  setsid "${bin_dir}/${name}" "$@" >"${logs}/${name}.log" 2>&1 </dev/null &
  echo $! >"${pids}/${name}.pid"
}
# wait_for WHAT SECONDS COMMAND...: polls COMMAND while component WHAT runs; on failure shows its log tail.
# WHAT may be "component:label" to name the condition waited for.
wait_for() {
  local what="${1%%:*}" label="${1#*:}" secs="$2"; shift 2
  local deadline=$(( $(date +%s) + secs ))
  until "$@"; do
    alive "${what}" || { tail -n 30 "${logs}/${what}.log" >&2; die "${what} exited (log: ${logs}/${what}.log)"; }
    [ "$(date +%s)" -lt "${deadline}" ] || { tail -n 30 "${logs}/${what}.log" >&2; die "${what} not ready after ${secs}s"; }
    sleep 0.5
  done
  log "${label} ready ($(elapsed))"
}

# --- etcd --------------------------------------------------------------------------------------------------
# Plain HTTP on loopback; --unsafe-no-fsync because this data is thrown away with the run (fsync on this
# machine's disk costs milliseconds per write and would only slow the tests).
launch etcd --name strata-e2e --data-dir "${run_dir}/etcd" \
  --listen-client-urls "http://127.0.0.1:${etcd_port}" --advertise-client-urls "http://127.0.0.1:${etcd_port}" \
  --listen-peer-urls "http://127.0.0.1:${etcd_peer_port}" \
  --initial-advertise-peer-urls "http://127.0.0.1:${etcd_peer_port}" \
  --initial-cluster "strata-e2e=http://127.0.0.1:${etcd_peer_port}" \
  --unsafe-no-fsync --quota-backend-bytes 2147483648 --log-level warn
etcd_healthy() { curl -fsS "http://127.0.0.1:${etcd_port}/health" 2>/dev/null | grep -q '"health":"true"'; }
wait_for etcd 60 etcd_healthy

# --- kube-apiserver ----------------------------------------------------------------------------------------
# The `kubernetes` Service cannot have a loopback endpoint (the API refuses 127.0.0.0/8 in Endpoints), so the
# endpoint reconciler is off: in-cluster clients are pointed at 127.0.0.1:<port> by KUBERNETES_SERVICE_HOST
# and KUBERNETES_SERVICE_PORT (the node agent's job), which the serving cert covers.
launch kube-apiserver \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="${apiserver_port}" \
  --endpoint-reconciler-type=none \
  --etcd-servers="http://127.0.0.1:${etcd_port}" \
  --tls-cert-file="${pki}/apiserver.crt" --tls-private-key-file="${pki}/apiserver.key" \
  --client-ca-file="${pki}/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="${pki}/sa.pub" --service-account-signing-key-file="${pki}/sa.key" \
  --service-cluster-ip-range="${service_cidr}" \
  --authorization-mode=Node,RBAC --allow-privileged=true \
  --requestheader-client-ca-file="${pki}/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="${pki}/front-proxy-client.crt" --proxy-client-key-file="${pki}/front-proxy-client.key" \
  --cert-dir="${pki}/apiserver-generated" --profiling=false --v=1
wait_for kube-apiserver 180 ready

# --- kube-controller-manager and kube-scheduler ------------------------------------------------------------
kcm_kubeconfig="${run_dir}/kube-controller-manager.kubeconfig"
launch kube-controller-manager \
  --kubeconfig="${kcm_kubeconfig}" \
  --authentication-kubeconfig="${kcm_kubeconfig}" --authorization-kubeconfig="${kcm_kubeconfig}" \
  --bind-address=127.0.0.1 --secure-port="${kcm_port}" --cert-dir="${pki}/kcm-generated" \
  --controllers='*' --use-service-account-credentials=true \
  --service-account-private-key-file="${pki}/sa.key" --root-ca-file="${pki}/ca.crt" \
  --cluster-signing-cert-file="${pki}/ca.crt" --cluster-signing-key-file="${pki}/ca.key" \
  --service-cluster-ip-range="${service_cidr}" --cluster-cidr="${cluster_cidr}" --allocate-node-cidrs=false \
  --leader-elect=false --profiling=false --v=1
sched_kubeconfig="${run_dir}/kube-scheduler.kubeconfig"
launch kube-scheduler \
  --kubeconfig="${sched_kubeconfig}" \
  --authentication-kubeconfig="${sched_kubeconfig}" --authorization-kubeconfig="${sched_kubeconfig}" \
  --bind-address=127.0.0.1 --secure-port="${scheduler_port}" \
  --leader-elect=false --profiling=false --v=1
healthz() { curl -fsSk "https://127.0.0.1:$1/healthz" >/dev/null 2>&1; }
wait_for kube-controller-manager 120 healthz "${kcm_port}"
wait_for kube-scheduler 120 healthz "${scheduler_port}"
# The service-account controller creating `default` in `default` shows the controllers act, and pods
# (which need that account) can be created from here on.
default_sa() { kubectl --kubeconfig "${admin_kubeconfig}" -n default get serviceaccount default >/dev/null 2>&1; }
wait_for "kube-controller-manager:default ServiceAccount" 120 default_sa

cat >"${run_dir}/ports.env" <<ENV
K8S_VERSION=${K8S_VERSION}
K8S_APISERVER_URL=${api_url}
K8S_APISERVER_PORT=${apiserver_port}
K8S_ETCD_PORT=${etcd_port}
K8S_ETCD_PEER_PORT=${etcd_peer_port}
K8S_KCM_PORT=${kcm_port}
K8S_SCHEDULER_PORT=${scheduler_port}
K8S_SERVICE_CIDR=${service_cidr}
ENV
log "control plane '${run}' up at ${api_url} in $(elapsed); logs in ${logs}"
echo "export KUBECONFIG=${admin_kubeconfig}"
