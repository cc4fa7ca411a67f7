import { planDrain } from '../placement/drain-planner.js';
import type { Counter, Gauge, MetricsSink } from '../platform/metrics.js';
import type { RecoveryStatus } from '../ports/maintenance-admin.js';
import { isLeader, sleep, toMovable, type MaintenanceContext } from './maintenance-context.js';
import { runMoveBatch } from './move-batch.js';
import { ProgressTracker } from './move-progress.js';

/**
 * Rebuilds, from parity, the chunks of nodes that are gone: removed with --force, or down (the leader's
 * view) longer than `[data] recovery_timeout`. The supervisor tells it which nodes are lost; it plans
 * targets like a drain (no sibling, room, zones) and rebuilds each chunk from k sibling columns onto its
 * target. Leader only; a new leader finds the same work in the metadata.
 */
export class RecoveryWorker {
  private progress: ProgressTracker;
  private lost: number[] = [];
  private inFlight = 0;
  private unrecoverable = 0;
  private stopped = false;
  private running?: Promise<void>;
  private readonly operations: Counter;
  private readonly inProgress: Gauge;

  constructor(
    private readonly context: MaintenanceContext,
    metrics: MetricsSink,
  ) {
    this.progress = new ProgressTracker(context.clock);
    this.operations = metrics.counter('strata_recovery_operations_total', 'Recovery operations (chunks rebuilt from parity onto another node)');
    this.inProgress = metrics.gauge('strata_recovery_operations_in_progress', 'Chunks being rebuilt right now');
  }

  /** The nodes whose chunks must be rebuilt now; starts the worker when there are any. */
  setLost(nodes: number[]): void {
    const wasIdle = this.lost.length === 0;
    this.lost = [...nodes].sort((a, b) => a - b);
    if (this.lost.length === 0) return;
    if (wasIdle && this.running === undefined) {
      this.progress = new ProgressTracker(this.context.clock);
      this.unrecoverable = 0;
    }
    this.stopped = false;
    this.running ??= this.run()
      .catch((error: unknown) => this.context.logger.error({ err: error }, 'recovery worker failed'))
      .finally(() => (this.running = undefined));
  }

  status(): RecoveryStatus {
    return { inProgress: this.inFlight, progress: this.progress.snapshot(), nodes: [...this.lost], unrecoverable: this.unrecoverable };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private shouldStop(): boolean {
    return this.stopped || !isLeader(this.context);
  }

  private async run(): Promise<void> {
    const { context } = this;
    this.progress.start();
    while (!this.shouldStop() && this.lost.length > 0) {
      const lost = [...this.lost];
      const look = await context.metadata.read((meta) =>
        lost.map((nodeId) => ({
          nodeId,
          chunks: meta.chunksOnNode(nodeId, context.batchChunks).map(toMovable),
          count: meta.referencedChunkCount(nodeId),
          bytes: meta.referencedBytesPerNode().get(nodeId) ?? 0,
        })),
      );
      this.progress.setRemaining(
        look.reduce((s, l) => s + l.count, 0),
        look.reduce((s, l) => s + l.bytes, 0),
      );
      if (look.every((l) => l.count === 0)) {
        this.progress.finish();
        context.logger.info({ nodes: lost, rebuilt: this.progress.snapshot().chunksDone }, 'recovery finished: no chunk left on lost nodes');
        this.lost = [];
        return;
      }
      const lostSet = new Set(lost);
      const nodes = (await context.usage.view()).filter((n) => !lostSet.has(n.id));
      let progressed = false;
      let unrecoverable = 0;
      for (const node of look) {
        if (node.count === 0 || this.shouldStop()) continue;
        const plan = planDrain({ nodeId: node.nodeId, chunks: node.chunks, nodes });
        if (plan.moves.length === 0) {
          this.progress.failed(plan.reason ?? 'no target for any chunk');
          continue;
        }
        const result = await runMoveBatch({
          relocator: context.relocator,
          moves: plan.moves,
          mode: 'rebuild',
          progress: this.progress,
          logger: context.logger,
          concurrency: context.concurrency,
          shouldStop: () => this.shouldStop(),
          onStart: () => this.inProgress.set(++this.inFlight),
          onEnd: (_move, outcome) => {
            this.inProgress.set(--this.inFlight);
            if (outcome === 'moved') this.operations.inc();
          },
        });
        unrecoverable += result.unrecoverable;
        progressed ||= result.moved > 0 || result.gone > 0;
      }
      this.unrecoverable = unrecoverable;
      if (!progressed) await sleep(context.clock, context.retryDelayMs);
    }
  }
}
