import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BusyTimeMeter } from '../../platform/busy-time-meter.js';
import { StrataError } from '../../platform/errors.js';
import { SystemClock } from '../../platform/real/system-clock.js';
import type { ChunkStore, ChunkWriter } from '../../ports/chunk-store.js';
import { blockOffset } from '../../storage/fs/chunk-file-format.js';
import { chunkPath } from '../../storage/fs/chunk-paths.js';
import { FsChunkStore, type FsChunkStoreOptions } from '../../storage/fs/fs-chunk-store.js';
import { BlockBufferPool } from './block-buffer-pool.js';
import { ChunkServiceServer } from './chunk-service-server.js';
import { GrpcChunkStoreDirectory } from './grpc-chunk-store-directory.js';
import { GrpcTransport } from './grpc-transport.js';
import { RemoteChunkStore } from './remote-chunk-store.js';
import { RecordingHandler } from './test-harness.js';

// A real GC between samples, so RSS shows live memory rather than garbage not yet collected.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Node {
  id: number;
  transport: GrpcTransport;
  store: FsChunkStore;
  dir: string;
}

/** A node: an FsChunkStore in a temp dir served by a started GrpcTransport on 127.0.0.1. */
async function startNode(
  id: number,
  options: {
    store?: Partial<FsChunkStoreOptions>;
    wrap?: (s: ChunkStore) => ChunkStore;
    clusterId?: string;
    busyTime?: BusyTimeMeter;
    blockBuffers?: BlockBufferPool;
  } = {},
): Promise<Node> {
  const dir = await mkdtemp(join(tmpdir(), `strata-remote-${id}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const store = await FsChunkStore.open({ dir, syncWrites: false, ...options.store });
  const served = options.wrap?.(store) ?? store;
  const clusterId = options.clusterId ?? 'c1';
  const transport = new GrpcTransport({
    nodeId: id,
    listenAddress: '127.0.0.1:0',
    clusterId,
    services: [new ChunkServiceServer({ store: served, nodeId: id, clusterId: () => clusterId, busyTime: options.busyTime, blockBuffers: options.blockBuffers })],
  });
  await transport.start(new RecordingHandler());
  cleanups.push(() => transport.stop());
  return { id, transport, store, dir };
}

function remoteTo(node: Node, clusterId = 'c1', options: { maxInFlightBlocks?: number; blockBuffers?: BlockBufferPool } = {}): RemoteChunkStore {
  const remote = new RemoteChunkStore({ address: node.transport.address, selfId: 99, clusterId: () => clusterId, ...options });
  cleanups.push(() => remote.close());
  return remote;
}

function block(seed: number, index: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  out.fill((seed * 31 + index) & 0xff);
  out.writeUInt32LE(index, 0);
  out.writeUInt32LE(seed, size - 4);
  return out;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<StrataError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(StrataError);
    return err as StrataError;
  }
  throw new Error('expected a rejection');
}

async function putBlocks(store: ChunkStore, chunkId: string, seed: number, blockSize: number, sizes: number[]): Promise<void> {
  const writer = await store.create(chunkId, { blockSizeBytes: blockSize, expectedBytes: sizes.reduce((a, b) => a + b, 0) });
  for (const [i, size] of sizes.entries()) await writer.append(block(seed, i, size));
  await writer.commit();
}

describe('RemoteChunkStore over the cluster port', () => {
  it('puts, reads, stats, lists, deletes and reports usage on a peer', async () => {
    const b = await startNode(2);
    const remote = remoteTo(b);
    await putBlocks(remote, 'obj.0', 1, 1024, [1024, 1024, 1024, 300]);
    await putBlocks(remote, 'obj.1', 2, 1024, [1024, 10]);
    const read = await collect(remote.readBlocks('obj.0', 0, 4));
    expect(read.map((d, i) => Buffer.from(d).equals(block(1, i, i === 3 ? 300 : 1024)))).toEqual([true, true, true, true]);
    expect(Buffer.from((await collect(remote.readBlocks('obj.0', 2, 1)))[0]!).equals(block(1, 2, 1024))).toBe(true);
    const info = await remote.stat('obj.0');
    expect(info).toEqual(await b.store.stat('obj.0'));
    expect(info).toMatchObject({ chunkId: 'obj.0', blockSizeBytes: 1024, blockCount: 4 });
    expect(await remote.stat('nope')).toBeUndefined();
    expect((await collect(remote.list())).map((c) => c.chunkId).sort()).toEqual(['obj.0', 'obj.1']);
    // Free space is the real disk's and moves with everything else on the machine: compare loosely.
    const [remoteUsage, localUsage] = [await remote.usage(), await b.store.usage()];
    expect(remoteUsage.usedBytes).toBe(localUsage.usedBytes);
    expect(Math.abs(remoteUsage.availableBytes - localUsage.availableBytes)).toBeLessThan(256 * 1024 * 1024);
    await remote.delete('obj.0');
    await remote.delete('obj.0');
    expect(await b.store.stat('obj.0')).toBeUndefined();
    expect((await remote.usage()).usedBytes).toBe((await b.store.stat('obj.1'))!.storedBytes);
    expect((await rejection(collect(remote.readBlocks('obj.0', 0, 1)))).code).toBe('NotFound');
    expect((await rejection(collect(remote.readBlocks('obj.1', 1, 5)))).code).toBe('InvalidArgument');
  });

  it('sends blocks from recycled buffers both ways, and they arrive intact', async () => {
    const served = new BlockBufferPool();
    const uploaded = new BlockBufferPool();
    const b = await startNode(2, { blockBuffers: served });
    const remote = remoteTo(b, 'c1', { blockBuffers: uploaded });
    const sizes = [65536, 65536, 65536, 1000];
    await putBlocks(remote, 'pooled.0', 7, 65536, sizes);
    expect(uploaded.size).toBeGreaterThan(0);
    expect((await collect(b.store.readBlocks('pooled.0', 0, 4))).map((d, i) => Buffer.from(d).equals(block(7, i, sizes[i])))).toEqual([true, true, true, true]);
    for (let round = 0; round < 2; round++) {
      const read = await collect(remote.readBlocks('pooled.0', 0, 4));
      expect(read.map((d, i) => Buffer.from(d).equals(block(7, i, sizes[i])))).toEqual([true, true, true, true]);
      // The last write's callback may come just after the reader saw the stream end.
      await vi.waitFor(() => expect(served.size).toBeGreaterThan(0), { timeout: 2000 });
    }
  });

  it("reports the node's S3 gateway busy time with its usage (0 when it is not told of one)", async () => {
    const meter = new BusyTimeMeter(new SystemClock());
    const remote = remoteTo(await startNode(2, { busyTime: meter }));
    expect((await remote.usage()).foregroundBusyMs).toBe(0);
    const request = meter.begin();
    await new Promise((resolve) => setTimeout(resolve, 60));
    request();
    const busy = (await remote.usage()).foregroundBusyMs!;
    expect(busy).toBeGreaterThanOrEqual(50);
    expect(busy).toBeLessThan(5_000);
    expect((await remote.usage()).foregroundBusyMs).toBe(busy); // idle since: the counter stands still
    expect((await remoteTo(await startNode(3)).usage()).foregroundBusyMs).toBe(0);
  });

  it('lists many chunks in batches', async () => {
    const b = await startNode(2);
    for (let i = 0; i < 300; i++) await putBlocks(b.store, `c${i}`, i, 16, [16]);
    const remote = remoteTo(b);
    const listed = await collect(remote.list());
    expect(new Set(listed.map((c) => c.chunkId)).size).toBe(300);
  });

  it('streams a 64 MiB chunk both ways in 512 KiB blocks with bounded memory', async () => {
    const b = await startNode(2, { store: { syncWrites: true } });
    const remote = remoteTo(b);
    const blockSize = 512 * 1024;
    const blocks = 128;
    // Warm up (first channel, allocator arenas), so the figure below is what one chunk costs.
    await putBlocks(remote, 'warm.0', 1, blockSize, Array.from({ length: 16 }, () => blockSize));
    await collect(remote.readBlocks('warm.0', 0, 16));
    gc();
    const rssBefore = process.memoryUsage().rss;
    const buffersBefore = process.memoryUsage().arrayBuffers;
    let rssPeak = rssBefore;
    let buffersPeak = buffersBefore;
    let samples = 0;
    const sample = (): void => {
      if (++samples % 4 === 0) gc();
      const now = process.memoryUsage();
      rssPeak = Math.max(rssPeak, now.rss);
      buffersPeak = Math.max(buffersPeak, now.arrayBuffers);
    };
    let started = performance.now();
    const writer = await remote.create('big.0', { blockSizeBytes: blockSize, expectedBytes: blockSize * blocks });
    for (let i = 0; i < blocks; i++) {
      await writer.append(block(7, i, blockSize)); // a fresh buffer each time, as a real stripe would be
      sample();
    }
    await writer.commit();
    const writeMBs = (blockSize * blocks) / 2 ** 20 / ((performance.now() - started) / 1000);
    started = performance.now();
    let index = 0;
    for await (const data of remote.readBlocks('big.0', 0, blocks)) {
      expect(data.byteLength).toBe(blockSize);
      expect(Buffer.from(data.buffer, data.byteOffset, 4).readUInt32LE(0)).toBe(index);
      index++;
      sample();
    }
    const readMBs = (blockSize * blocks) / 2 ** 20 / ((performance.now() - started) / 1000);
    expect(index).toBe(blocks);
    const growthMiB = (rssPeak - rssBefore) / 2 ** 20;
    const buffersMiB = (buffersPeak - buffersBefore) / 2 ** 20;
    console.log(JSON.stringify({ bench: 'remote-chunk', writeMBs: Math.round(writeMBs), readMBs: Math.round(readMBs), rssGrowthMiB: Math.round(growthMiB), buffersMiB: Math.round(buffersMiB) }));
    // Live buffers: a few windows of blocks, never the chunk; RSS (allocator included) well under 64 MiB.
    expect(buffersMiB).toBeLessThan(32);
    expect(growthMiB).toBeLessThan(32);
    expect((await b.store.stat('big.0'))?.blockCount).toBe(blocks);
  });

  it('holds a writer back while the peer is slow, instead of queueing blocks', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let serverAppends = 0;
    const slow = (store: ChunkStore): ChunkStore => ({
      ...bind(store),
      async create(chunkId, options) {
        const writer = await store.create(chunkId, options);
        return {
          async append(data) {
            serverAppends++;
            await gate;
            await writer.append(data);
          },
          commit: () => writer.commit(),
          abort: () => writer.abort(),
        } satisfies ChunkWriter;
      },
    });
    const b = await startNode(2, { wrap: slow });
    const remote = remoteTo(b, 'c1', { maxInFlightBlocks: 2 });
    const blockSize = 256 * 1024;
    const writer = await remote.create('slow.0', { blockSizeBytes: blockSize, expectedBytes: blockSize * 100 });
    let clientAppends = 0;
    const writing = (async () => {
      for (let i = 0; i < 100; i++) {
        await writer.append(block(3, i, blockSize));
        clientAppends++;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 400));
    // The store holds one block; in flight: the client's window (2), the HTTP/2 windows (1 MiB each way)
    // and the server stream's buffer (grpc-js: 16 messages). Then the writer stalls.
    expect(serverAppends).toBe(1);
    const stalledAt = clientAppends;
    expect(stalledAt).toBeLessThan(30);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(clientAppends).toBe(stalledAt);
    release();
    await writing;
    await writer.commit();
    expect((await b.store.stat('slow.0'))?.blockCount).toBe(100);
  });

  it('reports corruption, capacity and argument errors with their codes', async () => {
    const MiB = 1024 * 1024;
    const b = await startNode(2, { store: { reserveBytes: MiB, diskSpace: async () => ({ totalBytes: 100 * MiB, freeBytes: 3 * MiB }) } });
    const remote = remoteTo(b);
    const capacity = await rejection(remote.create('huge', { blockSizeBytes: MiB, expectedBytes: 5 * MiB }));
    expect(capacity.code).toBe('CapacityExceeded');
    expect(capacity.retryable).toBe(true);
    expect(capacity.message).toContain('needs');
    expect(capacity.details).toMatchObject({ reserveBytes: MiB });
    expect((await rejection(remote.create('../evil', { blockSizeBytes: 8, expectedBytes: 8 }))).code).toBe('InvalidArgument');

    await putBlocks(remote, 'bad.0', 4, 4096, [4096, 4096, 4096]);
    const handle = await open(chunkPath(b.dir, 'bad.0'), 'r+');
    await handle.write(Buffer.from([0x5a]), 0, 1, blockOffset(4096, 1) + 100);
    await handle.close();
    const corrupt = await rejection(collect(remote.readBlocks('bad.0', 0, 3)));
    expect(corrupt.code).toBe('Corruption');
    expect(corrupt.details).toEqual({ chunkId: 'bad.0', block: 1 });
    expect(corrupt.message).toContain('bad.0');
    // Block 0 is fine and reads alone.
    expect((await collect(remote.readBlocks('bad.0', 0, 1))).length).toBe(1);
  });

  it('abort drops the upload on the peer; an early stop of a read is clean', async () => {
    const b = await startNode(2);
    const remote = remoteTo(b);
    const writer = await remote.create('dropped', { blockSizeBytes: 1024, expectedBytes: 4096 });
    await writer.append(block(1, 0, 1024));
    await writer.abort();
    await writer.abort();
    await waitForAsync('peer temp file removed', async () => (await readdir(join(b.dir, 'tmp'))).length === 0);
    expect(await remote.stat('dropped')).toBeUndefined();
    await putBlocks(remote, 'long', 5, 1024, Array.from({ length: 50 }, () => 1024));
    let seen = 0;
    for await (const _ of remote.readBlocks('long', 0, 50)) {
      if (++seen === 3) break;
    }
    expect(seen).toBe(3);
    expect((await collect(remote.readBlocks('long', 10, 5))).length).toBe(5);
  });

  it('a read left at its last block (as the object reader does) is whole; count 0 still asks the peer', async () => {
    const b = await startNode(2);
    const remote = remoteTo(b);
    await putBlocks(remote, 'ends', 6, 1024, Array.from({ length: 4 }, () => 1024));
    for (let round = 0; round < 20; round++) {
      const iterator = remote.readBlocks('ends', 1, 3)[Symbol.asyncIterator]();
      for (let i = 1; i <= 3; i++) {
        const next = await iterator.next();
        expect(Buffer.from(next.value as Uint8Array).equals(block(6, i, 1024))).toBe(true);
      }
      await iterator.return?.();
    }
    expect(await collect(remote.readBlocks('ends', 0, 0))).toEqual([]);
    expect((await rejection(collect(remote.readBlocks('missing', 0, 0)))).code).toBe('NotFound');
  });

  it('a peer killed mid-upload rejects the writer cleanly', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    cleanups.push(() => void process.off('unhandledRejection', onUnhandled));
    const b = await startNode(2);
    const remote = remoteTo(b);
    const blockSize = 64 * 1024;
    const writer = await remote.create('cut.0', { blockSizeBytes: blockSize, expectedBytes: blockSize * 1000 });
    for (let i = 0; i < 5; i++) await writer.append(block(9, i, blockSize));
    await b.transport.stop();
    let failure: unknown;
    try {
      for (let i = 5; i < 1000; i++) await writer.append(block(9, i, blockSize));
      await writer.commit();
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(StrataError);
    expect((failure as StrataError).code).toBe('Unavailable');
    await writer.abort();
    await waitForAsync('peer temp file removed', async () => (await readdir(join(b.dir, 'tmp'))).length === 0);
    expect(await b.store.stat('cut.0')).toBeUndefined();
    expect((await rejection(remote.stat('cut.0'))).code).toBe('Unavailable');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
  });

  it('refuses callers from another cluster', async () => {
    const b = await startNode(2);
    const stranger = remoteTo(b, 'other-cluster');
    const err = await rejection(stranger.stat('x'));
    expect(err.code).toBe('ClusterMismatch');
    expect(err.message).toContain('other-cluster');
    expect((await rejection(stranger.create('x', { blockSizeBytes: 8, expectedBytes: 8 }))).code).toBe('ClusterMismatch');
    expect((await rejection(collect(stranger.readBlocks('x', 0, 1)))).code).toBe('ClusterMismatch');
    expect((await rejection(collect(stranger.list()))).code).toBe('ClusterMismatch');
    expect(await b.store.stat('x')).toBeUndefined();
    // A node that has no cluster ID yet ('') is not refused.
    expect(await remoteTo(b, '').stat('x')).toBeUndefined();
  });
});

describe('GrpcChunkStoreDirectory', () => {
  it('gives the local store for this node and a cached remote one for others', async () => {
    const a = await startNode(1);
    const b = await startNode(2);
    const addresses = new Map<number, string>([[2, b.transport.address]]);
    const directory = new GrpcChunkStoreDirectory({ selfId: 1, local: a.store, addressOf: (id) => addresses.get(id), clusterId: () => 'c1' });
    cleanups.push(() => directory.close());
    expect(directory.forNode(1)).toBe(a.store);
    const toB = directory.forNode(2);
    expect(directory.forNode(2)).toBe(toB);
    await putBlocks(toB, 'via-dir', 1, 64, [64, 8]);
    expect((await b.store.stat('via-dir'))?.blockCount).toBe(2);
    expect(() => directory.forNode(3)).toThrow(expect.objectContaining({ code: 'Unavailable' }));
    // The peer moved: a new client on the new address.
    const c = await startNode(3);
    addresses.set(2, c.transport.address);
    const moved = directory.forNode(2);
    expect(moved).not.toBe(toB);
    await putBlocks(moved, 'moved', 1, 64, [64]);
    expect(await c.store.stat('moved')).toBeDefined();
  });
});

/** The methods of a store, bound (so a wrapper can spread them). */
function bind(store: ChunkStore): ChunkStore {
  return {
    create: store.create.bind(store),
    readBlocks: store.readBlocks.bind(store),
    stat: store.stat.bind(store),
    delete: store.delete.bind(store),
    list: store.list.bind(store),
    usage: store.usage.bind(store),
  };
}

async function waitForAsync(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
