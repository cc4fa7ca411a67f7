/**
 * Writes one chunk into a temp file, block by block (each followed by its CRC32C), then commits it:
 * final header, fsync (when sync_writes), rename into place, fsync of the directory. Until the rename
 * nothing is visible, so a crash leaves only a temp file, which the store removes at open. The header
 * slot stays a hole (zeros: not a chunk header) until the commit writes the real one, and the commit's
 * steps overlap where order does not matter (close with rename), since every step is a trip through
 * libuv's thread pool on the PUT's critical path.
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { fsyncDir } from '../../platform/real/fsync-dir.js';
import { dirname } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import type { Clock } from '../../platform/clock.js';
import { StrataError } from '../../platform/errors.js';
import type { ChunkWriter } from '../../ports/chunk-store.js';
import { CRC_BYTES, encodeHeader, HEADER_BYTES } from './chunk-file-format.js';

export interface FsChunkWriterOptions {
  chunkId: string;
  tempPath: string;
  finalPath: string;
  blockSizeBytes: number;
  syncWrites: boolean;
  clock: Clock;
  /** Settles once finalPath's directory exists durably (made while the blocks are written); awaited before the rename. */
  directoryReady?: Promise<void>;
  /** Called once, when the writer is finished either way (committed with its stored bytes, or not). */
  onFinished(result: { committed: boolean; storedBytes: number }): void;
}

type State = 'open' | 'committing' | 'committed' | 'aborted' | 'failed';

/** Disk full while writing is the same condition create() refuses up front. */
export function ioError(err: unknown, what: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new StrataError('CapacityExceeded', `${what}: no space left on device`, { retryable: true, cause: err });
  }
  return err;
}

export class FsChunkWriter implements ChunkWriter {
  private state: State = 'open';
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown;
  private blockCount = 0;
  private lastBlockBytes = 0;
  private position = HEADER_BYTES;
  private finished = false;
  private committing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: FsChunkWriterOptions,
    private handle: FileHandle | undefined,
  ) {}

  /** Creates the temp file; its header slot is written at commit (until then it reads as no header). */
  static async start(options: FsChunkWriterOptions): Promise<FsChunkWriter> {
    let handle: FileHandle;
    try {
      handle = await open(options.tempPath, 'wx');
    } catch (err) {
      throw ioError(err, `chunk ${options.chunkId}`);
    }
    // A directory that could not be made fails the commit; observed there, never unhandled meanwhile.
    options.directoryReady?.catch(() => undefined);
    return new FsChunkWriter(options, handle);
  }

  /** Bytes written to the temp file so far (header and CRCs included). */
  get writtenBytes(): number {
    return this.position;
  }

  append(block: Uint8Array): Promise<void> {
    try {
      this.checkOpen('append to');
    } catch (err) {
      return Promise.reject(err);
    }
    const size = this.options.blockSizeBytes;
    if (block.byteLength === 0 || block.byteLength > size) {
      return Promise.reject(new StrataError('InvalidArgument', `chunk ${this.options.chunkId}: block of ${block.byteLength} bytes (block size ${size})`));
    }
    if (this.blockCount > 0 && this.lastBlockBytes < size) {
      return Promise.reject(new StrataError('InvalidArgument', `chunk ${this.options.chunkId}: a block follows the short last block ${this.blockCount - 1}`));
    }
    const crc = Buffer.allocUnsafe(CRC_BYTES);
    crc.writeUInt32LE(crc32c(block as Buffer), 0);
    const position = this.position;
    this.position += block.byteLength + CRC_BYTES;
    this.blockCount++;
    this.lastBlockBytes = block.byteLength;
    // Appends run one after another even when the caller does not wait for each.
    const write = this.tail.then(async () => {
      if (this.failure !== undefined) throw this.failure;
      try {
        await (this.handle as FileHandle).writev([block, crc], position);
      } catch (err) {
        this.failure = ioError(err, `chunk ${this.options.chunkId}`);
        this.state = 'failed';
        throw this.failure;
      }
    });
    this.tail = write.catch(() => undefined);
    return write;
  }

  commit(): Promise<void> {
    try {
      this.checkOpen('commit');
    } catch (err) {
      return Promise.reject(err);
    }
    this.state = 'committing';
    const committing = this.doCommit();
    this.committing = committing.catch(() => undefined);
    return committing;
  }

  private async doCommit(): Promise<void> {
    const { chunkId, syncWrites, finalPath, tempPath } = this.options;
    try {
      await this.tail;
      if (this.failure !== undefined) throw this.failure;
      const handle = this.handle as FileHandle;
      const header = encodeHeader({
        blockSizeBytes: this.options.blockSizeBytes,
        blockCount: this.blockCount,
        lastBlockBytes: this.blockCount === 0 ? 0 : this.lastBlockBytes,
        createdMs: this.options.clock.wallMs(),
      });
      await handle.write(header, 0, header.byteLength, 0);
      if (syncWrites) await handle.sync();
      this.handle = undefined;
      // Renaming an open file is fine on POSIX: close and rename go to the thread pool together.
      await Promise.all([handle.close(), (this.options.directoryReady ?? Promise.resolve()).then(() => rename(tempPath, finalPath))]);
      if (syncWrites) await fsyncDir(dirname(finalPath));
    } catch (err) {
      this.state = 'failed';
      await this.discard();
      throw ioError(err, `commit of chunk ${chunkId}`);
    }
    this.state = 'committed';
    this.finish(true);
  }

  async abort(): Promise<void> {
    if (this.state === 'committed' || this.state === 'aborted') return;
    if (this.state === 'committing') {
      // Let the commit settle; if it failed it already cleaned up.
      await this.committing;
      return;
    }
    this.state = 'aborted';
    await this.tail;
    await this.discard();
  }

  private checkOpen(what: string): void {
    if (this.state === 'failed' && this.failure !== undefined) throw this.failure;
    if (this.state !== 'open') {
      throw new StrataError('Conflict', `cannot ${what} chunk ${this.options.chunkId}: writer is ${this.state}`);
    }
  }

  private async discard(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
    await unlink(this.options.tempPath).catch(() => undefined);
    this.finish(false);
  }

  private finish(committed: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.options.onFinished({ committed, storedBytes: committed ? this.position : 0 });
  }
}
