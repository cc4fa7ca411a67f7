/**
 * The scrubber of one node: reads every block of every chunk on its own disk that the metadata still
 * references (the chunk store checks each block's CRC32C), throttled, and has a corrupt chunk rebuilt
 * from parity under a new id on this node. Passes run every `[scrub] interval` when enabled, and on
 * demand. Chunks nobody references are garbage for the GC and are not read.
 */
import { join } from 'node:path';
import type { Clock, TimerHandle } from '../platform/clock.js';
import { StrataError, isStrataError } from '../platform/errors.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { noopMetrics, type Counter, type MetricsSink } from '../platform/metrics.js';
import type { ChunkInfo, ChunkStore } from '../ports/chunk-store.js';
import type { MoveProgress } from '../ports/maintenance-admin.js';
import type { ScrubAdmin, ScrubStatus } from '../ports/scrub-admin.js';
import { ScrubPacer } from './scrub-pacer.js';
import { nextScrubDueMs, readScrubState, SCRUB_STATE_FILE, writeScrubState, type ScrubState } from './scrub-state-file.js';

/** Engineer H1's chunk relocator (node/src/repair/chunk-relocator.ts), as the scrubber uses it. */
export interface ChunkRebuilder {
  relocate(request: { chunkId: string; fromNodeId: number; toNodeId: number; mode: 'rebuild' }): Promise<{ newChunkId: string; bytes: number }>;
}

/** What the scrubber asks the metadata (linearizable reads): which chunks this node must hold. */
export interface ScrubMetadata {
  read<T>(query: (meta: ScrubMetadataView) => T): Promise<T>;
}

export interface ScrubMetadataView {
  isChunkReferenced(nodeId: number, chunkId: string): boolean;
  chunksOnNode(nodeId: number): { chunkId: string }[];
}

export interface ChunkScrubberOptions {
  nodeId: number;
  store: ChunkStore;
  metadata: ScrubMetadata;
  /** Rebuilds a corrupt chunk; without one, corruption is found and counted but not repaired. */
  rebuilder?: ChunkRebuilder;
  clock: Clock;
  /** Folder of the scrub state file (the node's data dir). */
  stateDir: string;
  /** `[scrub] enabled`, `interval`, `throttle_mb_per_sec`. */
  enabled?: boolean;
  intervalMs?: number;
  throttleMbPerSec?: number;
  /** Chunks checked against the metadata per read. */
  batchSize?: number;
  /** Longest single timer (setTimeout caps near 24.8 days; a far due time is reached in steps). */
  maxTimerMs?: number;
  logger?: Logger;
  metrics?: MetricsSink;
}

export type ResolvedChunkScrubberOptions = Required<Omit<ChunkScrubberOptions, 'rebuilder'>> & { rebuilder?: ChunkRebuilder };

export function resolveChunkScrubberOptions(options: ChunkScrubberOptions): ResolvedChunkScrubberOptions {
  const resolved = {
    enabled: true,
    intervalMs: 168 * 3_600_000,
    throttleMbPerSec: 100,
    batchSize: 256,
    maxTimerMs: 3_600_000,
    logger: silentLogger,
    metrics: noopMetrics,
    ...options,
  };
  for (const key of ['intervalMs', 'batchSize', 'maxTimerMs'] as const) {
    if (!Number.isSafeInteger(resolved[key]) || resolved[key] < 1) throw new StrataError('InvalidConfig', `scrub option ${key} must be a positive integer, got ${resolved[key]}`);
  }
  if (!(resolved.throttleMbPerSec > 0)) throw new StrataError('InvalidConfig', `[scrub] throttle_mb_per_sec must be > 0, got ${resolved.throttleMbPerSec}`);
  return resolved;
}

/** The CRC32C stored after each block in a chunk file (storage/fs/chunk-file-format.ts). */
const BLOCK_CRC_BYTES = 4;

function emptyProgress(): MoveProgress {
  return { chunksTotal: 0, chunksDone: 0, bytesTotal: 0, bytesDone: 0, failures: 0, rateBytesPerSec: 0 };
}

export class ChunkScrubber implements ScrubAdmin {
  private readonly o: ResolvedChunkScrubberOptions;
  private readonly errorsCounter: Counter;
  private readonly bytesCounter: Counter;
  private readonly statePath: string;
  private state?: ScrubState;
  private progress = emptyProgress();
  private pacer?: ScrubPacer;
  private errorsFound = 0;
  private errorsRepaired = 0;
  private lastStartedMs?: number;
  private running?: Promise<void>;
  private timer?: TimerHandle;
  private stopped = false;

