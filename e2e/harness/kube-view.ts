// What the scenarios read from and write to the API server, through kubectl as a user would: StrataCluster
// objects, their conditions and Events, pods.
import { dump } from 'js-yaml';
import type { Condition, StrataCluster, StrataClusterSpec } from '../../operator/src/api/strata-cluster.js';
import type { ControlPlane } from '../control-plane/control-plane.js';

export interface EventView {
  type: string;
  reason: string;
  message: string;
  time: string;
}

export interface PodView {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string; uid: string; creationTimestamp?: string };
  spec: { containers: { image: string }[] };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { restartCount: number; ready: boolean; state?: Record<string, { reason?: string; exitCode?: number }> }[];
  };
}

export class KubeView {
  constructor(readonly cp: ControlPlane) {}

  async ensureNamespace(ns: string): Promise<void> {
    await this.cp.kubectl(['create', 'namespace', ns], { allowFailure: true });
  }

  async apply(manifest: object): Promise<void> {
    await this.cp.kubectl(['apply', '-f', '-'], { input: dump(manifest) });
  }

  async createCluster(ns: string, name: string, spec: StrataClusterSpec): Promise<void> {
    await this.apply({ apiVersion: 'strata.io/v1alpha1', kind: 'StrataCluster', metadata: { name, namespace: ns }, spec });
  }

  async cluster(ns: string, name: string): Promise<StrataCluster> {
    return this.cp.getJson<StrataCluster>(['-n', ns, 'stratacluster', name]);
  }

  /** `kubectl patch stratacluster --type merge`: how the scenarios change a cluster, as the issue asks. */
  async patchCluster(ns: string, name: string, patch: object): Promise<void> {
    await this.cp.kubectl(['-n', ns, 'patch', 'stratacluster', name, '--type', 'merge', '-p', JSON.stringify(patch)]);
  }

  /** Conditions by type. */
  async conditions(ns: string, name: string): Promise<Partial<Record<string, Condition>>> {
    const cluster = await this.cluster(ns, name);
    return Object.fromEntries((cluster.status?.conditions ?? []).map((c) => [c.type, c]));
  }

  /** The Events about a StrataCluster, oldest first (both the core and the events.k8s.io view of them). */
  async events(ns: string, name: string): Promise<EventView[]> {
    const list = await this.cp.getJson<{ items: Record<string, any>[] }>(['-n', ns, 'events']);
    return list.items
      .filter((e) => e.involvedObject?.kind === 'StrataCluster' && e.involvedObject?.name === name)
      .map((e) => ({
        type: String(e.type),
        reason: String(e.reason),
        message: String(e.message ?? e.note ?? ''),
        time: String(e.eventTime ?? e.lastTimestamp ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? ''),
        // Times of the two Event APIs differ in precision; within a second the resourceVersion (etcd's
        // revision) gives the order they were written in.
        order: [Math.floor(Date.parse(String(e.eventTime ?? e.lastTimestamp ?? e.firstTimestamp ?? e.metadata?.creationTimestamp)) / 1000), Number(e.metadata?.resourceVersion ?? 0)] as const,
      }))
      .sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1])
      .map(({ order: _order, ...event }) => event);
  }

  async pods(ns: string, selector: string): Promise<PodView[]> {
    return (await this.cp.getJson<{ items: PodView[] }>(['-n', ns, 'pods', '-l', selector])).items;
  }

  async pod(ns: string, name: string): Promise<PodView | undefined> {
    const result = await this.cp.kubectl(['-n', ns, 'get', 'pod', name, '-o', 'json'], { allowFailure: true });
    return result.code === 0 ? (JSON.parse(result.stdout) as PodView) : undefined;
  }

  async secretValue(ns: string, secret: string, key: string): Promise<string> {
    const s = await this.cp.getJson<{ data: Record<string, string> }>(['-n', ns, 'secret', secret]);
    const value = s.data[key];
    if (value === undefined) throw new Error(`Secret ${ns}/${secret} has no key ${key}`);
    return Buffer.from(value, 'base64').toString('utf8');
  }

  async serviceClusterIp(ns: string, service: string): Promise<string> {
    const s = await this.cp.getJson<{ spec: { clusterIP: string } }>(['-n', ns, 'service', service]);
    return s.spec.clusterIP;
  }

  /** A one-line summary of a cluster's status for wait messages. */
  async describeCluster(ns: string, name: string): Promise<string> {
    const c = await this.cluster(ns, name);
    const s = c.status ?? {};
    const conditions = (s.conditions ?? []).map((x) => `${x.type}=${x.status}/${x.reason}${x.status === 'True' || x.type === 'Available' ? `(${x.message})` : ''}`).join(' ');
    const nodes = (s.nodes ?? [])
      .map((n) => `${n.name}:${n.state}${n.ready ? '' : ':notready'}${n.raftRole ? `:${n.raftRole}` : ''}${n.version ? `@${n.version}` : ''}${n.drain ? `:drain${n.drain.chunksRemaining}` : ''}`)
      .join(',');
    return `phase=${s.phase} ready=${s.readyNodes}/${s.replicas} leader=${s.leader} version=${s.currentVersion} nodes=[${nodes}] ${conditions}`;
  }
}

export function isTrue(condition: Condition | undefined): boolean {
  return condition?.status === 'True';
}

export function podReady(pod: PodView): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
