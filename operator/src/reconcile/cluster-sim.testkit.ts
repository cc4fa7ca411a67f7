import { StrataError } from '../../../node/src/platform/index.js';
import { STRATA_API_VERSION, STRATA_KIND, type StrataCluster, type StrataClusterSpec } from '../api/strata-cluster.js';
import { fnv1aHex } from '../desired/toml.js';
import type { FakeKubeClient } from '../kube/fake-kube-client.testkit.js';
import type { KubeObject } from '../kube/kube-client.js';
import type { BackupRunView, ClusterStatusView, DrainPlanView, DrainStatusView, RebalanceStatusView, StorageStatusView, StrataAdmin } from './strata-admin.js';

export interface FakeMember {
  id: number;
  state: 'active' | 'draining' | 'drained';
  voter: boolean;
  online: boolean;
  matchIndex?: number;
}

/** A Strata cluster's admin API in memory: membership, drains, leadership, storage health, backups. */
export class FakeStrataAdmin implements StrataAdmin {
  readonly members = new Map<number, FakeMember>();
  readonly calls: string[] = [];
  leaderId = 1;
  term = 3;
  commitIndex = 500;
  degradedChunks = 0;
  reachable = true;
  /** Node ids whose drain the node refuses (the rest cannot hold the data). */
  readonly refuseDrain = new Set<number>();
  rebalanceState: RebalanceStatusView['state'] = 'idle';
  backupOk = true;

  addMembers(...ids: number[]): void {
    for (const id of ids) this.members.set(id, { id, state: 'active', voter: id <= 5, online: true, matchIndex: this.commitIndex });
  }

  async clusterStatus(): Promise<ClusterStatusView> {
    if (!this.reachable) throw new StrataError('Unavailable', 'cannot reach any node');
    return {
      clusterId: 'c1',
      nodeId: this.leaderId,
      leaderId: this.leaderId,
      term: this.term,
      commitIndex: this.commitIndex,
      appliedIndex: this.commitIndex,
      nodes: [...this.members.values()].map((m) => ({
        id: m.id,
        name: `node-${m.id}`,
        address: `n${m.id}:9000`,
        voter: m.voter,
        role: m.id === this.leaderId ? 'leader' : m.voter ? 'follower' : 'learner',
        online: m.online,
        state: m.state,
        ...(m.id === this.leaderId || m.matchIndex === undefined ? {} : { matchIndex: m.matchIndex }),
      })),
    };
  }

  async storageStatus(): Promise<StorageStatusView> {
    return { degradedChunks: this.degradedChunks };
  }

  async rebalanceStatus(): Promise<RebalanceStatusView> {
    return { state: this.rebalanceState };
  }

  async drain(nodeId: number): Promise<DrainPlanView> {
    this.calls.push(`drain ${nodeId}`);
    if (this.refuseDrain.has(nodeId)) throw new StrataError('FailedPrecondition', `not enough capacity left without node-${nodeId}`);
    this.member(nodeId).state = 'draining';
    return { feasible: true, chunks: 10, bytes: 1000 };
  }

  async drainStatus(nodeId: number): Promise<DrainStatusView> {
    const m = this.member(nodeId);
    return { nodeId, state: m.state, progress: { chunksTotal: 10, chunksDone: 4, bytesTotal: 1000, bytesDone: 400, rateBytesPerSec: 100, etaSeconds: 6 } };
  }

  async undrain(nodeId: number): Promise<void> {
    this.calls.push(`undrain ${nodeId}`);
    this.member(nodeId).state = 'active';
  }

  async removeNode(nodeId: number): Promise<void> {
    this.calls.push(`remove ${nodeId}`);
    if (this.member(nodeId).state !== 'drained') throw new StrataError('FailedPrecondition', `node-${nodeId} is not drained`);
    this.members.delete(nodeId);
  }

  async rebalance(): Promise<void> {
    this.calls.push('rebalance');
    this.rebalanceState = 'running';
  }

  async transferLeadership(from: number): Promise<number> {
    this.calls.push(`transfer ${from}`);
    const next = [...this.members.values()].find((m) => m.voter && m.id !== from);
    if (next === undefined) throw new StrataError('FailedPrecondition', 'no other voter');
    this.leaderId = next.id;
    this.term++;
    return next.id;
  }

  async backupToDestination(destination: string): Promise<BackupRunView> {
    this.calls.push(`backup ${destination}`);
    return this.backupOk
      ? { startedMs: 1, finishedMs: Date.parse('2026-06-01T02:00:05Z'), ok: true, backup: { file: 'strata-backup-1.snap' } }
      : { startedMs: 1, finishedMs: Date.parse('2026-06-01T02:00:05Z'), ok: false, error: 'disk full' };
  }

  finishDrain(nodeId: number): void {
    this.member(nodeId).state = 'drained';
  }

  private member(nodeId: number): FakeMember {
    const m = this.members.get(nodeId);
    if (m === undefined) throw new StrataError('NotFound', `node-${nodeId} is not a member`);
    return m;
  }
}

export function newCluster(spec: Partial<StrataClusterSpec> = {}, name = 'demo', namespace = 'store'): StrataCluster & KubeObject {
  return {
    apiVersion: STRATA_API_VERSION,
    kind: STRATA_KIND,
    metadata: { name, namespace },
    spec: { version: '1.0.0', nodes: 3, ...spec },
  };
}

/**
 * What the StatefulSet controller and the kubelet would do, in one synchronous step: pods for every
 * ordinal below replicas (labelled with the template's revision and Ready unless told otherwise), pods
 * at or above replicas deleted, and status.updateRevision/observedGeneration written. Not recorded as
 * operator writes.
 */
export function simulateStatefulSet(kube: FakeKubeClient, namespace: string, name: string, options: { notReady?: string[] } = {}): void {
  const sts = kube.find('apps/v1', 'StatefulSet', namespace, name);
  if (sts === undefined) return;
  const spec = sts.spec as { replicas: number; template: { metadata: { labels: Record<string, string> } } };
  const revision = `${name}-${fnv1aHex(JSON.stringify(spec.template))}`;
  kube.seed({ ...sts, status: { observedGeneration: sts.metadata.generation, updateRevision: revision, replicas: spec.replicas } });
  for (let ordinal = 0; ordinal < 64; ordinal++) {
    const podName = `${name}-${ordinal}`;
    const existing = kube.find('v1', 'Pod', namespace, podName);
    if (ordinal >= spec.replicas) {
      if (existing !== undefined) kube.objects.delete(`v1/Pod/${namespace}/${podName}`);
      continue;
    }
    const ready = !(options.notReady ?? []).includes(podName);
    if (existing !== undefined) {
      kube.seed({ ...existing, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });
      continue;
    }
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: podName, namespace, labels: { ...spec.template.metadata.labels, 'controller-revision-hash': revision } },
      status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    };
    kube.seed(pod);
  }
}