  constructor(options: ChunkScrubberOptions) {
    this.o = resolveChunkScrubberOptions(options);
    this.statePath = join(this.o.stateDir, SCRUB_STATE_FILE);
    this.errorsCounter = this.o.metrics.counter('strata_scrub_errors_total', 'Scrubbing errors found (corrupt chunks on this node)');
    this.bytesCounter = this.o.metrics.counter('strata_scrub_bytes_verified_total', 'Chunk bytes read and checked by the scrubber');
  }

  /** Loads the scrub state and, when enabled, arms the timer of the next scheduled pass. */
  async start(): Promise<void> {
    this.state = await readScrubState(this.statePath);
    if (!this.state) {
      this.state = { anchorMs: this.o.clock.wallMs() };
      await this.saveState();
    }
    if (this.o.enabled) this.arm();
  }

  /** Stops the schedule and the pass in progress (it ends after its current block). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  async scrubStart(): Promise<ScrubStatus> {
    if (this.stopped) throw new StrataError('Stopped', `node-${this.o.nodeId} is stopping`, { retryable: true });
    this.startPass('on demand');
    return this.scrubStatus();
  }

  async scrubStatus(): Promise<ScrubStatus> {
    const progress = { ...this.progress };
    if (this.running && this.pacer) {
      progress.rateBytesPerSec = Math.round(this.pacer.rateBytesPerSec());
      const left = progress.bytesTotal - progress.bytesDone;
      if (progress.rateBytesPerSec > 0 && left > 0) progress.etaSeconds = Math.ceil(left / progress.rateBytesPerSec);
    } else {
      progress.rateBytesPerSec = 0;
    }
    return {
      nodeId: this.o.nodeId,
      enabled: this.o.enabled,
      state: this.running ? 'running' : 'idle',
      progress,
      errorsFound: this.errorsFound,
      errorsRepaired: this.errorsRepaired,
      lastStartedMs: this.lastStartedMs,
      lastFinishedMs: this.state?.lastFinishedMs,
      nextRunMs: this.o.enabled && this.state ? nextScrubDueMs(this.state, this.o.intervalMs) : undefined,
    };
  }

  /** Resolves when the pass in progress (if any) has finished; for tests and shutdown. */
  async idle(): Promise<void> {
    await this.running;
  }

