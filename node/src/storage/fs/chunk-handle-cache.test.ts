import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StrataError } from '../../platform/errors.js';
import { blockOffset } from './chunk-file-format.js';
import { ChunkHandleCache, chunkHandleCacheSize, type OpenChunk } from './chunk-handle-cache.js';
import { chunkPath } from './chunk-paths.js';
import { FsChunkStore } from './fs-chunk-store.js';

/** A fake open chunk whose handle records whether it was closed. */
function fakeChunk(): OpenChunk & { closed: () => number } {
  let closes = 0;
  const handle = { close: async () => void closes++ } as unknown as OpenChunk['handle'];
  return { handle, header: { blockSizeBytes: 8, blockCount: 1, lastBlockBytes: 8, createdMs: 0 }, closed: () => closes };
}

describe('ChunkHandleCache', () => {
  it('reuses one open for concurrent and later readers', async () => {
    const cache = new ChunkHandleCache(4);
    const chunk = fakeChunk();
    const opener = vi.fn(async () => chunk);
    const [a, b] = await Promise.all([cache.acquire('x', opener), cache.acquire('x', opener)]);
    a!.release();
    b!.release();
    const c = await cache.acquire('x', opener);
    expect(c!.handle).toBe(chunk.handle);
    c!.release();
    expect(opener).toHaveBeenCalledTimes(1);
    expect(chunk.closed()).toBe(0);
  });

  it('evicts the least recently used, closing a handle only when its last reader is done', async () => {
    const cache = new ChunkHandleCache(2);
    const chunks = new Map(['a', 'b', 'c'].map((id) => [id, fakeChunk()]));
    const acquire = (id: string) => cache.acquire(id, async () => chunks.get(id));
    const inFlight = await acquire('a');
    (await acquire('b'))!.release();
    (await acquire('c'))!.release(); // evicts 'a', which is still being read
    expect(cache.size).toBe(2);
    expect(chunks.get('a')!.closed()).toBe(0);
    inFlight!.release();
    await Promise.resolve();
    expect(chunks.get('a')!.closed()).toBe(1);
    inFlight!.release(); // a second release is ignored
    (await acquire('b'))!.release(); // 'b' is now the most recent: 'c' goes next
    (await acquire('a'))!.release();
    expect(chunks.get('c')!.closed()).toBe(1);
    expect(chunks.get('b')!.closed()).toBe(0);
  });

  it('does not cache a missing chunk or a failed open', async () => {
    const cache = new ChunkHandleCache(2);
    expect(await cache.acquire('gone', async () => undefined)).toBeUndefined();
    await expect(cache.acquire('bad', async () => Promise.reject(new Error('damaged')))).rejects.toThrow('damaged');
    expect(cache.size).toBe(0);
  });

  it('drop closes an idle handle now and a busy one after its reader', async () => {
    const cache = new ChunkHandleCache(4);
    const idle = fakeChunk();
    const busy = fakeChunk();
    (await cache.acquire('idle', async () => idle))!.release();
    const lease = await cache.acquire('busy', async () => busy);
    await cache.drop('idle');
    await cache.drop('busy');
    expect(idle.closed()).toBe(1);
    expect(busy.closed()).toBe(0);
    lease!.release();
    await Promise.resolve();
    expect(busy.closed()).toBe(1);
    expect(cache.size).toBe(0);
  });
});

describe('FsChunkStore read handles', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-handles-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function put(store: FsChunkStore, chunkId: string, fill: number): Promise<void> {
    const writer = await store.create(chunkId, { blockSizeBytes: 64, expectedBytes: 256 });
    for (let i = 0; i < 4; i++) await writer.append(Buffer.alloc(64, fill + i));
    await writer.commit();
  }

  async function read(store: FsChunkStore, chunkId: string): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for await (const b of store.readBlocks(chunkId, 0, 4)) out.push(Buffer.from(b));
    return out;
  }

  it('checks every block on every read through a cached handle', async () => {
    const store = await FsChunkStore.open({ dir, syncWrites: false });
    await put(store, 'c', 1);
    expect((await read(store, 'c')).length).toBe(4);
    const file = await open(chunkPath(dir, 'c'), 'r+');
    await file.write(Buffer.from([0xee]), 0, 1, blockOffset(64, 2) + 5);
    for (let i = 0; i < 3; i++) {
      const err = await read(store, 'c').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StrataError);
      expect((err as StrataError).code).toBe('Corruption');
      expect((err as StrataError).details).toEqual({ chunkId: 'c', block: 2 });
    }
    await file.write(Buffer.from([3]), 0, 1, blockOffset(64, 2) + 5);
    await file.close();
    expect((await read(store, 'c'))[2]!.equals(Buffer.alloc(64, 3))).toBe(true);
    await store.close();
  });

  it('delete drops the cached handle: a re-created chunk reads its new content', async () => {
    const store = await FsChunkStore.open({ dir, syncWrites: false });
    await put(store, 'r', 10);
    expect((await read(store, 'r'))[0]!.equals(Buffer.alloc(64, 10))).toBe(true);
    await store.delete('r');
    const err = await read(store, 'r').catch((e: unknown) => e);
    expect((err as StrataError).code).toBe('NotFound');
    await put(store, 'r', 20);
    expect((await read(store, 'r'))[0]!.equals(Buffer.alloc(64, 20))).toBe(true);
    await store.close();
  });

  it('a reader in flight during delete finishes its read', async () => {
    const store = await FsChunkStore.open({ dir, syncWrites: false });
    await put(store, 'd', 30);
    const blocks = store.readBlocks('d', 0, 4)[Symbol.asyncIterator]();
    expect((await blocks.next()).done).toBe(false);
    await store.delete('d');
    let rest = 0;
    for (let next = await blocks.next(); next.done !== true; next = await blocks.next()) rest++;
    expect(rest).toBe(3);
    await store.close();
  });
});

describe('chunkHandleCacheSize', () => {
  const limits = (soft: string) => `Limit                     Soft Limit           Hard Limit           Units     \nMax open files            ${soft}                1048576              files     \n`;
  it('is a quarter of the soft open-file limit, between 256 and 4096', () => {
    expect(chunkHandleCacheSize(limits('1024'))).toBe(256);
    expect(chunkHandleCacheSize(limits('8000'))).toBe(2000);
    expect(chunkHandleCacheSize(limits('1048576'))).toBe(4096);
    expect(chunkHandleCacheSize(limits('unlimited'))).toBe(4096);
    expect(chunkHandleCacheSize('no such line')).toBe(256);
  });
});
