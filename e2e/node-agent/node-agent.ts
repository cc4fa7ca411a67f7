// The node agent: the e2e tier's kubelet stand-in. Registers one Node, runs every pod bound to it as real
// processes (each in its own network namespace on a host bridge, with a per-pod hosts file and a private
// mount namespace for its volumes), provisions hostPath PVs for pending claims, and proxies ClusterIP
// Services in userspace. See README.md for what differs from kubelet.
export interface ImageMap {
  /**
   * image ref -> a folder whose executables (strata-server, strata, strata-operator, ...) are put first on the
   * container's PATH. `entrypoint` is the image's ENTRYPOINT for containers without `command` (default: the
   * executable in binDir named like the image's repository basename, e.g. ghcr.io/strata/strata-operator:0.1.0
   * -> strata-operator). An image not in the map leaves the pod Waiting with reason ErrImagePull.
   */
  [image: string]: { binDir: string; entrypoint?: string[] };
}

export interface NodeAgentOptions {
  kubeconfig: string;
  /** Default strata-e2e-node. */
  nodeName?: string;
  images: ImageMap;
  /** Pod dirs, PV dirs (pv/<ns>-<claim>), logs (pods/<ns>_<pod>/<container>.log). */
  workDir: string;
  /** Default 10.88.0.0/24; the gateway (.1) is on a host bridge. */
  podCidr?: string;
  /** The apiserver's --service-cluster-ip-range (default 10.96.0.0/16): the ClusterIPs the proxy serves. */
  serviceCidr?: string;
  log?: (line: string) => void;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class NodeAgent {
  static async start(_options: NodeAgentOptions): Promise<NodeAgent> {
    throw new Error('NodeAgent: being built (API shape only)');
  }

  /** SIGTERM every pod process, grace, SIGKILL, remove netns/veth/bridge/addresses. */
  async stop(): Promise<void> {}

  podIp(_namespace: string, _pod: string): string | undefined {
    return undefined;
  }

  podLogPath(_namespace: string, _pod: string, _container?: string): string | undefined {
    return undefined;
  }

  /** Runs a command as a "pod-like" client: in its own netns on the pod network with the cluster's hosts file. */
  async exec(_argv: string[], _options?: { env?: Record<string, string>; timeoutMs?: number }): Promise<ExecResult> {
    throw new Error('NodeAgent: being built (API shape only)');
  }

  /** Kill a pod's main process with a signal (SIGKILL for crash tests); the agent then restarts it per restartPolicy. */
  killPod(_namespace: string, _pod: string, _signal: NodeJS.Signals): void {}
}
