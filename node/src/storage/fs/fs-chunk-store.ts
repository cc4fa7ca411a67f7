/**
 * The chunk store on local disk: one file per chunk under fan-out directories (chunk-paths.ts), in the
 * format of chunk-file-format.ts. Every block read is checked against its CRC32C; reads are positioned,
 * so a range of blocks costs only those blocks. Capacity is checked up front against the file system's
 * free space minus a reserve, and usage is tracked incrementally (scanned once at open).
 *
 * Per-request file-system work is kept off the hot path: reads reuse cached open handles and headers of
 * committed chunks (chunk-handle-cache.ts; blocks are still checked on every read), create() uses a
 * free-space reading up to 500 ms old corrected for our own writes (free-space-cache.ts) and creates
 * each fan-out directory once.
 */
import { constants as fsConstants, lstatSync } from 'node:fs';
import { lstat, mkdir, open, opendir, readdir, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { StrataError, isStrataError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { Gauge } from '../../platform/metrics.js';
import type { BlockReadBuffers, ChunkId, ChunkInfo, ChunkStore, ChunkUsage, ChunkWriter, ReadBlocksOptions } from '../../ports/chunk-store.js';
import {
  blockDataBytes,
  blockOffset,
  CRC_BYTES,
  decodeHeader,
  HEADER_BYTES,
  MAX_BLOCK_BYTES,
  storedBytesFor,
  type ChunkHeader,
} from './chunk-file-format.js';
import { ChunkHandleCache, chunkHandleCacheSize, type OpenChunk } from './chunk-handle-cache.js';
import { AlignedBufferPool, DIRECT_ALIGN_BYTES, readDirect } from './direct-read.js';
import { checkChunkId, chunkPath, CHUNK_SUFFIX, isFanOutName, TEMP_DIR } from './chunk-paths.js';
import {
  defaultReserveBytes,
  resolveFsChunkStoreOptions,
  type FsChunkStoreOptions,
  type ResolvedFsChunkStoreOptions,
} from './fs-chunk-store-options.js';
import { fsyncDir } from '../../platform/real/fsync-dir.js';
import { FsChunkWriter } from './fs-chunk-writer.js';
import { FreeSpaceCache } from './free-space-cache.js';

export { resolveFsChunkStoreOptions, type FsChunkStoreOptions, type DiskSpace } from './fs-chunk-store-options.js';

/** One positioned read fetches up to this much (several small blocks at once). */
const READ_BATCH_BYTES = 1024 * 1024;

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

export class FsChunkStore implements ChunkStore {
  private usedBytes = 0;
  private readonly writers = new Map<ChunkId, { reservedBytes: number; writer?: FsChunkWriter }>();
  private tempSeq = 0;
  /** Bytes put on disk by writers that have finished (committed; an aborted write gave its space back). */
  private finishedWrittenBytes = 0;
  private readonly freeSpace: FreeSpaceCache;
  private readonly handles = new ChunkHandleCache(chunkHandleCacheSize());
  /** Fan-out directories made or being made (at most 65 536 short strings); a failure is forgotten. */
  private readonly madeDirs = new Map<string, Promise<void>>();
  private readonly usedGauge: Gauge;
  private readonly availableGauge: Gauge;
  private readonly logger: Logger;

  private constructor(
    private readonly options: ResolvedFsChunkStoreOptions,
    /** Free space kept back (resolved at open). */
    readonly reserveBytes: number,
    /** Scratch buffers of O_DIRECT reads when [storage] direct_io is on and the file system allows it. */
    private readonly direct: AlignedBufferPool | undefined,
  ) {
    this.logger = options.logger.child({ component: 'chunks' });
    this.usedGauge = options.metrics.gauge('strata_chunk_storage_bytes', 'Bytes held by chunk files on this node');
    this.availableGauge = options.metrics.gauge('strata_chunk_storage_available_bytes', 'Bytes still free for chunks, reserve excluded');
    this.freeSpace = new FreeSpaceCache(() => options.diskSpace(options.dir), () => this.writtenBytes(), options.clock);
  }

  static async open(options: FsChunkStoreOptions): Promise<FsChunkStore> {
    const resolved = resolveFsChunkStoreOptions(options);
    const logger = resolved.logger.child({ component: 'chunks' });
    await mkdir(join(resolved.dir, TEMP_DIR), { recursive: true });
    const direct = resolved.directIo ? await probeDirectIo(resolved.dir, logger) : undefined;
    const space = await resolved.diskSpace(resolved.dir);
    const store = new FsChunkStore(resolved, resolved.reserveBytes ?? defaultReserveBytes(space.totalBytes), direct);
    const removed = await store.removeTempFiles();
    store.usedBytes = await store.scanUsedBytes();
    logger.info({ dir: resolved.dir, usedBytes: store.usedBytes, reserveBytes: store.reserveBytes, removedTempFiles: removed }, 'chunk store open');
    await store.usage();
    return store;
  }

  async create(chunkId: ChunkId, options: { blockSizeBytes: number; expectedBytes: number }): Promise<ChunkWriter> {
    checkChunkId(chunkId);
    const { blockSizeBytes, expectedBytes } = options;
    if (!Number.isSafeInteger(blockSizeBytes) || blockSizeBytes <= 0 || blockSizeBytes > MAX_BLOCK_BYTES) {
      throw new StrataError('InvalidArgument', `chunk ${chunkId}: block size ${blockSizeBytes} is not in 1..${MAX_BLOCK_BYTES}`);
    }
    if (!Number.isSafeInteger(expectedBytes) || expectedBytes < 0) {
      throw new StrataError('InvalidArgument', `chunk ${chunkId}: expectedBytes ${expectedBytes} is not a non-negative integer`);
    }
    if (this.writers.has(chunkId)) throw new StrataError('AlreadyExists', `chunk ${chunkId} is already being written`);
    const finalPath = chunkPath(this.options.dir, chunkId);
    const reservedBytes = storedBytesFor(expectedBytes, blockSizeBytes);
    // Claimed before the first await, so concurrent creates see each other.
    const entry: { reservedBytes: number; writer?: FsChunkWriter } = { reservedBytes };
    this.writers.set(chunkId, entry);
    try {
      if (exists(finalPath)) throw new StrataError('AlreadyExists', `chunk ${chunkId} already exists`);
      const freeBytes = await this.freeSpace.freeBytes();
      const available = Math.max(0, freeBytes - this.reserveBytes - this.outstandingBytes(entry));
      if (reservedBytes > available) {
        throw new StrataError(
          'CapacityExceeded',
          `chunk ${chunkId} needs ${reservedBytes} bytes but only ${available} are available in ${this.options.dir} ` +
            `(${freeBytes} free, ${this.reserveBytes} kept in reserve)`,
          { retryable: true, details: { neededBytes: reservedBytes, availableBytes: available, reserveBytes: this.reserveBytes } },
        );
      }
      entry.writer = await FsChunkWriter.start({
        chunkId,
        tempPath: join(this.options.dir, TEMP_DIR, `${chunkId}.${++this.tempSeq}.tmp`),
        finalPath,
        blockSizeBytes,
        syncWrites: this.options.syncWrites,
        clock: this.options.clock,
        // Made (and synced) while the blocks are written: only the commit's rename needs it.
        directoryReady: this.makeFanOutDirs(finalPath),
        onFinished: ({ committed, storedBytes }) => this.writerFinished(chunkId, committed, storedBytes),
      });
      return entry.writer;
    } catch (err) {
      this.writers.delete(chunkId);
      throw err;
    }
  }

  async *readBlocks(chunkId: ChunkId, firstBlock: number, count: number, options?: ReadBlocksOptions): AsyncIterable<Uint8Array> {
    checkChunkId(chunkId);
    if (!Number.isSafeInteger(firstBlock) || firstBlock < 0 || !Number.isSafeInteger(count) || count < 0) {
      throw new StrataError('InvalidArgument', `chunk ${chunkId}: bad block range first=${firstBlock} count=${count}`);
    }
    const file = chunkPath(this.options.dir, chunkId);
    const lease = await this.handles.acquire(chunkId, () => this.openCommitted(file, chunkId));
    if (lease === undefined) throw new StrataError('NotFound', `chunk ${chunkId} not found`, { details: { chunkId } });
    try {
      const { handle, header } = lease;
      if (firstBlock + count > header.blockCount) {
        throw new StrataError(
          'InvalidArgument',
          `chunk ${chunkId}: blocks [${firstBlock}, ${firstBlock + count}) asked, it has ${header.blockCount}`,
          { details: { chunkId, blockCount: header.blockCount } },
        );
      }
      const buffers = this.direct === undefined ? options?.buffers : undefined;
      if (buffers !== undefined) {
        yield* this.readBlocksInto(buffers, handle, header, file, chunkId, firstBlock, count);
        return;
      }
      const slotBytes = header.blockSizeBytes + CRC_BYTES;
      const perRead = Math.max(1, Math.floor(READ_BATCH_BYTES / slotBytes));
      for (let block = firstBlock; block < firstBlock + count; ) {
        const n = Math.min(perRead, firstBlock + count - block);
        const last = block + n - 1;
        const wanted = blockOffset(header.blockSizeBytes, last) + blockDataBytes(header, last) + CRC_BYTES - blockOffset(header.blockSizeBytes, block);
        const { buf, got } = await this.readAt(handle, blockOffset(header.blockSizeBytes, block), wanted);
        for (let i = 0; i < n; i++, block++) {
          const start = i * slotBytes;
          const size = blockDataBytes(header, block);
          if (got < start + size + CRC_BYTES) {
            throw corruption(file, chunkId, block, `block ${block} is missing (file truncated)`);
          }
          const data = buf.subarray(start, start + size);
          if (buf.readUInt32LE(start + size) !== crc32c(data)) {
            throw corruption(file, chunkId, block, `block ${block} fails its CRC32C`);
          }
          yield data;
        }
      }
    } finally {
      lease.release();
    }
  }

  /** One read per block, each into the caller's buffer (after its headroom), checked like any other. */
  private async *readBlocksInto(
    buffers: BlockReadBuffers,
    handle: FileHandle,
    header: ChunkHeader,
    file: string,
    chunkId: ChunkId,
    firstBlock: number,
    count: number,
  ): AsyncGenerator<Uint8Array> {
    for (let block = firstBlock; block < firstBlock + count; block++) {
      const size = blockDataBytes(header, block);
      const buf = buffers.take(size + CRC_BYTES);
      const slot = buf.subarray(buffers.headroom, buffers.headroom + size + CRC_BYTES);
      if ((await readFully(handle, slot, blockOffset(header.blockSizeBytes, block))) < slot.byteLength) {
        throw corruption(file, chunkId, block, `block ${block} is missing (file truncated)`);
      }
      const data = slot.subarray(0, size);
      if (slot.readUInt32LE(size) !== crc32c(data)) throw corruption(file, chunkId, block, `block ${block} fails its CRC32C`);
      yield data;
    }
  }

  async stat(chunkId: ChunkId): Promise<ChunkInfo | undefined> {
    checkChunkId(chunkId);
    return this.statFile(chunkPath(this.options.dir, chunkId), chunkId);
  }

  async delete(chunkId: ChunkId): Promise<void> {
    checkChunkId(chunkId);
    const file = chunkPath(this.options.dir, chunkId);
    let size: number;
    try {
      size = (await lstat(file)).size;
      await rm(file);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    } finally {
      // After the rm: a reader that opened the file before it is dropped too.
      await this.handles.drop(chunkId);
    }
    this.usedBytes = Math.max(0, this.usedBytes - size);
    this.usedGauge.set(this.usedBytes);
  }

  async *list(): AsyncIterable<ChunkInfo> {
    for await (const [dir, name] of this.fanOutFiles()) {
      const chunkId = name.slice(0, -CHUNK_SUFFIX.length);
      const file = join(dir, name);
      let info: ChunkInfo | undefined;
      try {
        info = await this.statFile(file, chunkId);
      } catch (err) {
        if (!isStrataError(err, 'Corruption')) {
          this.logger.warn({ chunkId, err: (err as Error).message }, 'skipped a chunk file that cannot be read in list');
          continue;
        }
        // Listed from its file's size and time: scrub reads it, finds it corrupt and repairs it while it is
        // referenced; the GC deletes it once nothing is (a repaired chunk's old file used to leak).
        const stats = await lstat(file).catch(() => undefined);
        if (stats === undefined) continue;
        this.logger.warn({ chunkId, err: err.message }, 'listed a chunk file whose header is damaged');
        info = { chunkId, blockSizeBytes: 0, blockCount: 0, storedBytes: stats.size, createdMs: Math.floor(stats.mtimeMs), damaged: err.message };
      }
      if (info !== undefined) yield info;
    }
  }

  async usage(): Promise<ChunkUsage> {
    const { freeBytes } = await this.freeSpace.measureNow();
    const availableBytes = Math.max(0, freeBytes - this.reserveBytes - this.outstandingBytes());
    this.usedGauge.set(this.usedBytes);
    this.availableGauge.set(availableBytes);
    return { usedBytes: this.usedBytes, availableBytes };
  }

  /** Closes the cached read handles (the store stays usable; later reads open them again). */
  async close(): Promise<void> {
    await this.handles.clear();
  }

  /** Bytes written to disk by this store's writers since it was opened (for the free-space cache). */
  private writtenBytes(): number {
    let total = this.finishedWrittenBytes;
    for (const entry of this.writers.values()) total += entry.writer?.writtenBytes ?? 0;
    return total;
  }

  /** Space promised to open writers but not written yet (the file system's free space does not show it). */
  private outstandingBytes(except?: object): number {
    let total = 0;
    for (const entry of this.writers.values()) {
      if (entry === except) continue;
      total += Math.max(0, entry.reservedBytes - (entry.writer?.writtenBytes ?? 0));
    }
    return total;
  }

  private writerFinished(chunkId: ChunkId, committed: boolean, storedBytes: number): void {
    this.writers.delete(chunkId);
    if (!committed) return;
    this.finishedWrittenBytes += storedBytes;
    this.usedBytes += storedBytes;
    this.usedGauge.set(this.usedBytes);
  }

  /** Whether chunk reads bypass the page cache (direct_io asked and supported here). */
  get directIo(): boolean {
    return this.direct !== undefined;
  }

  /** `length` bytes at `position` (fewer at the end of the file), through O_DIRECT for a direct handle. */
  private async readAt(handle: FileHandle, position: number, length: number, direct = this.direct !== undefined): Promise<{ buf: Buffer; got: number }> {
    if (direct && this.direct !== undefined) {
      const buf = await readDirect(handle, this.direct, position, length);
      return { buf, got: buf.byteLength };
    }
    const buf = Buffer.allocUnsafe(length);
    return { buf, got: await readFully(handle, buf, position) };
  }

  private async openChunk(file: string, chunkId: ChunkId, direct = false): Promise<FileHandle | undefined> {
    try {
      return await open(file, direct ? fsConstants.O_RDONLY | fsConstants.O_DIRECT : 'r');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new StrataError('Internal', `chunk ${chunkId}: cannot open ${file}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Opens a committed chunk for the handle cache: its handle and checked header, or undefined if missing. */
  private async openCommitted(file: string, chunkId: ChunkId): Promise<OpenChunk | undefined> {
    // The cached read handles are the ones that bypass the page cache; stat() and list() stay buffered.
    const direct = this.direct !== undefined;
    const handle = await this.openChunk(file, chunkId, direct);
    if (handle === undefined) return undefined;
    try {
      const { buf, got } = await this.readAt(handle, 0, HEADER_BYTES, direct);
      return { handle, header: decodeHeader(buf.subarray(0, got), file, chunkId) };
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  private async statFile(file: string, chunkId: ChunkId): Promise<ChunkInfo | undefined> {
    const handle = await this.openChunk(file, chunkId);
    if (handle === undefined) return undefined;
    try {
      const header = await readHeader(handle, file, chunkId);
      const { size } = await handle.stat();
      return { chunkId, blockSizeBytes: header.blockSizeBytes, blockCount: header.blockCount, storedBytes: size, createdMs: header.createdMs };
    } finally {
      await handle.close();
    }
  }

  /** Makes the fan-out directory of `finalPath` once; concurrent writers into one new directory share the promise. */
  private makeFanOutDirs(finalPath: string): Promise<void> {
    const leaf = dirname(finalPath);
    const known = this.madeDirs.get(leaf);
    if (known !== undefined) return known;
    const making = (async () => {
      const created = await mkdir(leaf, { recursive: true });
      // A new directory entry is only durable once its parent is synced.
      if (created !== undefined && this.options.syncWrites) {
        await fsyncDir(dirname(leaf));
        await fsyncDir(this.options.dir);
      }
    })();
    this.madeDirs.set(leaf, making);
    making.catch(() => this.madeDirs.delete(leaf));
    return making;
  }

  private async removeTempFiles(): Promise<number> {
    const tempDir = join(this.options.dir, TEMP_DIR);
    const names = await readdir(tempDir);
    for (const name of names) await rm(join(tempDir, name), { force: true, recursive: true });
    if (names.length > 0) this.logger.info({ count: names.length }, 'removed temp files of unfinished chunk writes');
    return names.length;
  }

  private async scanUsedBytes(): Promise<number> {
    let total = 0;
    for await (const [dir, name] of this.fanOutFiles()) {
      try {
        total += (await lstat(join(dir, name))).size;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return total;
  }

  /** [directory, file name] of every chunk file, walked lazily (never the whole listing in memory). */
  private async *fanOutFiles(): AsyncIterable<[string, string]> {
    for (const a of await subdirs(this.options.dir)) {
      for (const b of await subdirs(join(this.options.dir, a))) {
        const dir = join(this.options.dir, a, b);
        const handle = await opendir(dir).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
        if (handle === undefined) continue;
        for await (const entry of handle) {
          if (entry.isFile() && entry.name.endsWith(CHUNK_SUFFIX)) yield [dir, entry.name];
        }
      }
    }
  }
}

async function subdirs(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && isFanOutName(e.name)).map((e) => e.name).sort();
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

/**
 * Whether a path exists, without an exception for the usual answer "no" (an ENOENT error per create()
 * cost more CPU than the check). A synchronous lstat of a file in a recently used directory is a
 * microsecond-scale call, cheaper on the event loop than an asynchronous one.
 */
function exists(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
}

function corruption(file: string, chunkId: ChunkId, block: number, why: string): StrataError {
  return new StrataError('Corruption', `chunk file ${file}: ${why}`, { details: { chunkId, block } });
}

async function readFully(handle: FileHandle, buf: Buffer, position: number): Promise<number> {
  let got = 0;
  while (got < buf.byteLength) {
    const { bytesRead } = await handle.read(buf, got, buf.byteLength - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

async function readHeader(handle: FileHandle, file: string, chunkId: ChunkId): Promise<ChunkHeader> {
  const buf = Buffer.alloc(HEADER_BYTES);
  const got = await readFully(handle, buf, 0);
  return decodeHeader(buf.subarray(0, got), file, chunkId);
}

/**
 * Whether this file system takes O_DIRECT reads (tmpfs, for one, refuses the flag): a probe file in the
 * temp folder, opened with O_DIRECT and read aligned. Logged either way, once, at open.
 */
async function probeDirectIo(dir: string, logger: Logger): Promise<AlignedBufferPool | undefined> {
  const probe = join(dir, TEMP_DIR, 'direct-io-probe');
  try {
    await writeFile(probe, Buffer.alloc(DIRECT_ALIGN_BYTES));
    const pool = new AlignedBufferPool({ slotBytes: READ_BATCH_BYTES + 2 * DIRECT_ALIGN_BYTES, slots: 8 });
    const handle = await open(probe, fsConstants.O_RDONLY | fsConstants.O_DIRECT);
    try {
      await readDirect(handle, pool, 0, DIRECT_ALIGN_BYTES);
    } finally {
      await handle.close();
    }
    logger.info({ dir }, '[storage] direct_io: chunk reads bypass the page cache (O_DIRECT); chunk writes are buffered');
    return pool;
  } catch (err) {
    logger.warn({ dir, err: (err as NodeJS.ErrnoException).code ?? String(err) }, '[storage] direct_io: this file system refuses O_DIRECT reads; using buffered I/O');
    return undefined;
  } finally {
    await rm(probe, { force: true });
  }
}