  private arm(): void {
    if (this.stopped || !this.state) return;
    const waitMs = Math.max(0, Math.min(nextScrubDueMs(this.state, this.o.intervalMs) - this.o.clock.wallMs(), this.o.maxTimerMs));
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.stopped || !this.state) return;
      if (this.o.clock.wallMs() >= nextScrubDueMs(this.state, this.o.intervalMs) && !this.running) {
        this.startPass('scheduled');
        // The next timer is armed when the pass has finished (it moves the due time).
        return;
      }
      this.arm();
    }, waitMs);
  }

  private startPass(why: string): void {
    if (this.running) return;
    this.running = this.pass(why)
      .catch((err: unknown) => {
        this.progress.lastError = err instanceof Error ? err.message : String(err);
        this.o.logger.error({ err }, 'scrub pass failed');
      })
      .finally(() => {
        this.running = undefined;
        if (this.o.enabled && !this.timer) this.arm();
      });
  }

  private async pass(why: string): Promise<void> {
    const startedMs = this.o.clock.wallMs();
    this.lastStartedMs = startedMs;
    this.progress = { ...emptyProgress(), startedMs };
    this.pacer = new ScrubPacer(this.o.clock, this.o.throttleMbPerSec);
    this.o.logger.info({ why }, 'scrub pass started');
    const found = this.errorsFound;
    const repaired = this.errorsRepaired;
    let batch: ChunkInfo[] = [];
    const seen = new Set<string>();
    for await (const chunk of this.o.store.list()) {
      if (this.stopped) return;
      seen.add(chunk.chunkId);
      batch.push(chunk);
      if (batch.length >= this.o.batchSize) {
        await this.scrubBatch(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await this.scrubBatch(batch);
    await this.scrubUnlisted(seen);
    if (this.stopped) return;
    const finishedMs = this.o.clock.wallMs();
    this.progress.finishedMs = finishedMs;
    this.state = { anchorMs: this.state?.anchorMs ?? startedMs, lastFinishedMs: finishedMs };
    await this.saveState();
    const { chunksDone, bytesDone, failures } = this.progress;
    this.o.logger.info(
      { why, chunks: chunksDone, bytes: bytesDone, failures, errorsFound: this.errorsFound - found, errorsRepaired: this.errorsRepaired - repaired, tookMs: finishedMs - startedMs },
      'scrub pass finished',
    );
  }

  private async scrubBatch(batch: ChunkInfo[]): Promise<void> {
    const { nodeId } = this.o;
    const live = await this.o.metadata.read((meta) => batch.filter((c) => meta.isChunkReferenced(nodeId, c.chunkId)));
    for (const chunk of live) {
      this.progress.chunksTotal++;
      this.progress.bytesTotal += chunk.storedBytes;
    }
    for (const chunk of live) {
      if (this.stopped) return;
      await this.scrubChunk(chunk);
      this.progress.chunksDone++;
    }
  }

  /**
   * Referenced chunks the listing did not show: deleted files (or files it could not read at all). A chunk
   * written while the listing ran may be missed by it too, so each is looked up again before it counts.
   */
  private async scrubUnlisted(seen: Set<string>): Promise<void> {
    const { nodeId } = this.o;
    const unlisted = await this.o.metadata.read((meta) => meta.chunksOnNode(nodeId).map((c) => c.chunkId).filter((id) => !seen.has(id)));
    for (const chunkId of unlisted) {
      if (this.stopped) return;
      let problem: StrataError | undefined;
      try {
        if ((await this.o.store.stat(chunkId)) === undefined) problem = new StrataError('Corruption', `chunk ${chunkId} is missing from disk`, { details: { chunkId } });
      } catch (err) {
        problem = new StrataError('Corruption', `chunk ${chunkId} cannot be opened: ${err instanceof Error ? err.message : String(err)}`, { details: { chunkId }, cause: err });
      }
      if (!problem) continue;
      // Deleted since (moved away, or its object deleted): not this node's chunk any more.
      if (!(await this.o.metadata.read((meta) => meta.isChunkReferenced(nodeId, chunkId)))) continue;
      this.progress.chunksTotal++;
      await this.onCorruption(chunkId, problem);
      this.progress.chunksDone++;
    }
  }

  private async scrubChunk(chunk: ChunkInfo): Promise<void> {
    // Progress is in bytes on disk: each block with its checksum as it is read, the rest (header, or
    // blocks never read) when the chunk is done, so totals stay exact integers.
    let counted = 0;
    try {
      for await (const block of this.o.store.readBlocks(chunk.chunkId, 0, chunk.blockCount)) {
        counted += block.byteLength + BLOCK_CRC_BYTES;
        this.progress.bytesDone += block.byteLength + BLOCK_CRC_BYTES;
        this.bytesCounter.inc(block.byteLength);
        await this.pacer!.consumed(block.byteLength);
        if (this.stopped) return;
      }
    } catch (err) {
      if (isStrataError(err, 'NotFound')) return; // deleted since the listing (GC, or a repair swapped it)
      if (!isStrataError(err, 'Corruption')) {
        this.progress.failures++;
        this.progress.lastError = `chunk ${chunk.chunkId}: ${err instanceof Error ? err.message : String(err)}`;
        this.o.logger.warn({ err, chunkId: chunk.chunkId }, 'scrub could not read a chunk');
        return;
      }
      await this.onCorruption(chunk.chunkId, err);
    } finally {
      this.progress.bytesDone += Math.max(0, chunk.storedBytes - counted);
    }
  }

  private async onCorruption(chunkId: string, err: StrataError): Promise<void> {
    const { nodeId } = this.o;
    this.errorsFound++;
    this.errorsCounter.inc();
    const block = err.details.block;
    this.o.logger.error({ chunkId, block, err: err.message }, 'scrub found a corrupt chunk');
    if (!this.o.rebuilder) {
      this.progress.failures++;
      this.progress.lastError = `${err.message}; no rebuilder is configured to repair it`;
      return;
    }
    try {
      const result = await this.o.rebuilder.relocate({ chunkId, fromNodeId: nodeId, toNodeId: nodeId, mode: 'rebuild' });
      this.errorsRepaired++;
      this.o.logger.warn({ chunkId, block, newChunkId: result.newChunkId, bytes: result.bytes }, 'scrub rebuilt a corrupt chunk from parity');
    } catch (repairErr) {
      if (isStrataError(repairErr, 'NotFound')) {
        this.o.logger.info({ chunkId }, 'the corrupt chunk is no longer referenced (deleted or moved meanwhile); nothing to repair');
        return;
      }
      this.progress.failures++;
      this.progress.lastError = `chunk ${chunkId}: repair failed: ${repairErr instanceof Error ? repairErr.message : String(repairErr)}`;
      this.o.logger.error({ err: repairErr, chunkId, block }, 'scrub could not repair a corrupt chunk; the next pass retries');
    }
  }

  private async saveState(): Promise<void> {
    if (!this.state) return;
    try {
      await writeScrubState(this.statePath, this.state);
    } catch (err) {
      this.o.logger.warn({ err, path: this.statePath }, 'cannot save the scrub state');
    }
  }
}
