import { createHash } from 'node:crypto';
import { allocateUninitialized } from '../erasure/shard-buffers.js';
import { shardSizeBytes, splitStripe } from '../erasure/stripe.js';
import type { DataLayout, ErasureLayout } from '../meta/records.js';
import { defaultErasureScheme, placeShards } from '../placement/placement.js';
import { StrataError, isStrataError } from '../platform/errors.js';
import type { ChunkWriter } from '../ports/chunk-store.js';
import type { ErasureScheme, ResolvedObjectServiceOptions } from './object-service-options.js';
import { readBodyHead } from './body-head.js';
import { BodyMeter, COMPRESSION_SAMPLE_BYTES, gzipBoundBytes, gzipPieces, worthCompressing } from './data-compression.js';
import { randomHexId } from './random-id.js';
import type { StripeBufferPool } from './stripe-buffer-pool.js';
import { StripeSource } from './stripe-source.js';
import type { TransferSlots } from './transfer-slots.js';
import { withTimeout } from './with-timeout.js';

export interface WriteDataInput {
  body: AsyncIterable<Uint8Array>;
  /** Declared length: checked against the body; lets a big write fail placement before reading it. */
  sizeBytes?: number;
  /** Base64 MD5 from Content-MD5. */
  contentMd5?: string;
}

export interface WrittenData {
  layout: DataLayout;
  sizeBytes: number;
  md5: Buffer;
  /** The chunks written (empty when inline): deleted again if the manifest is refused. */
  chunks: { nodeId: number; chunkId: string }[];
}

type Options = Pick<
  ResolvedObjectServiceOptions,
  | 'chunkStores'
  | 'placementView'
  | 'clock'
  | 'random'
  | 'logger'
  | 'stripeDataBytes'
  | 'inlineThresholdBytes'
  | 'erasure'
  | 'writeTimeoutMs'
  | 'placementWaitMs'
  | 'createCodec'
  | 'compression'
> & {
  /** [data] max_concurrent_transfers: an erasure-coded write waits for a slot; absent = no limit. */
  transfers?: TransferSlots;
  /** Recycled stripe and parity buffers; absent = fresh ones for every stripe. */
  stripeBuffers?: StripeBufferPool;
};

/** The uncompressed body as seen by the writer: ETag and size are of these bytes. */
interface PlainBody {
  readonly sizeBytes: number;
  digest(): Buffer;
}

/**
 * Streams one body into durable storage, stripe by stripe: inline when it is small, else k data + m
 * parity chunks on k+m distinct nodes. Resolves only once every chunk is committed; on any failure
 * (store error, capacity, timeout, body error, digest or length mismatch) every chunk is aborted and
 * the error is rethrown, so no manifest can point at partial data.
 */
export async function writeData(options: Options, input: WriteDataInput): Promise<WrittenData> {
  let body = input.body;
  const big = input.sizeBytes !== undefined && input.sizeBytes > options.inlineThresholdBytes;
  if (!big) {
    // Read up to threshold+1 bytes to learn whether the body fits inline.
    const head = await readBodyHead(input.body, options.inlineThresholdBytes);
    if (head.ended) {
      const data = Buffer.concat(head.pieces, head.bytes);
      const md5 = createHash('md5').update(data).digest();
      checkBody(data.byteLength, md5, input);
      return { layout: { kind: 'inline', data }, sizeBytes: data.byteLength, md5, chunks: [] };
    }
    body = head.replay();
  }
  // Only erasure-coded writes hold stripes and blocks in flight, so only they wait for a transfer slot.
  const release = await options.transfers?.acquire();
  try {
    return await writeChunked(options, input, body);
  } finally {
    release?.();
  }
}

async function writeChunked(options: Options, input: WriteDataInput, body: AsyncIterable<Uint8Array>): Promise<WrittenData> {
  // The placement is made before the rest of the body is read: Unavailable costs the client nothing.
  const patience = new PlacementPatience(options);
  const plan = await patience.plan(input.sizeBytes);
  let compress = false;
  if (options.compression === 'gzip') {
    const sample = await readBodyHead(body, COMPRESSION_SAMPLE_BYTES);
    body = sample.replay();
    compress = await worthCompressing(Buffer.concat(sample.pieces, sample.bytes));
  }
  if (compress) {
    // Compress before erasure coding: the stripes hold the gzip stream, MD5 and size are of the plain bytes.
    const meter = new BodyMeter(body);
    const source = new StripeSource(gzipPieces(meter.pieces()), options.stripeDataBytes, false, options.stripeBuffers);
    return writeErasure(options, patience, plan, source, meter, input);
  }
  const source = new StripeSource(body, options.stripeDataBytes, true, options.stripeBuffers);
  return writeErasure(options, patience, plan, source, source, input);
}

