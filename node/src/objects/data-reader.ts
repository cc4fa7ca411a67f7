import type { ErasureCodec } from '../erasure/erasure-codec.js';
import { shardSizeBytes, stripeDataViews } from '../erasure/stripe.js';
import { inlineBytes } from '../meta/inline-store.js';
import type { DataLayout, ErasureLayout } from '../meta/records.js';
import { StrataError } from '../platform/errors.js';
import { gunzipRange } from './data-compression.js';
import type { ResolvedObjectServiceOptions } from './object-service-options.js';
import { StripeCache } from './stripe-cache.js';
import { withTimeout } from './with-timeout.js';

type Options = Pick<ResolvedObjectServiceOptions, 'chunkStores' | 'clock' | 'logger' | 'readTimeoutMs' | 'codecForLayout' | 'selfId'> & {
  /** The [data] cache_size read cache; absent = no cache. */
  stripeCache?: StripeCache;
};

/** Bytes [start, end] (inclusive) of one object or part of `sizeBytes` stored with `layout`. */
export async function* readData(options: Options, layout: DataLayout, sizeBytes: number, start: number, end: number): AsyncGenerator<Uint8Array> {
  if (end < start) return;
  if (layout.kind === 'inline') {
    const bytes = await inlineBytes(layout);
    const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (data.byteLength !== sizeBytes) throw new StrataError('Corruption', `inline data holds ${data.byteLength} bytes, the manifest says ${sizeBytes}`);
    yield data.subarray(start, end + 1);
    return;
  }
  const compression = layout.compression;
  if (compression === undefined) {
    yield* readErasure(options, layout, sizeBytes, start, end);
    return;
  }
  if (compression.codec !== 'gzip') throw new StrataError('Corruption', `unknown compression codec ${JSON.stringify(compression.codec)}`);
  // The stripes hold the compressed stream: read it from its start (a range costs its offset in decompression).
  const stored = readErasure(options, layout, compression.storedBytes, 0, compression.storedBytes - 1);
  yield* gunzipRange(stored, sizeBytes, start, end);
}

/** One chunk being read block by block from the stripe it was opened at to the last stripe the range needs. */
interface Column {
  index: number;
  iterator: AsyncIterator<Uint8Array>;
}

/**
 * The k chunks a healthy read starts with: the data chunks, except that a parity chunk on this node
 * stands in for a data chunk on another. Decoding a stripe costs less CPU than receiving a shard over
 * the cluster port (decision 0027), and the other node is spared the read.
 */
export function chunksToRead(layout: Pick<ErasureLayout, 'chunks' | 'dataShards'>, selfId: number): number[] {
  const k = layout.dataShards;
  const chosen = Array.from({ length: k }, (_, i) => i);
  const isLocal = (index: number) => layout.chunks[index].nodeId === selfId;
  let replace = k - 1;
  for (let parity = k; parity < layout.chunks.length; parity++) {
    if (!isLocal(parity)) continue;
    while (replace >= 0 && isLocal(chosen[replace])) replace--;
    if (replace < 0) break;
    chosen[replace--] = parity;
  }
  return chosen;
}

/**
 * Reads only the stripes the range needs, from k chunks (chunksToRead). A chunk that fails (node down,
 * Corruption, timeout, short block) is dropped for the rest of the read and replaced by the next unused
 * chunk, and the stripes from then on are reconstructed: a degraded read. Stripes in the read
 * cache are served from it; the chunk reads resume at the next stripe that is not. An object too big for
 * the cache (StripeCache.admits) bypasses it.
 */
