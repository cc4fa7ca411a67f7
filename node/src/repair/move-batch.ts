import type { PlannedMove } from '../placement/move-targets.js';
import { isStrataError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import type { ChunkRelocator } from './chunk-relocator.js';
import type { ProgressTracker } from './move-progress.js';

export interface MoveBatchOptions {
  relocator: Pick<ChunkRelocator, 'relocate'>;
  moves: readonly PlannedMove[];
  mode: 'copy' | 'rebuild';
  progress: ProgressTracker;
  logger: Logger;
  /** Moves in flight at once (the throttle bounds the bytes). */
  concurrency: number;
  /** Checked before each move: leadership lost, undrained, stopped. */
  shouldStop(): boolean;
  /** Around each relocation (recovery counts them in its gauges). */
  onStart?(move: PlannedMove): void;
  onEnd?(move: PlannedMove, outcome: MoveOutcome): void;
}

export type MoveOutcome = 'moved' | 'gone' | 'failed' | 'unrecoverable';

export interface MoveBatchResult {
  moved: number;
  /** No longer referenced (deleted or moved meanwhile): nothing to do. */
  gone: number;
  failed: number;
  unrecoverable: number;
}

/**
 * Runs planned moves, `concurrency` at a time. A chunk that was deleted meanwhile is skipped (NotFound);
 * any other failure is counted and left for the next round, which plans again from fresh metadata.
 */
export async function runMoveBatch(options: MoveBatchOptions): Promise<MoveBatchResult> {
  const result: MoveBatchResult = { moved: 0, gone: 0, failed: 0, unrecoverable: 0 };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < options.moves.length && !options.shouldStop()) {
      const move = options.moves[next++];
      options.onStart?.(move);
      let outcome: MoveOutcome;
      try {
        const { bytes } = await options.relocator.relocate({ chunkId: move.chunkId, fromNodeId: move.fromNodeId, toNodeId: move.toNodeId, mode: options.mode });
        options.progress.done(bytes);
        outcome = 'moved';
      } catch (error) {
        if (isStrataError(error, 'NotFound')) {
          options.progress.skipped(move.sizeBytes);
          outcome = 'gone';
        } else {
          options.progress.failed(error);
          outcome = isStrataError(error) && error.details.unrecoverable === true ? 'unrecoverable' : 'failed';
          options.logger.warn({ err: error, chunkId: move.chunkId, from: move.fromNodeId, to: move.toNodeId }, 'moving a chunk failed; it is retried next round');
        }
      }
      result[outcome]++;
      options.onEnd?.(move, outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, lane));
  return result;
}
