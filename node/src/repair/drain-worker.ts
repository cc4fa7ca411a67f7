import { planDrain } from '../placement/drain-planner.js';
import { isStrataError } from '../platform/errors.js';
import type { Gauge } from '../platform/metrics.js';
import { isLeader, sleep, toMovable, type MaintenanceContext } from './maintenance-context.js';
import { runMoveBatch } from './move-batch.js';
import { ProgressTracker } from './move-progress.js';

/**
 * Moves every chunk off one draining node, round by round (plan a batch from fresh metadata, copy it,
 * swap references), until the metadata places nothing on it; then marks it drained. It runs on the
 * leader only and keeps no state of its own: the member state `draining` is replicated, so a new leader
 * starts a worker that carries on where this one stopped.
 */
export class DrainWorker {
  readonly progress: ProgressTracker;
  private stopped = false;
  private running?: Promise<void>;

  constructor(
    private readonly context: MaintenanceContext,
    readonly nodeId: number,
    private readonly remainingGauge: Gauge,
  ) {
    this.progress = new ProgressTracker(context.clock);
  }

  get active(): boolean {
    return this.running !== undefined;
  }

  start(): void {
    this.stopped = false;
    this.running ??= this.run()
      .catch((error: unknown) => this.context.logger.error({ err: error, nodeId: this.nodeId }, 'drain worker failed'))
      .finally(() => (this.running = undefined));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private shouldStop(): boolean {
    return this.stopped || !isLeader(this.context);
  }

  private async run(): Promise<void> {
    const { context, nodeId } = this;
    this.progress.start();
    const label = { node: `node-${nodeId}` };
    while (!this.shouldStop()) {
      const look = await context.metadata.read((meta) => ({
        state: meta.member(nodeId)?.state,
        chunks: meta.chunksOnNode(nodeId, context.batchChunks).map(toMovable),
        count: meta.referencedChunkCount(nodeId),
        bytes: meta.referencedBytesPerNode().get(nodeId) ?? 0,
      }));
      if (look.state !== 'draining') return;
      this.progress.setRemaining(look.count, look.bytes);
      this.remainingGauge.set(look.bytes, label);
      if (look.count === 0) {
        try {
          await context.metadata.execute({ op: 'setMemberState', nodeId, state: 'drained', ifState: 'draining' });
          this.progress.finish();
          context.logger.info({ nodeId, moved: this.progress.snapshot().chunksDone }, 'drain finished: the node holds no referenced chunk');
        } catch (error) {
          // Undrained meanwhile (Conflict), or leadership lost: the supervisor decides what runs next.
          if (!isStrataError(error)) throw error;
        }
        return;
      }
      const plan = planDrain({ nodeId, chunks: look.chunks, nodes: await context.usage.view() });
      if (plan.moves.length === 0) {
        this.progress.failed(plan.reason ?? 'no target for any chunk');
        context.logger.warn({ nodeId, reason: plan.reason }, 'drain cannot move anything right now; retrying');
        await sleep(context.clock, context.retryDelayMs);
        continue;
      }
      const result = await runMoveBatch({
        relocator: context.relocator,
        moves: plan.moves,
        mode: 'copy',
        progress: this.progress,
        logger: context.logger,
        concurrency: context.concurrency,
        shouldStop: () => this.shouldStop(),
      });
      if (result.moved === 0 && result.gone === 0) await sleep(context.clock, context.retryDelayMs);
    }
  }
}
