import type { ErasureCodec } from '../erasure/erasure-codec.js';
import type { ChunkLocation } from '../meta/chunk-references.js';
import type { ErasureLayout } from '../meta/records.js';
import type { MetadataAccess } from '../objects/metadata-access.js';
import { randomHexId } from '../objects/random-id.js';
import type { Clock } from '../platform/clock.js';
import { StrataError, isStrataError } from '../platform/errors.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { noopMetrics, type Counter, type MetricsSink } from '../platform/metrics.js';
import type { Random } from '../platform/random.js';
import type { ChunkBuildRequest, ChunkStoreDirectory } from '../ports/chunk-store.js';
import type { ByteThrottle } from './byte-throttle.js';
import { StreamingChunkBuilder } from './chunk-builder.js';

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
  codecForLayout?: (layout: Pick<ErasureLayout, 'codecId' | 'dataShards' | 'parityShards'>) => ErasureCodec;
  /** One block read or write taking longer than this fails the relocation (default 30 s). */
  blockTimeoutMs?: number;
}

export type ResolvedChunkRelocatorOptions = Required<Omit<ChunkRelocatorOptions, 'throttle' | 'codecForLayout'>> &
  Pick<ChunkRelocatorOptions, 'throttle' | 'codecForLayout'>;

export function resolveChunkRelocatorOptions(options: ChunkRelocatorOptions): ResolvedChunkRelocatorOptions {
  return { logger: silentLogger, metrics: noopMetrics, blockTimeoutMs: 30_000, ...options };
}

/**
 * Moves one chunk: writes a copy under a NEW chunk id on the target node (never the whole chunk in
 * memory), then swaps every reference through Raft (replaceChunk). The old chunk becomes garbage that its
 * node's collector deletes. `copy` streams the source's blocks (checksums verified by the store on read)
 * and falls back to `rebuild` when the source is unreadable; `rebuild` reconstructs the column stripe by
 * stripe from any k sibling columns. With fromNodeId === toNodeId and `rebuild`, a corrupt chunk is
 * repaired in place (the scrubber's use).
 *
 * The target node builds the new chunk itself when it can (ChunkStoreDirectory.builderFor): it reads the
 * sources and writes locally, so the bytes do not pass through the coordinating node (the leader) and
 * the moves of a drain or recovery spread over the nodes that receive data. Otherwise (no builder, or
 * a node of an older version) the chunk is built here and written over the cluster port.
 *
 * Fails with NotFound when the chunk is no longer referenced (deleted or moved meanwhile; the copy is
 * deleted again), Conflict when the target came to hold a sibling column meanwhile, Unavailable when
 * fewer than k sibling columns are readable (details.unrecoverable) or a node is down.
 */
export class ChunkRelocator {
  private readonly o: ResolvedChunkRelocatorOptions;
  private readonly movedBytes: Counter;
  /** Builds here, for targets that cannot build themselves (throttled per block). */
  private readonly builder: StreamingChunkBuilder;

  constructor(options: ChunkRelocatorOptions) {
    this.o = resolveChunkRelocatorOptions(options);
    this.builder = new StreamingChunkBuilder({
      chunkStores: this.o.chunkStores,
      clock: this.o.clock,
      logger: this.o.logger,
      throttle: this.o.throttle,
      codecForLayout: this.o.codecForLayout,
      blockTimeoutMs: this.o.blockTimeoutMs,
    });
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
        written = await this.build(location, toNodeId, 'copy');
      } catch (error) {
        if (!isStrataError(error) || !['Corruption', 'Unavailable', 'Timeout'].includes(error.code)) throw error;
        this.o.logger.warn({ err: error, chunkId, nodeId: fromNodeId }, 'copying a chunk failed; rebuilding it from its siblings instead');
      }
    }
    written ??= await this.build(location, toNodeId, 'rebuild');
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

  /** A new chunk for the location's column on `toNodeId`: built there when it can, else here. */
  private async build(location: ChunkLocation, toNodeId: number, mode: ChunkBuildRequest['mode']): Promise<RelocateResult> {
    const request: ChunkBuildRequest = { newChunkId: `${randomHexId(this.o.random)}.${location.column}`, mode, source: location };
    const target = this.o.chunkStores.builderFor?.(toNodeId);
    if (target !== undefined) {
      // The shared byte budget is taken here, for the whole chunk before it moves: exact over time,
      // though one chunk's own bytes are not paced.
      await this.o.throttle?.take(location.sizeBytes);
      try {
        return { newChunkId: request.newChunkId, ...(await target.build(request)) };
      } catch (error) {
        if (!isStrataError(error) || error.details.buildUnsupported !== true) throw error;
        this.o.logger.info({ nodeId: toNodeId, chunkId: location.chunkId }, 'the target node cannot build chunks (an older version); building here');
      }
    }
    return { newChunkId: request.newChunkId, ...(await this.builder.buildInto(this.o.chunkStores.forNode(toNodeId), request)) };
  }
}
