import { StrataError } from '../platform/errors.js';
import type { NodeId } from '../ports/admin-service.js';
import type {
  DrainPlan,
  DrainStatus,
  MaintenanceAdmin,
  MemberState,
  MoveProgress,
  NodeUtilisation,
  RebalanceStatus,
  RecoveryStatus,
  StorageStatus,
} from '../ports/maintenance-admin.js';
import { FakeCalls, advanceProgress, emptyProgress, startProgress } from './fake-calls.js';

interface FakeMember {
  state: MemberState;
  online: boolean;
  zone?: string;
  usedBytes: number;
  availableBytes: number;
  chunks: number;
  drain: MoveProgress;
}

const GiB = 1024 ** 3;

/**
 * An in-memory MaintenanceAdmin for tests of the HTTP layer, the client and the CLI (never used in
 * production). Every status read moves running work on by `stepFraction` of its total, so a watcher
 * sees progress and an end without real time passing.
 */
export class FakeMaintenanceAdmin extends FakeCalls<keyof MaintenanceAdmin> implements MaintenanceAdmin {
  readonly members = new Map<NodeId, FakeMember>();
  /** When set, every drain is infeasible for this reason. */
  infeasibleReason: string | undefined;
  stepFraction = 0.5;
  nowMs = 1_700_000_000_000;
  rebalanceState: RebalanceStatus['state'] = 'idle';
  rebalanceProgress: MoveProgress = emptyProgress();
  recovery: RecoveryStatus = { inProgress: 0, progress: emptyProgress(), nodes: [], unrecoverable: 0 };
  buckets = 2;
  objects = 40;

  constructor(options: { nodeIds?: NodeId[] } = {}) {
    super();
    for (const id of options.nodeIds ?? [1, 2, 3]) {
      this.members.set(id, { state: 'active', online: true, zone: `zone-${((id - 1) % 3) + 1}`, usedBytes: id * GiB, availableBytes: 10 * GiB, chunks: id * 100, drain: emptyProgress() });
    }
  }

  async drain(nodeId: NodeId, options: { dryRun: boolean }): Promise<DrainPlan> {
    this.enter('drain', nodeId, options);
    const member = this.member(nodeId);
    const others = [...this.members.entries()].filter(([id, m]) => id !== nodeId && m.state === 'active');
    const share = Math.max(1, others.length);
    const plan: DrainPlan = {
      nodeId,
      feasible: this.infeasibleReason === undefined && others.length > 0,
      chunks: member.chunks,
      bytes: member.usedBytes,
      targets: others.map(([id]) => ({ nodeId: id, chunks: Math.ceil(member.chunks / share), bytes: Math.ceil(member.usedBytes / share) })),
    };
    if (!plan.feasible) plan.reason = this.infeasibleReason ?? 'no other active node to take the data';
    if (options.dryRun) return plan;
    if (!plan.feasible) throw new StrataError('FailedPrecondition', `cannot drain node-${nodeId}: ${plan.reason}`, { details: { nodeId } });
    if (member.state === 'active') {
      member.state = 'draining';
      member.drain = startProgress(member.chunks, member.usedBytes, this.nowMs);
    }
    return plan;
  }

  async drainStatus(nodeId: NodeId): Promise<DrainStatus> {
    this.enter('drainStatus', nodeId);
    const member = this.member(nodeId);
    if (member.state === 'draining') {
      this.nowMs += 1000;
      member.drain = advanceProgress(member.drain, this.stepFraction, this.nowMs);
      if (member.drain.finishedMs !== undefined) {
        member.state = 'drained';
        member.usedBytes = 0;
        member.chunks = 0;
      }
    }
    return { nodeId, state: member.state, progress: member.drain };
  }

  async undrain(nodeId: NodeId): Promise<DrainStatus> {
    this.enter('undrain', nodeId);
    const member = this.member(nodeId);
    member.state = 'active';
    return { nodeId, state: member.state, progress: member.drain };
  }

  async removeNode(nodeId: NodeId, options: { force: boolean }): Promise<void> {
    this.enter('removeNode', nodeId, options);
    const member = this.member(nodeId);
    if (member.state !== 'drained' && !options.force) {
      throw new StrataError('FailedPrecondition', `node-${nodeId} is ${member.state}, not drained: drain it first, or remove it with --force if it has failed`, {
        details: { nodeId, state: member.state },
      });
    }
    this.members.delete(nodeId);
    if (options.force && member.chunks > 0) {
      this.recovery = { inProgress: 4, progress: startProgress(member.chunks, member.usedBytes, this.nowMs), nodes: [nodeId], unrecoverable: 0 };
    }
  }

  async rebalance(): Promise<RebalanceStatus> {
    this.enter('rebalance');
    if (this.rebalanceState !== 'running') {
      this.rebalanceState = 'running';
      this.rebalanceProgress = startProgress(100, 4 * GiB, this.nowMs);
    }
    return this.rebalanceView();
  }

  async rebalanceStatus(): Promise<RebalanceStatus> {
    this.enter('rebalanceStatus');
    if (this.rebalanceState === 'running') {
      this.nowMs += 1000;
      this.rebalanceProgress = advanceProgress(this.rebalanceProgress, this.stepFraction, this.nowMs);
      if (this.rebalanceProgress.finishedMs !== undefined) this.rebalanceState = 'done';
    }
    return this.rebalanceView();
  }

  async recoveryStatus(): Promise<RecoveryStatus> {
    this.enter('recoveryStatus');
    if (this.recovery.inProgress > 0) {
      this.nowMs += 1000;
      const progress = advanceProgress(this.recovery.progress, this.stepFraction, this.nowMs);
      const done = progress.finishedMs !== undefined;
      this.recovery = { ...this.recovery, progress, inProgress: done ? 0 : this.recovery.inProgress, nodes: done ? [] : this.recovery.nodes };
    }
    return this.recovery;
  }

  async storageStatus(): Promise<StorageStatus> {
    this.enter('storageStatus');
    const nodes = this.utilisation();
    return {
      nodes,
      usedBytes: nodes.reduce((sum, n) => sum + n.usedBytes, 0),
      availableBytes: nodes.reduce((sum, n) => sum + n.availableBytes, 0),
      buckets: this.buckets,
      objects: this.objects,
      degradedChunks: this.recovery.inProgress > 0 ? this.recovery.progress.chunksTotal - this.recovery.progress.chunksDone : 0,
    };
  }

  private member(nodeId: NodeId): FakeMember {
    const member = this.members.get(nodeId);
    if (member === undefined) throw new StrataError('NotFound', `node-${nodeId} is not a member of the cluster`, { details: { nodeId } });
    return member;
  }

  private utilisation(): NodeUtilisation[] {
    return [...this.members.entries()].map(([nodeId, m]) => {
      const u: NodeUtilisation = {
        nodeId,
        name: `node-${nodeId}`,
        state: m.state,
        online: m.online,
        usedBytes: m.usedBytes,
        availableBytes: m.availableBytes,
        chunks: m.chunks,
        utilisation: m.usedBytes / (m.usedBytes + m.availableBytes),
      };
      if (m.zone !== undefined) u.zone = m.zone;
      return u;
    });
  }

  private rebalanceView(): RebalanceStatus {
    const nodes = this.utilisation();
    const active = nodes.filter((n) => n.state === 'active' && n.online).map((n) => n.utilisation);
    const spread = active.length === 0 ? 0 : Math.max(...active) - Math.min(...active);
    return { state: this.rebalanceState, progress: this.rebalanceProgress, nodes, spread };
  }
}
