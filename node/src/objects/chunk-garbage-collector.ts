import type { Clock, TimerHandle } from '../platform/clock.js';
import { StrataError } from '../platform/errors.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import type { ChunkInfo, ChunkStore } from '../ports/chunk-store.js';
import type { MetadataAccess } from './metadata-access.js';

export interface ChunkGarbageCollectorOptions {
  selfId: number;
  /** This node's own chunk store. */
  store: ChunkStore;
  metadata: MetadataAccess;
  clock: Clock;
  logger?: Logger;
  /** Time between passes (default 10 min). */
  intervalMs?: number;
  /** Chunks younger than this are never deleted: writes in flight have not committed their manifest yet (default 1 h). */
  graceMs?: number;
  /** Chunks checked against the metadata per linearizable read (default 1000). */
  batchSize?: number;
}

export type ResolvedChunkGarbageCollectorOptions = Required<ChunkGarbageCollectorOptions>;

export function resolveChunkGarbageCollectorOptions(options: ChunkGarbageCollectorOptions): ResolvedChunkGarbageCollectorOptions {
  const resolved = { logger: silentLogger, intervalMs: 10 * 60_000, graceMs: 60 * 60_000, batchSize: 1000, ...options };
  for (const name of ['intervalMs', 'graceMs', 'batchSize'] as const) {
    if (!Number.isSafeInteger(resolved[name]) || resolved[name] < (name === 'graceMs' ? 0 : 1)) {
      throw new StrataError('InvalidConfig', `chunk GC option ${name} must be a positive integer, got ${resolved[name]}`);
    }
  }
  return resolved;
}

export interface GcPassResult {
  examined: number;
  /** Old enough to be considered. */
  candidates: number;
  deleted: number;
  failed: number;
}

/**
 * Deletes this node's chunks that no manifest or in-progress upload references, once they are older
 * than the grace period. It keeps no state of its own: every pass asks the metadata (a linearizable
 * read) about what the disk holds, so it is idempotent and safe across crashes and restarts, and it
 * also reclaims chunks of writes that died before their manifest committed. A chunk unreferenced at a
 * read after its grace period stays unreferenced: chunk ids are never reused and manifests only ever
 * name chunks written just before them.
 */
export class ChunkGarbageCollector {
  private readonly o: ResolvedChunkGarbageCollectorOptions;
  private timer: TimerHandle | undefined;
  private running: Promise<GcPassResult> | undefined;

  constructor(options: ChunkGarbageCollectorOptions) {
    this.o = resolveChunkGarbageCollectorOptions(options);
  }

  start(): void {
    if (this.timer) return;
    this.timer = this.o.clock.setInterval(() => {
      this.runOnce().catch((error: unknown) => this.o.logger.warn({ err: error }, 'chunk garbage collection pass failed; retrying next interval'));
    }, this.o.intervalMs);
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass; concurrent callers share it. */
  runOnce(): Promise<GcPassResult> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<GcPassResult> {
    const result: GcPassResult = { examined: 0, candidates: 0, deleted: 0, failed: 0 };
    const cutoffMs = this.o.clock.wallMs() - this.o.graceMs;
    let batch: ChunkInfo[] = [];
    for await (const chunk of this.o.store.list()) {
      result.examined++;
      if (chunk.createdMs > cutoffMs) continue;
      result.candidates++;
      batch.push(chunk);
      if (batch.length >= this.o.batchSize) {
        await this.collect(batch, result);
        batch = [];
      }
    }
    if (batch.length > 0) await this.collect(batch, result);
    if (result.deleted > 0 || result.failed > 0) this.o.logger.info({ ...result }, 'chunk garbage collection pass');
    return result;
  }

  private async collect(batch: ChunkInfo[], result: GcPassResult): Promise<void> {
    const { selfId } = this.o;
    const unreferenced = await this.o.metadata.read((meta) => batch.filter((c) => !meta.isChunkReferenced(selfId, c.chunkId)));
    for (const chunk of unreferenced) {
      try {
        await this.o.store.delete(chunk.chunkId);
        result.deleted++;
      } catch (error) {
        result.failed++;
        this.o.logger.warn({ err: error, chunkId: chunk.chunkId }, 'could not delete an unreferenced chunk');
      }
    }
  }
}