interface ChunkPlan {
  scheme: ErasureScheme;
  versionId: string;
  shardBytes: number;
  expectedChunkBytes: number;
  nodeIds: number[];
}

/**
 * Waits, within `placementWaitMs` from the first try, for the k+m nodes a write needs: a placement that
 * finds too few nodes online, or a chunk create refused as Unavailable (retryable), is tried again after a
 * short pause. A node restarting one at a time (a rolling restart) is then a slower PUT, not a 503; a node
 * that stays down still ends in the same retryable 503, later. Nothing is written meanwhile.
 */
class PlacementPatience {
  private readonly deadlineMs: number;
  private pauseMs = 100;

  constructor(private readonly options: Options) {
    this.deadlineMs = options.clock.nowMs() + options.placementWaitMs;
  }

  async plan(sizeBytes: number | undefined): Promise<ChunkPlan> {
    for (;;) {
      try {
        return await planChunks(this.options, sizeBytes);
      } catch (err) {
        await this.pause(err);
      }
    }
  }

  /** After a refused create: pause (or rethrow `err`), then a fresh placement. */
  async retry(err: unknown, sizeBytes: number | undefined): Promise<ChunkPlan> {
    await this.pause(err);
    return this.plan(sizeBytes);
  }

  private async pause(err: unknown): Promise<void> {
    const waitable = isStrataError(err, 'Unavailable') && err.retryable;
    if (!waitable || this.options.clock.nowMs() + this.pauseMs > this.deadlineMs) throw err;
    this.options.logger.debug({ err, pauseMs: this.pauseMs }, 'too few nodes reachable for a write; waiting for them');
    await new Promise<void>((resolve) => this.options.clock.setTimeout(resolve, this.pauseMs));
    this.pauseMs = Math.min(1_000, this.pauseMs * 2);
  }
}

async function planChunks(options: Options, sizeBytes: number | undefined): Promise<ChunkPlan> {
  const view = await options.placementView();
  const scheme = options.erasure === 'auto' ? defaultErasureScheme(Math.max(1, view.filter((n) => n.state === 'active').length)) : options.erasure;
  const shardBytes = shardSizeBytes(options.stripeDataBytes, scheme.dataShards);
  // Compressed data may come out a little bigger than it went in (stored blocks): reserve for the worst case.
  const storedBytes = sizeBytes !== undefined && options.compression === 'gzip' ? gzipBoundBytes(sizeBytes) : sizeBytes;
  const expectedChunkBytes = storedBytes === undefined ? shardBytes : Math.max(1, Math.ceil(storedBytes / options.stripeDataBytes)) * shardBytes;
  const versionId = randomHexId(options.random);
  // Throws Unavailable (retryable) when fewer than k+m nodes are eligible: nothing has been written.
  const nodeIds = placeShards({ nodes: view, shardCount: scheme.dataShards + scheme.parityShards, seed: versionId, shardBytes: expectedChunkBytes });
  return { scheme, versionId, shardBytes, expectedChunkBytes, nodeIds };
}