async function* readErasure(options: Options, layout: ErasureLayout, storedBytes: number, start: number, end: number): AsyncGenerator<Uint8Array> {
  const { dataShards: k, parityShards: m, stripeDataBytes: stripeBytes } = layout;
  const codec: ErasureCodec = options.codecForLayout(layout);
  const cache = options.stripeCache?.admits(storedBytes) === true && layout.chunks.length > 0 ? options.stripeCache : undefined;
  const stripeCount = Math.ceil(storedBytes / stripeBytes);
  const firstStripe = Math.floor(start / stripeBytes);
  const lastStripe = Math.floor(end / stripeBytes);
  const dead = new Set<number>();
  /** The chunks this read uses (k of them while enough are healthy); open or to be reopened. */
  const inUse = chunksToRead(layout, options.selfId);
  /** The others, in the order they are tried when a chunk in use fails. */
  const spare = layout.chunks.map((_, i) => i).filter((i) => !inUse.includes(i));
  const active = new Map<number, Column>();

  const open = (index: number, fromStripe: number): Column => {
    const chunk = layout.chunks[index];
    let blocks: AsyncIterable<Uint8Array>;
    try {
      blocks = options.chunkStores.forNode(chunk.nodeId).readBlocks(chunk.chunkId, fromStripe, lastStripe - fromStripe + 1);
    } catch (error) {
      // A node that left the cluster (removed with --force, chunks not rebuilt yet) has no store: the
      // column fails on its first read like any unreachable one, and parity takes over.
      blocks = failingBlocks(error);
    }
    const column = { index, iterator: blocks[Symbol.asyncIterator]() };
    active.set(index, column);
    return column;
  };
  const close = (column: Column): void => {
    active.delete(column.index);
    column.iterator.return?.().catch(() => {});
  };
  const fetch = async (column: Column, stripe: number, expectedBytes: number): Promise<Uint8Array | undefined> => {
    const chunk = layout.chunks[column.index];
    const pending = column.iterator.next();
    pending.catch(() => {}); // a timed-out read may still fail later
    try {
      const result = await withTimeout(pending, options.readTimeoutMs, options.clock, `reading block ${stripe} of chunk ${chunk.chunkId}`);
      if (result.done) throw new StrataError('Corruption', `chunk ${chunk.chunkId} ended before block ${stripe}`);
      if (result.value.byteLength !== expectedBytes) {
        throw new StrataError('Corruption', `block ${stripe} of chunk ${chunk.chunkId} has ${result.value.byteLength} bytes, expected ${expectedBytes}`);
      }
      return result.value;
    } catch (error) {
      options.logger.warn({ err: error, chunkId: chunk.chunkId, nodeId: chunk.nodeId, block: stripe }, 'chunk read failed; reading parity instead');
      dead.add(column.index);
      inUse.splice(inUse.indexOf(column.index), 1);
      close(column);
      return undefined;
    }
  };

  try {
    for (let stripe = firstStripe; stripe <= lastStripe; stripe++) {
      const stripeStart = stripe * stripeBytes;
      const dataBytes = Math.min(stripeBytes, storedBytes - stripeStart);
      const from = Math.max(start, stripeStart) - stripeStart;
      const to = Math.min(end + 1, stripeStart + dataBytes) - stripeStart;
      const cacheKey = cache === undefined ? '' : StripeCache.key(layout.chunks[0].chunkId, stripe);
      const cached = cache?.get(cacheKey);
      if (cached !== undefined) {
        // The open chunk reads are positioned at this stripe: end them, and reopen at the next miss.
        for (const column of [...active.values()]) close(column);
        yield* stripeDataViews(cached, k, from, to);
        continue;
      }
      for (const index of inUse) if (!active.has(index)) open(index, stripe);

      const shardBytes = stripe === stripeCount - 1 && dataBytes < stripeBytes ? shardSizeBytes(dataBytes, k) : layout.shardBytes;
      const shards: (Uint8Array | undefined)[] = new Array(k + m).fill(undefined);
      let present = 0;
      let round = [...active.values()];
      while (round.length > 0) {
        const blocks = await Promise.all(round.map((column) => fetch(column, stripe, shardBytes)));
        round.forEach((column, r) => {
          if (blocks[r] !== undefined) {
            shards[column.index] = blocks[r];
            present++;
          }
        });
        round = [];
        while (present + round.length < k && spare.length > 0) {
          const next = spare.shift()!;
          inUse.push(next);
          round.push(open(next, stripe));
        }
      }
      if (present < k) {
        throw new StrataError('Unavailable', `only ${present} of the ${k} chunks needed are readable for stripe ${stripe} (${dead.size} failed)`, {
          retryable: true,
          details: { chunks: layout.chunks.map((c) => c.chunkId) },
        });
      }
      const complete = shards.slice(0, k).every((s) => s !== undefined) ? (shards as Uint8Array[]) : await codec.reconstruct(shards);
      cache?.set(cacheKey, complete.slice(0, k));
      // Views of the shards, one per shard: no stripe-sized copy (nor garbage) per GET.
      yield* stripeDataViews(complete, k, from, to);
    }
  } finally {
    for (const column of [...active.values()]) close(column);
  }
}

async function* failingBlocks(error: unknown): AsyncGenerator<Uint8Array> {
  throw error;
}
