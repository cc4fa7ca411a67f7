import { mkdtemp, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StrataError } from '../../platform/errors.js';
import type { MetricsSink } from '../../platform/metrics.js';
import type { ChunkStore } from '../../ports/chunk-store.js';
import { blockOffset, chunkFileBytes, CRC_BYTES, HEADER_BYTES } from './chunk-file-format.js';
import { chunkPath } from './chunk-paths.js';
import { FsChunkStore, type FsChunkStoreOptions } from './fs-chunk-store.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-chunks-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Deterministic block content: every chunk and block differ. */
function block(seed: number, index: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761 + index * 40503 + 1) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function sizes(blockSize: number, dataBytes: number): number[] {
  const out: number[] = [];
  for (let left = dataBytes; left > 0; left -= blockSize) out.push(Math.min(blockSize, left));
  return out;
}

async function put(store: ChunkStore, chunkId: string, seed: number, blockSize: number, dataBytes: number): Promise<void> {
  const writer = await store.create(chunkId, { blockSizeBytes: blockSize, expectedBytes: dataBytes });
  for (const [i, size] of sizes(blockSize, dataBytes).entries()) await writer.append(block(seed, i, size));
  await writer.commit();
}

async function collect(blocks: AsyncIterable<Uint8Array>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const b of blocks) out.push(Buffer.from(b));
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

function open_(options: Partial<FsChunkStoreOptions> = {}): Promise<FsChunkStore> {
  return FsChunkStore.open({ dir, syncWrites: false, ...options });
}

function recordingGauges(): MetricsSink & { values: Map<string, number> } {
  const values = new Map<string, number>();
  const noop = { inc() {}, observe() {} };
  return {
    values,
    gauge: (name) => ({ set: (value) => void values.set(name, value) }),
    counter: () => noop,
    histogram: () => noop,
  };
}