async function writeErasure(
  options: Options,
  patience: PlacementPatience,
  firstPlan: ChunkPlan,
  source: StripeSource,
  plain: PlainBody,
  input: WriteDataInput,
): Promise<WrittenData> {
  const timed = <T>(promise: Promise<T>, what: string): Promise<T> => withTimeout(promise, options.writeTimeoutMs, options.clock, what);
  // No body byte is read before every chunk is created: a node that cannot be reached (restarting, or
  // down but not yet seen offline) costs a new placement, not the write.
  let plan = firstPlan;
  let chunks: { nodeId: number; chunkId: string }[];
  let writers: (ChunkWriter | undefined)[];
  for (;;) {
    const attempt = plan;
    chunks = attempt.nodeIds.map((nodeId, j) => ({ nodeId, chunkId: `${attempt.versionId}.${j}` }));
    const opened: (ChunkWriter | undefined)[] = new Array(chunks.length).fill(undefined);
    writers = opened;
    const created = await Promise.allSettled(
      chunks.map((c, j) =>
        timed(options.chunkStores.forNode(c.nodeId).create(c.chunkId, { blockSizeBytes: attempt.shardBytes, expectedBytes: attempt.expectedChunkBytes }), `creating chunk ${c.chunkId} on node ${c.nodeId}`).then((w) => {
          opened[j] = w;
        }),
      ),
    );
    const refused = created.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!refused) break;
    await discard(options, chunks, opened, false);
    plan = await patience.retry(refused.reason, input.sizeBytes);
  }

  const stripes = source.stripes();
  const { dataShards: k, parityShards: m } = plan.scheme;
  const codec = options.createCodec(plan.scheme);
  let committed = false;
  let commitStarted = false;
  try {

    let shortSeen = false;
    const writeStripe = async (stripe: Uint8Array): Promise<void> => {
      // Only the last stripe may be short; its shards shrink with it (ChunkStore allows a short last block).
      if (shortSeen) throw new Error('a stripe followed a short stripe');
      const full = stripe.byteLength === options.stripeDataBytes;
      shortSeen = !full;
      const shardBytes = full ? plan.shardBytes : shardSizeBytes(stripe.byteLength, k);
      // Every byte is computed by encode.
      const parityRegion = options.stripeBuffers?.take(m * shardBytes) ?? allocateUninitialized(m * shardBytes);
      const shards = [...splitStripe(stripe, k, shardBytes)];
      for (let p = 0; p < m; p++) shards.push(parityRegion.subarray(p * shardBytes, (p + 1) * shardBytes));
      await codec.encode(shards);
      await Promise.all(shards.map((shard, j) => timed(writers[j]!.append(shard), `appending to chunk ${chunks[j].chunkId}`)));
      // Every writer is done with the shards (ChunkWriter.append); after a failure one may not be.
      options.stripeBuffers?.release(stripe);
      options.stripeBuffers?.release(parityRegion);
    };

    // One stripe in flight while the next is read from the body: at most two stripes held.
    let pending: Promise<void> | undefined;
    const submit = async (stripe: Uint8Array): Promise<void> => {
      if (pending) await pending;
      const next = writeStripe(stripe);
      next.catch(() => {}); // observed when awaited; never an unhandled rejection meanwhile
      pending = next;
    };
    for await (const stripe of { [Symbol.asyncIterator]: () => stripes }) await submit(stripe);
    if (pending) await pending;
    checkBody(plain.sizeBytes, plain.digest(), input);
    commitStarted = true;
    await Promise.all(writers.map((w, j) => timed(w!.commit(), `committing chunk ${chunks[j].chunkId}`)));
    committed = true;
  } finally {
    if (!committed) await discard(options, chunks, writers, commitStarted);
  }
  const layout: ErasureLayout = {
    kind: 'erasure',
    codecId: codec.id,
    dataShards: k,
    parityShards: m,
    stripeDataBytes: options.stripeDataBytes,
    shardBytes: plan.shardBytes,
    chunks,
  };
  if (plain !== source) layout.compression = { codec: 'gzip', storedBytes: source.sizeBytes };
  return { layout, sizeBytes: plain.sizeBytes, md5: plain.digest(), chunks };
}

/**
 * Abort every writer, and once commits were under way delete the chunks some may have committed. Best
 * effort: the GC is the backstop for whatever a down node kept.
 */
async function discard(options: Options, chunks: { nodeId: number; chunkId: string }[], writers: (ChunkWriter | undefined)[], deleteCommitted: boolean): Promise<void> {
  await Promise.allSettled(
    chunks.map(async (c, j) => {
      try {
        const timed = <T>(promise: Promise<T>): Promise<T> => withTimeout(promise, options.writeTimeoutMs, options.clock, `discarding chunk ${c.chunkId}`);
        if (writers[j]) await timed(writers[j].abort());
        if (deleteCommitted) await timed(options.chunkStores.forNode(c.nodeId).delete(c.chunkId));
      } catch (error) {
        options.logger.warn({ err: error, chunkId: c.chunkId, nodeId: c.nodeId }, 'could not discard a chunk of a failed write; the GC will');
      }
    }),
  );
}

function checkBody(sizeBytes: number, md5: Buffer, input: WriteDataInput): void {
  if (input.sizeBytes !== undefined && sizeBytes !== input.sizeBytes) {
    throw new StrataError('InvalidArgument', `the body has ${sizeBytes} bytes, ${input.sizeBytes} were declared`, { details: { reason: 'IncompleteBody' } });
  }
  if (input.contentMd5 !== undefined && md5.toString('base64') !== input.contentMd5) {
    throw new StrataError('Conflict', 'the body does not match Content-MD5', { details: { reason: 'BadDigest' } });
  }
}
