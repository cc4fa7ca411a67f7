import { erasureCodecForLayout, type ErasureCodec } from '../erasure/erasure-codec.js';
import { shardSizeBytes } from '../erasure/stripe.js';
import type { ErasureLayout } from '../meta/records.js';
import { withTimeout } from '../objects/with-timeout.js';
import type { Clock } from '../platform/clock.js';
import { StrataError } from '../platform/errors.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import type { ChunkBuildRequest, ChunkBuildSource, ChunkBuilder, ChunkStore, ChunkStoreDirectory, ChunkWriter } from '../ports/chunk-store.js';
import type { ByteThrottle } from './byte-throttle.js';

export interface StreamingChunkBuilderOptions {
  /** Where the sources are read (this node's store for its own chunks, remote stores for the others). */
  chunkStores: ChunkStoreDirectory;
  clock: Clock;
  logger?: Logger;
  /** Taken per block written; absent = unthrottled (a leader that delegates a build takes the bytes itself). */
  throttle?: ByteThrottle;
  codecForLayout?: (layout: Pick<ErasureLayout, 'codecId' | 'dataShards' | 'parityShards'>) => ErasureCodec;
  /** One block read or write taking longer than this fails the build (default 30 s). */
  blockTimeoutMs?: number;
}

/**
 * Fills a new chunk block by block (never the whole chunk in memory): `copy` streams the column's current
 * chunk (checksums verified by its store on read); `rebuild` reconstructs the column stripe by stripe from
 * any k of the other columns, swapping a failing column for the next one. The new chunk is committed at
 * the end; on any failure it is aborted. The leader runs it for a node that cannot build (writing over
 * the cluster port); every node runs it for itself when the leader asks it to (BuildChunk).
 */
export class StreamingChunkBuilder {
  private readonly logger: Logger;
  private readonly codecForLayout: NonNullable<StreamingChunkBuilderOptions['codecForLayout']>;
  private readonly blockTimeoutMs: number;
  /** One codec per scheme (building one per chunk set up its matrices every time). */
  private readonly codecs = new Map<string, ErasureCodec>();

  constructor(private readonly options: StreamingChunkBuilderOptions) {
    this.logger = options.logger ?? silentLogger;
    this.codecForLayout = options.codecForLayout ?? erasureCodecForLayout;
    this.blockTimeoutMs = options.blockTimeoutMs ?? 30_000;
  }

  /** This builder writing into `store`: the ChunkBuilder a node runs for itself. */
  writingTo(store: ChunkStore): ChunkBuilder {
    return { build: (request) => this.buildInto(store, request) };
  }

  async buildInto(store: ChunkStore, request: ChunkBuildRequest): Promise<{ bytes: number }> {
    const { newChunkId, source } = request;
    const blocks = request.mode === 'copy' ? this.copyBlocks(source) : this.rebuildBlocks(source);
    const timed = <T>(promise: Promise<T>, what: string) => withTimeout(promise, this.blockTimeoutMs, this.options.clock, what);
    const writer: ChunkWriter = await timed(
      store.create(newChunkId, { blockSizeBytes: source.layout.shardBytes, expectedBytes: source.sizeBytes }),
      `creating chunk ${newChunkId}`,
    );
    let bytes = 0;
    try {
      for await (const block of blocks) {
        await this.options.throttle?.take(block.byteLength);
        await timed(writer.append(block), `appending to chunk ${newChunkId}`);
        bytes += block.byteLength;
      }
      await timed(writer.commit(), `committing chunk ${newChunkId}`);
    } catch (error) {
      await writer.abort().catch(() => undefined);
      throw error;
    }
    return { bytes };
  }

  private async *copyBlocks(source: ChunkBuildSource): AsyncGenerator<Uint8Array> {
    const sizes = blockSizes(source.layout, source.dataBytes);
    const chunk = source.layout.chunks[source.column];
    const blocks = this.options.chunkStores.forNode(chunk.nodeId).readBlocks(chunk.chunkId, 0, sizes.length)[Symbol.asyncIterator]();
    try {
      for (let i = 0; i < sizes.length; i++) {
        const next = await withTimeout(blocks.next(), this.blockTimeoutMs, this.options.clock, `reading block ${i} of chunk ${chunk.chunkId}`);
        if (next.done || next.value.byteLength !== sizes[i]) {
          throw new StrataError('Corruption', `block ${i} of chunk ${chunk.chunkId} is ${next.done ? 'missing' : `${next.value.byteLength} bytes`}, expected ${sizes[i]}`);
        }
        yield next.value;
      }
    } finally {
      blocks.return?.().catch(() => undefined);
    }
  }

  private codecOf(layout: ChunkBuildSource['layout']): ErasureCodec {
    const key = `${layout.codecId}:${layout.dataShards}+${layout.parityShards}`;
    let codec = this.codecs.get(key);
    if (!codec) this.codecs.set(key, (codec = this.codecForLayout(layout)));
    return codec;
  }

  /** The column rebuilt stripe by stripe from k readable siblings (a failing sibling is swapped for the next). */
  private async *rebuildBlocks(source: ChunkBuildSource): AsyncGenerator<Uint8Array> {
    const { layout, column } = source;
    const k = layout.dataShards;
    const width = layout.dataShards + layout.parityShards;
    const codec = this.codecOf(layout);
    const sizes = blockSizes(layout, source.dataBytes);
    const candidates = layout.chunks.map((_, j) => j).filter((j) => j !== column);
    const active = new Map<number, AsyncIterator<Uint8Array>>();
    const failed = new Set<number>();
    let nextCandidate = 0;
    const open = (j: number, fromBlock: number) => {
      const chunk = layout.chunks[j];
      active.set(j, this.options.chunkStores.forNode(chunk.nodeId).readBlocks(chunk.chunkId, fromBlock, sizes.length - fromBlock)[Symbol.asyncIterator]());
    };
    const fetch = async (j: number, block: number): Promise<Uint8Array | undefined> => {
      const chunk = layout.chunks[j];
      try {
        const pending = active.get(j)!.next();
        pending.catch(() => undefined);
        const next = await withTimeout(pending, this.blockTimeoutMs, this.options.clock, `reading block ${block} of chunk ${chunk.chunkId}`);
        if (next.done || next.value.byteLength !== sizes[block]) throw new StrataError('Corruption', `block ${block} of chunk ${chunk.chunkId} is short or missing`);
        return next.value;
      } catch (error) {
        this.logger.warn({ err: error, chunkId: chunk.chunkId, nodeId: chunk.nodeId, block }, 'a sibling chunk is unreadable; trying the next one');
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
          const chunkId = layout.chunks[column].chunkId;
          throw new StrataError('Unavailable', `chunk ${chunkId} cannot be rebuilt: only ${present} of the ${k} columns needed are readable at block ${block}`, {
            retryable: true,
            details: { chunkId, unrecoverable: true, failedColumns: [...failed] },
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
export function blockSizes(layout: Pick<ErasureLayout, 'stripeDataBytes' | 'shardBytes' | 'dataShards'>, dataBytes: number): number[] {
  const stripes = Math.ceil(dataBytes / layout.stripeDataBytes);
  const sizes: number[] = new Array(stripes).fill(layout.shardBytes);
  const lastBytes = dataBytes - (stripes - 1) * layout.stripeDataBytes;
  if (stripes > 0 && lastBytes < layout.stripeDataBytes) sizes[stripes - 1] = shardSizeBytes(lastBytes, layout.dataShards);
  return sizes;
}
