import { mkdtemp, open, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../platform/logger.js';
import { AlignedBufferPool, DIRECT_ALIGN_BYTES, readDirect } from './direct-read.js';
import { FsChunkStore } from './fs-chunk-store.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-direct-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function bytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

/** O_DIRECT as /proc shows it for each open descriptor of `path` in this process (Linux). */
async function directFlags(path: string): Promise<boolean[]> {
  const out: boolean[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target !== path) continue;
    const info = await readFile(`/proc/self/fdinfo/${fd}`, 'utf8');
    const flags = parseInt(/flags:\s+(\d+)/.exec(info)![1], 8);
    out.push((flags & constants.O_DIRECT) !== 0);
  }
  return out;
}

function recordingLogger(lines: string[]): Logger {
  const logger: Logger = {
    trace() {},
    debug() {},
    info: (_o, msg) => void lines.push(`info ${msg ?? ''}`),
    warn: (_o, msg) => void lines.push(`warn ${msg ?? ''}`),
    error() {},
    child: () => logger,
  };
  return logger;
}

describe('AlignedBufferPool', () => {
  it('hands out buffers aligned for O_DIRECT, pooled and one-off', async () => {
    const pool = new AlignedBufferPool({ slotBytes: 10_000, slots: 2 });
    expect(pool.slotBytes % DIRECT_ALIGN_BYTES).toBe(0);
    const a = pool.acquire(100);
    const b = pool.acquire(100);
    const c = pool.acquire(100); // the pool is empty: a one-off buffer
    const big = pool.acquire(50_000);
    for (const x of [a, b, c, big]) expect(x.buf.byteOffset % DIRECT_ALIGN_BYTES).toBe(0);
    expect(big.buf.byteLength).toBeGreaterThanOrEqual(50_000);
    a.release();
    expect(pool.acquire(10).buf).toBe(a.buf);
  });
});

describe('readDirect', () => {
  it('reads any unaligned span through O_DIRECT, shorter at the end of the file', async () => {
    const file = join(dir, 'f');
    const data = bytes(3 * DIRECT_ALIGN_BYTES + 123, 1);
    await writeFile(file, data);
    let handle;
    try {
      handle = await open(file, constants.O_RDONLY | constants.O_DIRECT);
    } catch (err) {
      // tmpfs and a few others refuse the flag; the store falls back (tested below), nothing to read here.
      expect((err as NodeJS.ErrnoException).code).toBe('EINVAL');
      return;
    }
    const pool = new AlignedBufferPool({ slotBytes: 2 * DIRECT_ALIGN_BYTES, slots: 1 });
    try {
      for (const [position, length] of [[0, 48], [48, 1000], [4095, 2], [100, 3 * DIRECT_ALIGN_BYTES], [0, data.byteLength], [3 * DIRECT_ALIGN_BYTES, 500], [data.byteLength, 10]]) {
        const got = await readDirect(handle, pool, position, length);
        expect(got.equals(data.subarray(position, Math.min(data.byteLength, position + length))), `${position}+${length}`).toBe(true);
      }
    } finally {
      await handle.close();
    }
  });
});

describe('FsChunkStore with [storage] direct_io', () => {
  it('reads chunks through O_DIRECT handles when the file system allows, else says so and reads buffered', async () => {
    const lines: string[] = [];
    const store = await FsChunkStore.open({ dir, directIo: true, logger: recordingLogger(lines), syncWrites: false });
    const blocks = [bytes(5000, 1), bytes(5000, 2), bytes(777, 3)];
    const writer = await store.create('c1', { blockSizeBytes: 5000, expectedBytes: 10_777 });
    for (const b of blocks) await writer.append(b);
    await writer.commit();
    for (const [first, count] of [[0, 3], [1, 2], [2, 1], [1, 1]]) {
      const got: Buffer[] = [];
      for await (const b of store.readBlocks('c1', first, count)) got.push(Buffer.from(b));
      expect(got).toEqual(blocks.slice(first, first + count));
    }
    const directIoLines = lines.filter((l) => l.includes('direct_io'));
    expect(directIoLines).toHaveLength(1);
    const path = (await readdir(dir, { recursive: true })).find((p) => p.endsWith('c1.chunk'))!;
    const flags = await directFlags(join(dir, path));
    if (store.directIo) {
      expect(directIoLines[0]).toMatch(/^info .*O_DIRECT/);
      // The cached read handle is open with O_DIRECT.
      expect(flags).toContain(true);
    } else {
      expect(directIoLines[0]).toMatch(/^warn .*refuses O_DIRECT/);
      expect(flags).not.toContain(true);
    }
  });

  it('reads buffered when direct_io is off', async () => {
    const store = await FsChunkStore.open({ dir, syncWrites: false });
    const writer = await store.create('c2', { blockSizeBytes: 100, expectedBytes: 100 });
    await writer.append(bytes(100, 4));
    await writer.commit();
    for await (const _ of store.readBlocks('c2', 0, 1)) void _;
    expect(store.directIo).toBe(false);
    const path = (await readdir(dir, { recursive: true })).find((p) => p.endsWith('c2.chunk'))!;
    expect(await directFlags(join(dir, path))).toEqual([false]);
  });
});
