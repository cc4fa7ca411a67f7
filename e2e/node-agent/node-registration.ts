// Registers the Node as kubelet does (capacity, allocatable, Ready, addresses) and keeps it alive: a Lease in
// kube-node-lease renewed every 10 s and the Ready condition's heartbeat refreshed through nodes/status, so the
// node-lifecycle controller never marks it Unknown nor taints it unreachable.
import { cpus, totalmem } from 'node:os';
import { KubeApiError, type KubeApi } from './kube-api.js';

export interface NodeRegistrationOptions {
  api: KubeApi;
  nodeName: string;
  /** The node's InternalIP (the pod bridge gateway: what pods reach the node at). */
  internalIp: string;
  podCidr: string;
  log: (line: string) => void;
}

const LEASE_SECONDS = 40;
const RENEW_MS = 10_000;

function nodeStatus(internalIp: string, nodeName: string, now: string, transition: string): Record<string, unknown> {
  const memoryKi = `${Math.floor(totalmem() / 1024)}Ki`;
  const resources = { cpu: String(cpus().length), memory: memoryKi, pods: '110', 'ephemeral-storage': '100Gi' };
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: transition,
  });
  return {
    capacity: resources,
    allocatable: resources,
    conditions: [
      condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'strata node agent has sufficient memory'),
      condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'strata node agent has no disk pressure'),
      condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'strata node agent has sufficient PID available'),
      condition('Ready', 'True', 'KubeletReady', 'strata node agent is posting ready status'),
    ],
    addresses: [
      { type: 'InternalIP', address: internalIp },
      { type: 'Hostname', address: nodeName },
    ],
    nodeInfo: {
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      operatingSystem: 'linux',
      kubeletVersion: 'v1.32.4-strata-node-agent',
      kubeProxyVersion: 'v1.32.4-strata-node-agent',
      containerRuntimeVersion: 'strata-node-agent://1',
      osImage: 'strata e2e node agent',
      kernelVersion: '',
      machineID: '',
      systemUUID: '',
      bootID: '',
    },
    daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
  };
}

export class NodeRegistration {
  private timer: NodeJS.Timeout | undefined;
  private transition = new Date().toISOString();
  private lastStatusAt = 0;

  constructor(private readonly options: NodeRegistrationOptions) {}

  /** Creates (or adopts) the Node and its Lease, then keeps both fresh. */
  async start(): Promise<void> {
    const { api, nodeName, internalIp, podCidr } = this.options;
    const now = new Date().toISOString();
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: nodeName,
        labels: {
          'kubernetes.io/hostname': nodeName,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
        },
      },
      spec: { podCIDR: podCidr, podCIDRs: [podCidr] },
      status: nodeStatus(internalIp, nodeName, now, this.transition),
    };
    try {
      await api.create('/api/v1/nodes', node);
      this.options.log(`node ${nodeName} registered`);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 409)) throw error;
      this.options.log(`node ${nodeName} exists; taking it over`);
    }
    await this.heartbeat(true);
    this.timer = setInterval(() => {
      this.heartbeat(false).catch((error: Error) => this.options.log(`node heartbeat failed: ${error.message}`));
    }, RENEW_MS);
  }

  private async heartbeat(forceStatus: boolean): Promise<void> {
    const { api, nodeName, internalIp } = this.options;
    const now = new Date();
    const renewTime = now.toISOString().replace('Z', '000Z'); // MicroTime
    const leasePath = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${nodeName}`;
    const lease = await api.find(leasePath);
    const spec = { holderIdentity: nodeName, leaseDurationSeconds: LEASE_SECONDS, renewTime };
    if (lease) await api.mergePatch(leasePath, { spec });
    else {
      await api.create('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: nodeName, namespace: 'kube-node-lease' },
        spec,
      });
    }
    // kubelet refreshes the status every nodeStatusReportFrequency (5 min) when nothing changed; 1 min here.
    if (forceStatus || now.getTime() - this.lastStatusAt > 60_000) {
      await api.mergePatch(`/api/v1/nodes/${nodeName}/status`, {
        status: nodeStatus(internalIp, nodeName, now.toISOString(), this.transition),
      });
      this.lastStatusAt = now.getTime();
    }
  }

  /** Stops renewing; the Node object stays (a stopped kubelet does not delete its Node either). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
