import type { PlacementNode } from '../placement/placement.js';
import { planRebalance, type RebalanceNode } from '../placement/rebalance-planner.js';
import type { Counter, MetricsSink } from '../platform/metrics.js';
import type { MovableChunk } from '../placement/move-targets.js';
import { isLeader, sleep, toMovable, type MaintenanceContext } from './maintenance-context.js';
import { runMoveBatch } from './move-batch.js';
import { ProgressTracker } from './move-progress.js';

export type RebalanceState = 'idle' | 'running' | 'done' | 'failed';

/** Rounds without a single successful move before a rebalance gives up (state failed). */
const MAX_IDLE_ROUNDS = 5;

/**
 * Moves chunks from the fullest to the emptiest active nodes (planRebalance) round by round, until the
 * plan is empty. Started on the leader for the replicated request of `strata cluster rebalance`
 * (setRebalance); a leader change stops it here and the new leader's supervisor starts it again from the
 * current data. When it ends (done or failed) it clears the request it served (`onFinished`).
 */
export class RebalanceWorker {
  progress: ProgressTracker;
  state: RebalanceState = 'idle';
  private stopped = false;
  private running?: Promise<void>;
  private readonly movedBytes: Counter;
  /** The replicated request this run serves (its requestedMs), cleared when the run ends. */
  requestedMs = 0;

  constructor(
    private readonly context: MaintenanceContext,
    metrics: MetricsSink,
    private readonly tolerance: number,
    /** A run ended as done or failed while this node led: clear the request (not on stop or leader loss). */
    private readonly onFinished: (state: 'done' | 'failed', requestedMs: number) => Promise<void> = async () => undefined,
  ) {
    this.progress = new ProgressTracker(context.clock);
    this.movedBytes = metrics.counter('strata_rebalance_bytes_moved_total', 'Bytes moved by rebalancing');
  }

  get active(): boolean {
    return this.running !== undefined;
  }

  /** Start serving the request made at `requestedMs` (a running worker takes the newer request over). */
  start(requestedMs = this.requestedMs): void {
    this.requestedMs = requestedMs;
    if (this.running) return;
    this.stopped = false;
    this.state = 'running';
    this.progress = new ProgressTracker(this.context.clock);
    this.running = this.run()
      .then(
        async (state) => {
          this.state = state;
          if ((state === 'done' || state === 'failed') && isLeader(this.context)) {
            await this.onFinished(state, this.requestedMs).catch((error: unknown) =>
              this.context.logger.warn({ err: error }, 'clearing the finished rebalance request failed; the next leader re-checks it'),
            );
          }
        },
        (error: unknown) => {
          this.state = 'failed';
          this.progress.failed(error);
          this.context.logger.error({ err: error }, 'rebalance failed');
        },
      )
      .finally(() => {
        this.progress.finish();
        this.running = undefined;
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private shouldStop(): boolean {
    return this.stopped || !isLeader(this.context);
  }

  private async run(): Promise<RebalanceState> {
    const { context } = this;
    this.progress.start();
    let idleRounds = 0;
    while (!this.shouldStop()) {
      const nodes = await rebalanceNodes(context);
      const chunks = await context.metadata.read((meta) => {
        const byNode = new Map<number, MovableChunk[]>();
        for (const node of nodes) byNode.set(node.id, meta.chunksOnNode(node.id).map(toMovable));
        return byNode;
      });
      const plan = planRebalance({ nodes, chunksOf: (id) => chunks.get(id) ?? [], tolerance: this.tolerance, maxMoves: context.batchChunks });
      if (plan.moves.length === 0) return 'done';
      this.progress.addWork(plan.moves.length, plan.moves.reduce((s, m) => s + m.sizeBytes, 0));
      const result = await runMoveBatch({
        relocator: context.relocator,
        moves: plan.moves,
        mode: 'copy',
        progress: this.progress,
        logger: context.logger,
        concurrency: context.concurrency,
        shouldStop: () => this.shouldStop(),
        onEnd: (move, outcome) => {
          if (outcome === 'moved') this.movedBytes.inc(move.sizeBytes);
        },
      });
      if (result.moved === 0) {
        if (++idleRounds >= MAX_IDLE_ROUNDS) return 'failed';
        await sleep(context.clock, context.retryDelayMs);
      } else {
        idleRounds = 0;
      }
    }
    // Stopped, or no longer the leader: the request stays, the next leader resumes it.
    return 'idle';
  }
}

/** The planner's view: placement's view plus capacity (used + available) and the metadata's bytes per node. */
export async function rebalanceNodes(context: MaintenanceContext): Promise<RebalanceNode[]> {
  const view: PlacementNode[] = await context.usage.view();
  const used = context.usage.usedBytes();
  const referenced = await context.metadata.read((meta) => meta.referencedBytesPerNode());
  return view.map((node) => ({
    ...node,
    capacityBytes: (used.get(node.id) ?? 0) + node.availableBytes,
    referencedBytes: referenced.get(node.id) ?? 0,
  }));
}
