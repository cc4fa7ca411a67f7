import { erasureCodecForLayout, type ErasureCodec } from '../erasure/erasure-codec.js';
import { shardSizeBytes } from '../erasure/stripe.js';
import type { ChunkLocation } from '../meta/chunk-references.js';
import type { ErasureLayout } from '../meta/records.js';
import type { MetadataAccess } from '../objects/metadata-access.js';
import { randomHexId } from '../objects/random-id.js';
import { withTimeout } from '../objects/with-timeout.js';
import type { Clock } from '../platform/clock.js';
import { StrataError, isStrataError } from '../platform/errors.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { noopMetrics, type Counter, type MetricsSink } from '../platform/metrics.js';
import type { Random } from '../platform/random.js';
import type { ChunkStoreDirectory, ChunkWriter } from '../ports/chunk-store.js';
import type { ByteThrottle } from './byte-throttle.js';

export interface RelocateRequest {
  chunkId: string;
  fromNodeId: number;
  toNodeId: number;
  mode: 'copy' | 'rebuild';
}

export interface RelocateResult {
  newChunkId: string;
  bytes: number;
}

export interface ChunkRelocatorOptions {
  metadata: MetadataAccess;
  chunkStores: ChunkStoreDirectory;
  clock: Clock;
  random: Random;
  /** Shared by every mover; absent = unthrottled. */
  throttle?: ByteThrottle;
  logger?: Logger;
  metrics?: MetricsSink;
  codecForLayout?: (layout: ErasureLayout) => ErasureCodec;
  /** One block read or write taking longer than this fails the relocation (default 30 s). */
  blockTimeoutMs?: number;
}

export type ResolvedChunkRelocatorOptions = Required<Omit<ChunkRelocatorOptions, 'throttle'>> & Pick<ChunkRelocatorOptions, 'throttle'>;

export function resolveChunkRelocatorOptions(options: ChunkRelocatorOptions): ResolvedChunkRelocatorOptions {
  return { logger: silentLogger, metrics: noopMetrics, codecForLayout: erasureCodecForLayout, blockTimeoutMs: 30_000, ...options };
}

/**
 * Moves one chunk: writes a copy under a NEW chunk id on the target node, block by block (never the
 * whole chunk in memory), then swaps every reference through Raft (replaceChunk). The old chunk becomes
 * garbage that its node's collector deletes. `copy` streams the source's blocks (checksums verified by
 * the store on read) and falls back to `rebuild` when the source is unreadable; `rebuild` reconstructs
 * the column stripe by stripe from any k sibling columns. With fromNodeId === toNodeId and `rebuild`,
 * a corrupt chunk is repaired in place (the scrubber's use).
 *
 * Fails with NotFound when the chunk is no longer referenced (deleted or moved meanwhile; the copy is
 * deleted again), Conflict when the target came to hold a sibling column meanwhile, Unavailable when
 * fewer than k sibling columns are readable (details.unrecoverable) or a node is down.
 */
export class ChunkRelocator {
  private readonly o: ResolvedChunkRelocatorOptions;
  private readonly movedBytes: Counter;
  /** One codec per scheme (building one per relocation set up its matrices every time). */
  private readonly codecs = new Map<string, ErasureCodec>();

  constructor(options: ChunkRelocatorOptions) {
    this.o = resolveChunkRelocatorOptions(options);
    this.movedBytes = this.o.metrics.counter('strata_data_moved_bytes_total', 'Bytes of chunks copied or rebuilt onto another node (drain, rebalance, recovery, repair)');
  }

  async relocate(request: RelocateRequest): Promise<RelocateResult> {
    const { chunkId, fromNodeId, toNodeId } = request;
    const location = await this.o.metadata.read((meta) => meta.chunkLocation(fromNodeId, chunkId));
    if (!location) throw new StrataError('NotFound', `chunk ${chunkId} on node-${fromNodeId} is no longer referenced`, { details: { chunkId, nodeId: fromNodeId } });
    if (toNodeId !== fromNodeId && location.siblingNodeIds.includes(toNodeId)) {
      throw new StrataError('Conflict', `node-${toNodeId} already holds another column of chunk ${chunkId}'s layout`, { details: { chunkId, nodeId: toNodeId } });
    }
    let written: RelocateResult | undefined;
    if (request.mode === 'copy') {
      try {
        written = await this.write(location, toNodeId, this.copyBlocks(location));
      } catch (error) {
        if (!isStrataError(error) || !['Corruption', 'Unavailable', 'Timeout'].includes(error.code)) throw error;
        this.o.logger.warn({ err: error, chunkId, nodeId: fromNodeId }, 'copying a chunk failed; rebuilding it from its siblings instead');
      }
    }
    written ??= await this.write(location, toNodeId, this.rebuildBlocks(location));
    try {
      await this.o.metadata.execute({ op: 'replaceChunk', chunkId, fromNodeId, toNodeId, newChunkId: written.newChunkId });
    } catch (error) {
      // The copy is referenced by nothing: delete it now rather than leave it to the GC's grace period.
      // (On a Timeout the swap may still commit later: keep the copy then, the GC decides.)
      if (!isStrataError(error, 'Timeout')) await this.o.chunkStores.forNode(toNodeId).delete(written.newChunkId).catch(() => undefined);
      throw error;
    }
    this.movedBytes.inc(written.bytes);
    return written;
  }

