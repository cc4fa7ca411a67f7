// The control-plane ports of every e2e file that starts one. Two files run at a time, so no two may share a
// port, and all stay below 32768: above it is Linux's ephemeral range, where an outgoing connection of the
// other file can take a port first (it happened). control-plane-ports.test.ts checks both.

/** start.sh's K8S_*_PORT variables: apiserver `<api>443`, controller-manager `<api>257`, scheduler `<api>259`, etcd `<etcd>379` and `<etcd>380`. */
function portBlock(api: number, etcd: number): Record<string, string> {
  return {
    K8S_APISERVER_PORT: `${api}443`,
    K8S_ETCD_PORT: `${etcd}379`,
    K8S_ETCD_PEER_PORT: `${etcd}380`,
    K8S_KCM_PORT: `${api}257`,
    K8S_SCHEDULER_PORT: `${api}259`,
  };
}

export const CONTROL_PLANE_PORTS = {
  /** start.sh's defaults: scenarios/lifecycle.test.ts passes none. */
  lifecycle: portBlock(16, 12),
  backupRestore: portBlock(26, 22),
  operatorApi: portBlock(18, 14),
  nodeAgent: portBlock(17, 13),
  smoke: portBlock(19, 19),
  crdValidation: portBlock(27, 23),
  chartInstall: portBlock(28, 24),
};
