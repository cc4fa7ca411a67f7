import type { MetadataAccess } from '../objects/metadata-access.js';
import { planDrain } from '../placement/drain-planner.js';
import type { Clock, TimerHandle } from '../platform/clock.js';
import { StrataError } from '../platform/errors.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { noopMetrics, type Gauge, type MetricsSink } from '../platform/metrics.js';
import type {
  DrainPlan,
  DrainStatus,
  MaintenanceAdmin,
  MoveProgress,
  NodeUtilisation,
  RebalanceStatus,
  RecoveryStatus,
  StorageStatus,
} from '../ports/maintenance-admin.js';
import type { ChunkRelocator } from './chunk-relocator.js';
import { DrainWorker } from './drain-worker.js';
import { isLeader, toMovable, type MaintenanceContext, type MaintenanceRuntime, type UsageView } from './maintenance-context.js';
import { RebalanceWorker } from './rebalance-worker.js';
import { RecoveryWorker } from './recovery-worker.js';

export interface ClusterMaintenanceOptions {
  runtime: MaintenanceRuntime;
  metadata: MetadataAccess;
  usage: UsageView;
  relocator: Pick<ChunkRelocator, 'relocate'>;
  clock: Clock;
  logger?: Logger;
  metrics?: MetricsSink;
  /** `[data] recovery_timeout`: a member down this long has its chunks rebuilt elsewhere. */
  recoveryTimeoutMs: number;
  /** How often the leader looks at member states and liveness (default 1 s). */
  superviseIntervalMs?: number;
  /**
   * Relocations in flight per worker (default 8; the shared, adaptive throttle bounds the bytes). Moves
   * are latency-bound (a metadata read, a create, a commit with fsync and a Raft commit per chunk of a
   * few blocks), so more in flight is what fills the disk and the network.
   */
  concurrency?: number;
  /** Chunks planned per round (default 64). */
  batchChunks?: number;
  /** Pause after a round that moved nothing (default 2 s). */
  retryDelayMs?: number;
  /** Rebalance stops when fills are within this fraction of the mean (default 0.05). */
  rebalanceTolerance?: number;
  /** A member's admin URL (from its member record), for NotLeader's hint. */
  leaderUrlOf?: (nodeId: number) => string | undefined;
  /** The move throttle's limit in force (bytes/s), shown in the status of running work; absent = unthrottled. */
  moveLimit?: () => number;
}

export type ResolvedClusterMaintenanceOptions = Required<Omit<ClusterMaintenanceOptions, 'moveLimit'>> & Pick<ClusterMaintenanceOptions, 'moveLimit'>;

export function resolveClusterMaintenanceOptions(options: ClusterMaintenanceOptions): ResolvedClusterMaintenanceOptions {
  const resolved = {
    logger: silentLogger,
    metrics: noopMetrics,
    superviseIntervalMs: 1_000,
    concurrency: 8,
    batchChunks: 64,
    retryDelayMs: 2_000,
    rebalanceTolerance: 0.05,
    leaderUrlOf: () => undefined,
    ...options,
  };
  for (const name of ['recoveryTimeoutMs', 'superviseIntervalMs', 'concurrency', 'batchChunks', 'retryDelayMs'] as const) {
    if (!Number.isFinite(resolved[name]) || resolved[name] < (name === 'recoveryTimeoutMs' ? 0 : 1)) {
      throw new StrataError('InvalidConfig', `cluster maintenance option ${name} must be positive, got ${resolved[name]}`);
    }
  }
  return resolved;
}

/**
 * Membership and data movement (MaintenanceAdmin): drain, undrain, remove, rebalance, recovery. The
 * leader answers; others throw NotLeader naming the leader's admin URL. A supervisor on the leader
 * starts a drain worker for every `draining` member (the state is replicated, so drains survive a leader
 * change), resumes a replicated rebalance request, tracks how long members have been down, and hands
 * nodes that are gone to recovery.
 */
