/**
 * Open read handles of committed chunk files, with their parsed headers, kept for reuse: a committed
 * chunk file never changes, so a read needs no open, header read and close of its own. Bounded (LRU);
 * readers hold a lease (reference count), so eviction or delete() only closes a handle once its last
 * reader has released it. Block CRCs are not cached: the reader still checks every block it reads.
 *
 * A failed open (missing file, damaged header) is never cached, so the next read tries again.
 */
import type { FileHandle } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import type { ChunkHeader } from './chunk-file-format.js';

export interface OpenChunk {
  handle: FileHandle;
  header: ChunkHeader;
}

export interface ChunkLease extends OpenChunk {
  /** Give the handle back; call exactly once. */
  release(): void;
}

interface Entry {
  opening: Promise<OpenChunk | undefined>;
  value?: OpenChunk;
  readers: number;
  /** Evicted or deleted: closed when the last reader releases it. */
  dropped: boolean;
  closed: boolean;
}

export const DEFAULT_CHUNK_HANDLE_CACHE_SIZE = 256;
const MAX_CHUNK_HANDLE_CACHE_SIZE = 4096;

/**
 * A quarter of the process's open-file limit (Linux: the soft limit in /proc/self/limits), between 256
 * and 4096: a node serving reads over thousands of chunks reopens far fewer files (an open and a header
 * read each), while sockets and writers keep most descriptors. 256 when the limit cannot be read.
 */
export function chunkHandleCacheSize(limitsText?: string): number {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return DEFAULT_CHUNK_HANDLE_CACHE_SIZE;
    }
  }
  const soft = /^Max open files\s+(\d+|unlimited)/m.exec(text)?.[1];
  if (soft === undefined) return DEFAULT_CHUNK_HANDLE_CACHE_SIZE;
  const limit = soft === 'unlimited' ? Infinity : Number(soft);
  return Math.max(DEFAULT_CHUNK_HANDLE_CACHE_SIZE, Math.min(MAX_CHUNK_HANDLE_CACHE_SIZE, Math.floor(limit / 4)));
}

/**
 * A FileHandle that is garbage collected unclosed makes Node warn (and, in later versions, throw). A
 * cache that is dropped without clear() (e.g. a store in a test) keeps its open handles reachable from
 * here and has them closed once the cache itself is collected.
 */
const orphans = new FinalizationRegistry<Set<FileHandle>>((handles) => {
  for (const handle of handles) void handle.close().catch(() => undefined);
});

export class ChunkHandleCache {
  /** Insertion order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<string, Entry>();
  /** Every handle opened and not closed yet (cached or evicted with readers left). */
  private readonly openHandles = new Set<FileHandle>();

  constructor(readonly capacity: number = DEFAULT_CHUNK_HANDLE_CACHE_SIZE) {
    orphans.register(this, this.openHandles);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * A lease on the chunk's open handle, opening it with `open` when not cached (concurrent callers share
   * one open). undefined when `open` finds no file; `open`'s errors are passed on and nothing is cached.
   */
  async acquire(chunkId: string, open: () => Promise<OpenChunk | undefined>): Promise<ChunkLease | undefined> {
    let entry = this.entries.get(chunkId);
    if (entry !== undefined) {
      this.entries.delete(chunkId);
      this.entries.set(chunkId, entry);
    } else {
      entry = { opening: open(), readers: 0, dropped: false, closed: false };
      this.entries.set(chunkId, entry);
      this.evictOverCapacity();
    }
    entry.readers++;
    let value: OpenChunk | undefined;
    try {
      value = await entry.opening;
    } catch (err) {
      entry.readers--;
      this.forget(chunkId, entry);
      throw err;
    }
    if (value === undefined) {
      entry.readers--;
      this.forget(chunkId, entry);
      return undefined;
    }
    if (entry.value === undefined) {
      entry.value = value;
      this.openHandles.add(value.handle);
    }
    let released = false;
    return {
      handle: value.handle,
      header: value.header,
      release: () => {
        if (released) return;
        released = true;
        entry.readers--;
        if (entry.dropped) this.closeIfIdle(entry);
      },
    };
  }

  /** Forgets the chunk (it is being deleted); its handle is closed now, or when its last reader is done. */
  async drop(chunkId: string): Promise<void> {
    const entry = this.entries.get(chunkId);
    if (entry === undefined) return;
    this.entries.delete(chunkId);
    entry.dropped = true;
    await this.closeIfIdle(entry);
  }

  /** Drops every handle (closing the idle ones now). */
  async clear(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((chunkId) => this.drop(chunkId)));
  }

  private evictOverCapacity(): void {
    for (const [chunkId, entry] of this.entries) {
      if (this.entries.size <= this.capacity) return;
      this.entries.delete(chunkId);
      entry.dropped = true;
      void this.closeIfIdle(entry);
    }
  }

  private forget(chunkId: string, entry: Entry): void {
    if (this.entries.get(chunkId) === entry) this.entries.delete(chunkId);
  }

  private async closeIfIdle(entry: Entry): Promise<void> {
    // With no reader left the open has settled (the opener is a reader until then); a failed one left no handle.
    if (entry.readers > 0 || entry.closed || entry.value === undefined) return;
    entry.closed = true;
    this.openHandles.delete(entry.value.handle);
    await entry.value.handle.close().catch(() => undefined);
  }
}