  /** Write `blocks` as a new chunk on `toNodeId`, throttled, committed; aborted on any failure. */
  private async write(location: ChunkLocation, toNodeId: number, blocks: AsyncIterable<Uint8Array>): Promise<RelocateResult> {
    const newChunkId = `${randomHexId(this.o.random)}.${location.column}`;
    const store = this.o.chunkStores.forNode(toNodeId);
    const timed = <T>(promise: Promise<T>, what: string) => withTimeout(promise, this.o.blockTimeoutMs, this.o.clock, what);
    const writer: ChunkWriter = await timed(store.create(newChunkId, { blockSizeBytes: location.layout.shardBytes, expectedBytes: location.sizeBytes }), `creating chunk ${newChunkId} on node-${toNodeId}`);
    let bytes = 0;
    try {
      for await (const block of blocks) {
        await this.o.throttle?.take(block.byteLength);
        await timed(writer.append(block), `appending to chunk ${newChunkId} on node-${toNodeId}`);
        bytes += block.byteLength;
      }
      await timed(writer.commit(), `committing chunk ${newChunkId} on node-${toNodeId}`);
    } catch (error) {
      await writer.abort().catch(() => undefined);
      throw error;
    }
    return { newChunkId, bytes };
  }

  private async *copyBlocks(location: ChunkLocation): AsyncGenerator<Uint8Array> {
    const sizes = blockSizes(location.layout, location.dataBytes);
    const source = this.o.chunkStores.forNode(location.nodeId).readBlocks(location.chunkId, 0, sizes.length)[Symbol.asyncIterator]();
    try {
      for (let i = 0; i < sizes.length; i++) {
        const next = await withTimeout(source.next(), this.o.blockTimeoutMs, this.o.clock, `reading block ${i} of chunk ${location.chunkId}`);
        if (next.done || next.value.byteLength !== sizes[i]) {
          throw new StrataError('Corruption', `block ${i} of chunk ${location.chunkId} is ${next.done ? 'missing' : `${next.value.byteLength} bytes`}, expected ${sizes[i]}`);
        }
        yield next.value;
      }
    } finally {
      source.return?.().catch(() => undefined);
    }
  }

  /** The column rebuilt stripe by stripe from k readable siblings (a failing sibling is swapped for the next). */
  private async *rebuildBlocks(location: ChunkLocation): AsyncGenerator<Uint8Array> {
    const { layout, column } = location;
    const k = layout.dataShards;
    const width = layout.dataShards + layout.parityShards;
    const codecKey = `${layout.codecId}:${layout.dataShards}+${layout.parityShards}`;
    let codec = this.codecs.get(codecKey);
    if (!codec) this.codecs.set(codecKey, (codec = this.o.codecForLayout(layout)));
    const sizes = blockSizes(layout, location.dataBytes);
    const candidates = layout.chunks.map((_, j) => j).filter((j) => j !== column);
    const active = new Map<number, AsyncIterator<Uint8Array>>();
    const failed = new Set<number>();
    let nextCandidate = 0;
    const open = (j: number, fromBlock: number) => {
      const chunk = layout.chunks[j];
      active.set(j, this.o.chunkStores.forNode(chunk.nodeId).readBlocks(chunk.chunkId, fromBlock, sizes.length - fromBlock)[Symbol.asyncIterator]());
    };
    const fetch = async (j: number, block: number): Promise<Uint8Array | undefined> => {
      const chunk = layout.chunks[j];
      try {
        const pending = active.get(j)!.next();
        pending.catch(() => undefined);
        const next = await withTimeout(pending, this.o.blockTimeoutMs, this.o.clock, `reading block ${block} of chunk ${chunk.chunkId}`);
        if (next.done || next.value.byteLength !== sizes[block]) throw new StrataError('Corruption', `block ${block} of chunk ${chunk.chunkId} is short or missing`);
        return next.value;
      } catch (error) {
        this.o.logger.warn({ err: error, chunkId: chunk.chunkId, nodeId: chunk.nodeId, block }, 'a sibling chunk is unreadable; trying the next one');
        failed.add(j);
        active.get(j)?.return?.().catch(() => undefined);
        active.delete(j);
        return undefined;
      }
    };
    try {
      for (let block = 0; block < sizes.length; block++) {
        const shards: (Uint8Array | undefined)[] = new Array(width).fill(undefined);
        let present = 0;
        let round = [...active.keys()];
        while (round.length > 0 || (present < k && nextCandidate < candidates.length)) {
          while (present + round.length < k && nextCandidate < candidates.length) {
            const j = candidates[nextCandidate++];
            open(j, block);
            round.push(j);
          }
          const got = await Promise.all(round.map((j) => fetch(j, block)));
          round.forEach((j, r) => {
            if (got[r] !== undefined) {
              shards[j] = got[r];
              present++;
            }
          });
          round = [];
        }
        if (present < k) {
          throw new StrataError('Unavailable', `chunk ${location.chunkId} cannot be rebuilt: only ${present} of the ${k} columns needed are readable at block ${block}`, {
            retryable: true,
            details: { chunkId: location.chunkId, unrecoverable: true, failedColumns: [...failed] },
          });
        }
        const all = await codec.reconstruct(shards);
        yield all[column];
      }
    } finally {
      for (const iterator of active.values()) iterator.return?.().catch(() => undefined);
    }
  }
}

/** The size of every block of a column of `layout` storing `dataBytes`: full shards, the last maybe shorter. */
export function blockSizes(layout: ErasureLayout, dataBytes: number): number[] {
  const stripes = Math.ceil(dataBytes / layout.stripeDataBytes);
  const sizes: number[] = new Array(stripes).fill(layout.shardBytes);
  const lastBytes = dataBytes - (stripes - 1) * layout.stripeDataBytes;
  if (stripes > 0 && lastBytes < layout.stripeDataBytes) sizes[stripes - 1] = shardSizeBytes(lastBytes, layout.dataShards);
  return sizes;
}