export class ClusterMaintenance implements MaintenanceAdmin {
  private readonly o: ResolvedClusterMaintenanceOptions;
  private readonly context: MaintenanceContext;
  private readonly drains = new Map<number, DrainWorker>();
  private readonly recovery: RecoveryWorker;
  private readonly rebalancer: RebalanceWorker;
  private readonly drainRemaining: Gauge;
  /** Monotonic ms since which each member has been down, as this leader saw it. */
  private readonly downSince = new Map<number, number>();
  private timer?: TimerHandle;
  private supervising?: Promise<void>;

  constructor(options: ClusterMaintenanceOptions) {
    this.o = resolveClusterMaintenanceOptions(options);
    const { runtime, metadata, usage, relocator, clock, logger, concurrency, batchChunks, retryDelayMs } = this.o;
    this.context = { runtime, metadata, usage, relocator, clock, logger, concurrency, batchChunks, retryDelayMs };
    this.recovery = new RecoveryWorker(this.context, this.o.metrics);
    this.rebalancer = new RebalanceWorker(this.context, this.o.metrics, this.o.rebalanceTolerance, async (state, requestedMs) => {
      await this.o.metadata.execute({ op: 'setRebalance', requested: false, requestedMs });
      this.o.logger.info({ state, requestedMs }, 'rebalance finished; request cleared');
    });
    this.drainRemaining = this.o.metrics.gauge('strata_drain_bytes_remaining', 'Bytes of referenced chunks still on a draining node', ['node']);
  }

  start(): void {
    this.timer ??= this.o.clock.setInterval(() => void this.supervise(), this.o.superviseIntervalMs);
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    await this.supervising;
    await Promise.all([...this.drains.values()].map((w) => w.stop()));
    await this.recovery.stop();
    await this.rebalancer.stop();
  }

  /** One look at the cluster (every superviseIntervalMs; also right after a state change). */
  supervise(): Promise<void> {
    this.supervising ??= this.superviseOnce()
      .catch((error: unknown) => this.o.logger.warn({ err: error }, 'maintenance supervisor pass failed'))
      .finally(() => (this.supervising = undefined));
    return this.supervising;
  }

  async drain(nodeId: number, options: { dryRun: boolean }): Promise<DrainPlan> {
    this.assertLeader();
    const look = await this.o.metadata.read((meta) => ({ member: meta.member(nodeId), chunks: meta.chunksOnNode(nodeId).map(toMovable) }));
    if (!look.member) throw unknownNode(nodeId);
    const full = planDrain({ nodeId, chunks: look.chunks, nodes: await this.o.usage.view() });
    const plan: DrainPlan = { nodeId, feasible: full.feasible, chunks: full.chunks, bytes: full.bytes, targets: full.targets };
    if (full.reason !== undefined) plan.reason = full.reason;
    if (options.dryRun || look.member.state !== 'active') return plan;
    if (!full.feasible) {
      throw new StrataError('FailedPrecondition', `node-${nodeId} cannot be drained: ${full.reason}`, { details: { nodeId, reason: full.reason } });
    }
    await this.o.metadata.execute({ op: 'setMemberState', nodeId, state: 'draining', ifState: 'active' });
    this.o.logger.info({ nodeId, chunks: plan.chunks, bytes: plan.bytes }, 'drain started');
    void this.supervise();
    return plan;
  }

  async drainStatus(nodeId: number): Promise<DrainStatus> {
    this.assertLeader();
    const look = await this.o.metadata.read((meta) => ({
      member: meta.member(nodeId),
      count: meta.referencedChunkCount(nodeId),
      bytes: meta.referencedBytesPerNode().get(nodeId) ?? 0,
    }));
    if (!look.member) throw unknownNode(nodeId);
    const worker = this.drains.get(nodeId);
    const progress = worker?.progress.snapshot() ?? { chunksTotal: look.count, chunksDone: 0, bytesTotal: look.bytes, bytesDone: 0, failures: 0, rateBytesPerSec: 0 };
    return { nodeId, state: look.member.state, progress: this.withLimit(progress, worker !== undefined && look.member.state === 'draining') };
  }