describe('FsChunkStore', () => {
  it('round-trips many blocks with a short last block', async () => {
    const store = await open_({ syncWrites: true });
    await put(store, 'obj1.0', 1, 1000, 36_123);
    const read = await collect(store.readBlocks('obj1.0', 0, 37));
    expect(read.map((b) => b.byteLength)).toEqual(sizes(1000, 36_123));
    read.forEach((b, i) => expect(b.equals(block(1, i, b.byteLength))).toBe(true));
    const info = await store.stat('obj1.0');
    const onDisk = (await stat(chunkPath(dir, 'obj1.0'))).size;
    expect(info).toMatchObject({ chunkId: 'obj1.0', blockSizeBytes: 1000, blockCount: 37, storedBytes: onDisk });
    expect(onDisk).toBe(chunkFileBytes({ blockSizeBytes: 1000, blockCount: 37, lastBlockBytes: 123, createdMs: 0 }));
    expect(info?.createdMs).toBeGreaterThan(Date.now() - 60_000);
  });

  it('reads only the blocks asked for, and refuses ranges past the end', async () => {
    const store = await open_();
    await put(store, 'part', 2, 4096, 4096 * 9 + 17);
    const middle = await collect(store.readBlocks('part', 3, 4));
    expect(middle.map((b, i) => b.equals(block(2, 3 + i, 4096)))).toEqual([true, true, true, true]);
    const last = await collect(store.readBlocks('part', 9, 1));
    expect(last[0]?.equals(block(2, 9, 17))).toBe(true);
    expect(await collect(store.readBlocks('part', 10, 0))).toEqual([]);
    expect((await rejection(collect(store.readBlocks('part', 8, 3)))).code).toBe('InvalidArgument');
    expect((await rejection(collect(store.readBlocks('missing', 0, 1)))).code).toBe('NotFound');
  });

  it('a block in a damaged stretch is not read when only earlier blocks are asked for', async () => {
    const store = await open_();
    await put(store, 'tail', 3, 512, 512 * 4);
    const file = chunkPath(dir, 'tail');
    const handle = await open(file, 'r+');
    await handle.write(Buffer.from([0xff, 0xff]), 0, 2, blockOffset(512, 3) + 10);
    await handle.close();
    expect((await collect(store.readBlocks('tail', 0, 3))).length).toBe(3);
    const err = await rejection(collect(store.readBlocks('tail', 0, 4)));
    expect(err.code).toBe('Corruption');
    expect(err.details).toEqual({ chunkId: 'tail', block: 3 });
    expect(err.message).toContain(file);
  });

  it('detects a flipped bit anywhere in any block or its checksum', async () => {
    const store = await open_();
    const blockSize = 256;
    const dataBytes = blockSize * 5 + 100;
    await put(store, 'bits', 4, blockSize, dataBytes);
    const file = chunkPath(dir, 'bits');
    const fileBytes = (await stat(file)).size;
    const handle = await open(file, 'r+');
    try {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: HEADER_BYTES, max: fileBytes - 1 }), fc.integer({ min: 0, max: 7 }), async (pos, bit) => {
          const one = Buffer.alloc(1);
          await handle.read(one, 0, 1, pos);
          await handle.write(Buffer.from([one[0]! ^ (1 << bit)]), 0, 1, pos);
          try {
            const expectedBlock = Math.floor((pos - HEADER_BYTES) / (blockSize + CRC_BYTES));
            const err = await rejection(collect(store.readBlocks('bits', 0, 6)));
            expect(err.code).toBe('Corruption');
            expect(err.details).toEqual({ chunkId: 'bits', block: expectedBlock });
          } finally {
            await handle.write(one, 0, 1, pos);
          }
        }),
        { numRuns: 60 },
      );
    } finally {
      await handle.close();
    }
    expect((await collect(store.readBlocks('bits', 0, 6))).length).toBe(6);
  });

  it("reads into the caller's buffers, one block each after the headroom, checked the same", async () => {
    const store = await open_();
    await put(store, 'lent', 5, 1000, 4321);
    const taken: Buffer[] = [];
    const buffers = { headroom: 18, take: (bytes: number) => taken[taken.push(Buffer.alloc(18 + bytes + 7, 0xaa)) - 1] };
    const read: Uint8Array[] = [];
    for await (const b of store.readBlocks('lent', 1, 4, { buffers })) read.push(b);
    expect(read.map((b) => b.byteLength)).toEqual([1000, 1000, 1000, 321]);
    read.forEach((b, i) => {
      expect(Buffer.from(b).equals(block(5, 1 + i, b.byteLength))).toBe(true);
      expect(b.buffer).toBe(taken[i].buffer);
      expect(b.byteOffset - taken[i].byteOffset).toBe(18);
    });
    expect(taken[0].subarray(0, 18).equals(Buffer.alloc(18, 0xaa))).toBe(true);

    const file = chunkPath(dir, 'lent');
    const handle = await open(file, 'r+');
    await handle.write(Buffer.from([0x01]), 0, 1, blockOffset(1000, 2) + 999);
    await handle.close();
    const err = await rejection(collect(store.readBlocks('lent', 0, 5, { buffers })));
    expect(err.details).toEqual({ chunkId: 'lent', block: 2 });
  });

  it('detects a damaged header and a truncated file', async () => {
    const store = await open_();
    await put(store, 'hdr', 5, 100, 1000);
    const file = chunkPath(dir, 'hdr');
    const handle = await open(file, 'r+');
    await handle.truncate(blockOffset(100, 9) + 50);
    let err = await rejection(collect(store.readBlocks('hdr', 0, 10)));
    expect(err.details).toEqual({ chunkId: 'hdr', block: 9 });
    await handle.write(Buffer.from([0]), 0, 1, 12);
    await handle.close();
    err = await rejection(store.stat('hdr'));
    expect(err.code).toBe('Corruption');
    expect(err.message).toContain('header checksum');
  });

  it('lists a chunk file whose header is damaged, from its size and time, so it can be deleted', async () => {
    const store = await open_();
    await put(store, 'fine', 1, 100, 250);
    await put(store, 'rotten', 2, 100, 250);
    const file = chunkPath(dir, 'rotten');
    const handle = await open(file, 'r+');
    await handle.write(Buffer.from([0xff]), 0, 1, 3);
    await handle.close();
    await store.close();

    const listed = new Map<string, Awaited<ReturnType<typeof stat>> | object>();
    for await (const info of store.list()) listed.set(info.chunkId, info);
    expect(listed.get('fine')).toMatchObject({ blockCount: 3 });
    expect(listed.get('fine')).not.toHaveProperty('damaged');
    const { size, mtimeMs } = await stat(file);
    expect(listed.get('rotten')).toMatchObject({ chunkId: 'rotten', blockCount: 0, storedBytes: size, createdMs: Math.floor(mtimeMs), damaged: expect.stringContaining('rotten.chunk: bad magic') });
    expect((await rejection(collect(store.readBlocks('rotten', 0, 0)))).code).toBe('Corruption');
    await store.delete('rotten');
    expect([...(await readdir(dirname(file)))]).not.toContain('rotten.chunk');
  });

  it('abort leaves nothing behind, and is idempotent', async () => {
    const store = await open_();
    const writer = await store.create('gone', { blockSizeBytes: 64, expectedBytes: 640 });
    await writer.append(block(6, 0, 64));
    await writer.append(block(6, 1, 64));
    await writer.abort();
    await writer.abort();
    expect((await rejection(writer.append(block(6, 2, 64)))).code).toBe('Conflict');
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    expect(await store.stat('gone')).toBeUndefined();
    expect(await collect2(store.list())).toEqual([]);
    expect((await store.usage()).usedBytes).toBe(0);
    // The id is free again.
    await put(store, 'gone', 6, 64, 100);
    expect((await store.stat('gone'))?.blockCount).toBe(2);
  });

  it('a crash mid-write leaves only a temp file, removed at the next open', async () => {
    const store = await open_();
    const writer = await store.create('crashed', { blockSizeBytes: 64, expectedBytes: 128 });
    await writer.append(block(7, 0, 64));
    await writeFile(join(dir, 'tmp', 'other.9.tmp'), 'junk');
    expect((await readdir(join(dir, 'tmp'))).length).toBe(2);
    const reopened = await open_();
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
    expect(await reopened.stat('crashed')).toBeUndefined();
    expect((await reopened.usage()).usedBytes).toBe(0);
    await writer.abort(); // only closes the crashed writer's file descriptor
    expect(await reopened.stat('crashed')).toBeUndefined();
  });

  it('refuses a chunk that would eat into the reserve, naming the figures', async () => {
    const MiB = 1024 * 1024;
    let freeBytes = 10 * MiB;
    const store = await open_({ reserveBytes: 8 * MiB, diskSpace: async () => ({ totalBytes: 100 * MiB, freeBytes }) });
    expect((await store.usage()).availableBytes).toBe(2 * MiB);
    const err = await rejection(store.create('big', { blockSizeBytes: MiB, expectedBytes: 3 * MiB }));
    expect(err.code).toBe('CapacityExceeded');
    expect(err.message).toMatch(/needs 3145\d+ bytes but only 2097152 are available .*10485760 free, 8388608 kept in reserve/);
    // An open writer's promise counts until it is written.
    const writer = await store.create('small', { blockSizeBytes: MiB, expectedBytes: MiB });
    expect((await store.usage()).availableBytes).toBeLessThan(MiB + 1);
    expect((await rejection(store.create('second', { blockSizeBytes: MiB, expectedBytes: MiB + 1 }))).code).toBe('CapacityExceeded');
    await writer.abort();
    freeBytes = 7 * MiB;
    expect((await store.usage()).availableBytes).toBe(0);
  });

  it('default reserve: 5% of the file system, at most 1 GiB', async () => {
    const small = await open_({ diskSpace: async () => ({ totalBytes: 1000 * 1024 * 1024, freeBytes: 500 * 1024 * 1024 }) });
    expect(small.reserveBytes).toBe(50 * 1024 * 1024);
    const large = await open_({ diskSpace: async () => ({ totalBytes: 10 * 1024 ** 4, freeBytes: 1024 ** 4 }) });
    expect(large.reserveBytes).toBe(1024 ** 3);
  });

  it('lists, stats and deletes, and tracks usage across reopen', async () => {
    const metrics = recordingGauges();
    const store = await open_({ metrics });
    const ids = ['a.0', 'a.1', 'b.0', 'c-9', 'd_2'];
    for (const [i, id] of ids.entries()) await put(store, id, 10 + i, 128, 1000 + i);
    const listed = await collect2(store.list());
    expect(listed.map((c) => c.chunkId).sort()).toEqual([...ids].sort());
    const used = listed.reduce((sum, c) => sum + c.storedBytes, 0);
    expect((await store.usage()).usedBytes).toBe(used);
    expect(metrics.values.get('strata_chunk_storage_bytes')).toBe(used);
    expect(metrics.values.get('strata_chunk_storage_available_bytes')).toBeGreaterThan(0);
    const gone = listed.find((c) => c.chunkId === 'b.0')!;
    await store.delete('b.0');
    await store.delete('b.0');
    await store.delete('never-was');
    expect(await store.stat('b.0')).toBeUndefined();
    expect((await store.usage()).usedBytes).toBe(used - gone.storedBytes);
    expect(metrics.values.get('strata_chunk_storage_bytes')).toBe(used - gone.storedBytes);
    const reopened = await open_();
    expect((await reopened.usage()).usedBytes).toBe(used - gone.storedBytes);
    expect((await collect2(reopened.list())).length).toBe(4);
  });

  it('runs concurrent writers, including appends that do not wait for each other', async () => {
    const store = await open_();
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        const writer = await store.create(`w${w}`, { blockSizeBytes: 333, expectedBytes: 333 * 20 });
        await Promise.all(Array.from({ length: 20 }, (_, i) => writer.append(block(100 + w, i, 333))));
        await writer.commit();
      }),
    );
    for (let w = 0; w < 8; w++) {
      const read = await collect(store.readBlocks(`w${w}`, 0, 20));
      expect(read.every((b, i) => b.equals(block(100 + w, i, 333)))).toBe(true);
    }
  });

  it('refuses bad ids, bad blocks, duplicates and a second commit', async () => {
    const store = await open_();
    for (const bad of ['', '../x', 'a/b', '.hidden', 'x'.repeat(201)]) {
      expect((await rejection(store.create(bad, { blockSizeBytes: 8, expectedBytes: 8 }))).code).toBe('InvalidArgument');
    }
    expect((await rejection(store.create('z', { blockSizeBytes: 0, expectedBytes: 8 }))).code).toBe('InvalidArgument');
    const writer = await store.create('dup', { blockSizeBytes: 8, expectedBytes: 16 });
    expect((await rejection(store.create('dup', { blockSizeBytes: 8, expectedBytes: 16 }))).code).toBe('AlreadyExists');
    expect((await rejection(writer.append(Buffer.alloc(9)))).code).toBe('InvalidArgument');
    await writer.append(Buffer.alloc(5));
    expect((await rejection(writer.append(Buffer.alloc(8)))).code).toBe('InvalidArgument');
    await writer.commit();
    expect((await rejection(writer.commit())).code).toBe('Conflict');
    await writer.abort(); // after commit: nothing to drop
    expect((await store.stat('dup'))?.blockCount).toBe(1);
    expect((await rejection(store.create('dup', { blockSizeBytes: 8, expectedBytes: 16 }))).code).toBe('AlreadyExists');
  });

  it('commits an empty chunk', async () => {
    const store = await open_();
    const writer = await store.create('empty', { blockSizeBytes: 8, expectedBytes: 0 });
    await writer.commit();
    expect(await store.stat('empty')).toMatchObject({ blockCount: 0, storedBytes: HEADER_BYTES });
    expect(await collect(store.readBlocks('empty', 0, 0))).toEqual([]);
  });
});

async function collect2<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