  async undrain(nodeId: number): Promise<DrainStatus> {
    this.assertLeader();
    const member = await this.o.metadata.read((meta) => meta.member(nodeId));
    if (!member) throw unknownNode(nodeId);
    if (member.state !== 'active') await this.o.metadata.execute({ op: 'setMemberState', nodeId, state: 'active' });
    const worker = this.drains.get(nodeId);
    this.drains.delete(nodeId);
    await worker?.stop();
    this.drainRemaining.set(0, { node: `node-${nodeId}` });
    this.o.logger.info({ nodeId }, 'undrained: the node takes new data again');
    const status = await this.drainStatus(nodeId);
    return worker ? { ...status, progress: worker.progress.snapshot() } : status;
  }

  async removeNode(nodeId: number, options: { force: boolean }): Promise<void> {
    this.assertLeader();
    const look = await this.o.metadata.read((meta) => ({ member: meta.member(nodeId), count: meta.referencedChunkCount(nodeId) }));
    if (!look.member) throw unknownNode(nodeId);
    if (!options.force && look.member.state !== 'drained') {
      const what = look.member.state === 'draining' ? `is draining (${look.count} chunks left): wait for drain-status to say drained` : `is active (${look.count} chunks): drain it first`;
      throw new StrataError('FailedPrecondition', `node-${nodeId} ${what}, or use --force`, { details: { nodeId, state: look.member.state, chunks: look.count } });
    }
    await this.o.runtime.removeNode(nodeId);
    const worker = this.drains.get(nodeId);
    this.drains.delete(nodeId);
    await worker?.stop();
    this.o.logger.info({ nodeId, force: options.force, chunks: look.count }, options.force ? 'node removed with --force; recovery rebuilds its chunks' : 'drained node removed');
    void this.supervise();
  }

  /** Replicates the request first (setRebalance), so a new leader resumes it; then starts it here. */
  async rebalance(): Promise<RebalanceStatus> {
    this.assertLeader();
    const requestedMs = Math.max(this.o.clock.wallMs(), ((await this.o.metadata.read((meta) => meta.rebalanceRequest()))?.requestedMs ?? 0) + 1);
    await this.o.metadata.execute({ op: 'setRebalance', requested: true, requestedMs });
    this.o.logger.info({ requestedMs }, 'rebalance requested');
    if (isLeader(this.context)) this.rebalancer.start(requestedMs);
    return this.rebalanceStatus();
  }

  async rebalanceStatus(): Promise<RebalanceStatus> {
    this.assertLeader();
    const nodes = await this.utilisation();
    const live = nodes.filter((n) => n.state === 'active' && n.online).map((n) => n.utilisation);
    const spread = live.length === 0 ? 0 : Math.max(...live) - Math.min(...live);
    const request = await this.o.metadata.read((meta) => meta.rebalanceRequest());
    // A request this leader has not picked up yet (it just took over): the supervisor starts it shortly.
    const state = !this.rebalancer.active && request?.requested === true ? 'running' : this.rebalancer.state;
    if (state !== this.rebalancer.state) void this.supervise();
    return { state, progress: this.withLimit(this.rebalancer.progress.snapshot(), state === 'running'), nodes, spread };
  }

  async recoveryStatus(): Promise<RecoveryStatus> {
    this.assertLeader();
    const status = this.recovery.status();
    return { ...status, progress: this.withLimit(status.progress, status.nodes.length > 0) };
  }

  /** The throttle's limit in force, added to the progress of work that is running. */
  private withLimit(progress: MoveProgress, running: boolean): MoveProgress {
    const limit = this.o.moveLimit?.();
    return running && limit !== undefined && limit > 0 ? { ...progress, limitBytesPerSec: limit } : progress;
  }

  async storageStatus(): Promise<StorageStatus> {
    this.assertLeader();
    const nodes = await this.utilisation();
    const online = new Set(this.o.runtime.onlineMembers());
    const counts = await this.o.metadata.read((meta) => {
      const members = new Set(meta.members().map((m) => m.id));
      let objects = 0;
      for (const bucket of meta.listBuckets()) objects += meta.objectCount(bucket.name);
      const degradedChunks = meta
        .nodesWithChunks()
        .filter((id) => !members.has(id) || !online.has(id))
        .reduce((sum, id) => sum + meta.referencedChunkCount(id), 0);
      return { buckets: meta.listBuckets().length, objects, degradedChunks };
    });
    return {
      nodes,
      usedBytes: nodes.reduce((s, n) => s + n.usedBytes, 0),
      availableBytes: nodes.reduce((s, n) => s + n.availableBytes, 0),
      ...counts,
    };
  }

  private async superviseOnce(): Promise<void> {
    if (!isLeader(this.context)) {
      this.downSince.clear();
      for (const [id, worker] of this.drains) {
        this.drains.delete(id);
        await worker.stop();
      }
      return;
    }
    const look = await this.o.metadata.read((meta) => ({ members: meta.members(), withChunks: meta.nodesWithChunks(), rebalance: meta.rebalanceRequest() }));
    // A replicated rebalance request nobody serves here (a new leader, or one that lost and regained
    // leadership): resume it.
    if (look.rebalance?.requested === true && !this.rebalancer.active) {
      this.o.logger.info({ requestedMs: look.rebalance.requestedMs }, 'resuming the requested rebalance');
      this.rebalancer.start(look.rebalance.requestedMs);
    }
    for (const member of look.members) {
      const worker = this.drains.get(member.id);
      if (member.state === 'draining') {
        if (!worker) {
          const started = new DrainWorker(this.context, member.id, this.drainRemaining);
          this.drains.set(member.id, started);
          started.start();
        } else if (!worker.active) {
          worker.start();
        }
      } else if (worker && !worker.active && member.state === 'active') {
        // A drained node keeps its finished worker: drain-status shows what was moved.
        this.drains.delete(member.id);
      }
    }
    const now = this.o.clock.nowMs();
    const online = new Set(this.o.runtime.onlineMembers());
    const memberIds = new Set(look.members.map((m) => m.id));
    for (const id of [...this.downSince.keys()]) if (!memberIds.has(id) || online.has(id)) this.downSince.delete(id);
    for (const id of memberIds) if (!online.has(id) && !this.downSince.has(id)) this.downSince.set(id, now);
    const lost = new Set(look.withChunks.filter((id) => !memberIds.has(id)));
    for (const [id, since] of this.downSince) if (now - since >= this.o.recoveryTimeoutMs) lost.add(id);
    this.recovery.setLost([...lost].filter((id) => look.withChunks.includes(id)));
  }

  private async utilisation(): Promise<NodeUtilisation[]> {
    const view = await this.o.usage.view();
    const used = this.o.usage.usedBytes();
    const look = await this.o.metadata.read((meta) => new Map(view.map((n) => [n.id, meta.referencedChunkCount(n.id)] as const)));
    return view.map((node) => {
      const usedBytes = used.get(node.id) ?? 0;
      const total = usedBytes + node.availableBytes;
      return {
        nodeId: node.id,
        name: `node-${node.id}`,
        state: node.state,
        online: node.online,
        ...(node.zone === undefined ? {} : { zone: node.zone }),
        usedBytes,
        availableBytes: node.availableBytes,
        chunks: look.get(node.id) ?? 0,
        utilisation: total === 0 ? 0 : usedBytes / total,
      };
    });
  }

  private assertLeader(): void {
    if (isLeader(this.context)) return;
    const leaderId = this.o.runtime.leaderId;
    throw new StrataError('NotLeader', leaderId > 0 ? `node-${leaderId} is the leader` : 'no leader is known right now', {
      retryable: true,
      details: { leaderId, ...(this.leaderUrl(leaderId) ? { leaderUrl: this.leaderUrl(leaderId) } : {}) },
    });
  }

  private leaderUrl(leaderId: number): string | undefined {
    return this.o.leaderUrlOf(leaderId);
  }
}

function unknownNode(nodeId: number): StrataError {
  return new StrataError('NotFound', `node-${nodeId} is not a member of the cluster`, { details: { resource: 'node', nodeId } });
}
