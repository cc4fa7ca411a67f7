/**
 * The state machine's inline bytes on local disk (decision 0024): appended to files under
 * `<data dir>/inline`, read back by place. A cache of the replicated state, so nothing here is fsynced
 * and the folder is emptied at every start (the node rebuilds it from its snapshot and log).
 *
 * Appends are gathered in memory and written a segment at a time, off the event loop; until a segment
 * is written its bytes are read from memory. A compaction pass (driven by the state machine) moves the
 * live bytes into a new file, then the old files are unlinked, and closed once no read uses them and a
 * grace period has passed: a GET that took its manifest just before an overwrite still reads its bytes.
 */
import { closeSync, mkdirSync, openSync, read, readSync, rmSync, unlinkSync, write } from 'node:fs';
import { join } from 'node:path';
import type { InlineByteStore, InlinePlace } from '../../meta/inline-store.js';
import { StrataError } from '../../platform/errors.js';

export interface InlineSpillOptions {
  /** Appends gathered before a write (bigger appends get a segment of their own). */
  segmentBytes?: number;
  /** Garbage that makes a compaction pass worth it: at least this, and at least the live bytes. */
  minGarbageBytes?: number;
  /** How long a dropped file stays readable by places taken before its pass. */
  dropGraceMs?: number;
  /** A segment that could not be written stays in memory (reads still work); this hears why. */
  onWriteError?: (err: unknown) => void;
  /** A compaction pass that failed (its files stay); this hears why. */
  onCompactionError?: (err: unknown) => void;
}

interface SpillFile {
  gen: number;
  path: string;
  fd: number;
  /** Bytes appended (written or still in a segment). */
  size: number;
  /** Async reads and segment writes using the descriptor now. */
  users: number;
  /** Unlinked by a compaction pass; closed once its grace period is over and nobody uses it. */
  dropped: boolean;
  graceOver: boolean;
  closed: boolean;
}

interface SpillPlace extends InlinePlace {
  file: SpillFile;
  offset: number;
  length: number;
}

/** Appended bytes of one file from `offset`, in memory until written. */
interface Segment {
  file: SpillFile;
  offset: number;
  buf: Buffer;
  used: number;
}

const DEFAULT_SEGMENT_BYTES = 1024 * 1024;
/** Reads are handed out as views of a shared slab: a Buffer of its own per 4 KiB object cost more than the read. */
const SLAB_BYTES = 256 * 1024;
const SLAB_MAX_READ_BYTES = 16 * 1024;
const DEFAULT_MIN_GARBAGE_BYTES = 64 * 1024 * 1024;
const DEFAULT_DROP_GRACE_MS = 60_000;

export class InlineSpillFiles implements InlineByteStore {
  private readonly segmentBytes: number;
  private readonly minGarbageBytes: number;
  private readonly dropGraceMs: number;
  private readonly files = new Map<number, SpillFile>();
  private current: SpillFile;
  private filling: Segment;
  /** Sealed segments whose write has not finished (or failed): reads look here before the file. */
  private readonly unwritten: Segment[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** After a failed pass, no other before the store holds this many bytes. */
  private retryAtBytes = 0;
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  private slabUsed = 0;

  /** Empties `dir` (bytes of an earlier run) and starts the first file. */
  static open(dir: string, options: InlineSpillOptions = {}): InlineSpillFiles {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    return new InlineSpillFiles(dir, options);
  }

  private constructor(
    private readonly dir: string,
    private readonly options: InlineSpillOptions,
  ) {
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.minGarbageBytes = options.minGarbageBytes ?? DEFAULT_MIN_GARBAGE_BYTES;
    this.dropGraceMs = options.dropGraceMs ?? DEFAULT_DROP_GRACE_MS;
    this.current = this.newFile(1);
    this.filling = this.newSegment(this.segmentBytes);
  }

  append(data: Uint8Array): InlinePlace {
    const place: SpillPlace = { file: this.current, offset: 0, length: data.byteLength };
    this.appendAt(place, data);
    return place;
  }

  read(place: InlinePlace): Uint8Array {
    const p = this.check(place);
    const buffered = this.buffered(p);
    if (buffered) return buffered;
    const out = this.take(p.length);
    let done = 0;
    while (done < p.length) {
      const n = readSync(p.file.fd, out, done, p.length - done, p.offset + done);
      if (n === 0) throw shortRead(p);
      done += n;
    }
    return out;
  }

  async readAsync(place: InlinePlace): Promise<Uint8Array> {
    const p = this.check(place);
    const buffered = this.buffered(p);
    if (buffered) return buffered;
    const { file, offset, length } = p;
    const out = this.take(length);
    file.users++;
    try {
      let done = 0;
      while (done < length) {
        const n = await readAt(file.fd, out, done, length - done, offset + done);
        if (n === 0) throw shortRead(p);
        done += n;
      }
      return out;
    } finally {
      file.users--;
      this.closeIfIdle(file);
    }
  }

  /** Bytes on disk or in memory across the files in use (garbage included). */
  get totalBytes(): number {
    let total = 0;
    for (const file of this.files.values()) if (!file.dropped) total += file.size;
    return total;
  }

  wantsCompaction(liveBytes: number): boolean {
    const total = this.totalBytes;
    const garbage = total - liveBytes;
    return total >= this.retryAtBytes && garbage >= this.minGarbageBytes && garbage >= liveBytes;
  }

  /** Keeps the files of the failed pass and tries again only once the minimum garbage has been appended anew. */
  compactionFailed(err: unknown): void {
    this.retryAtBytes = this.totalBytes + this.minGarbageBytes;
    this.options.onCompactionError?.(err);
  }

  beginCompaction(): number {
    this.seal();
    this.current = this.newFile(this.current.gen + 1);
    this.filling = this.newSegment(this.segmentBytes);
    return this.current.gen;
  }

  relocate(place: InlinePlace, mark: number): void {
    const p = this.check(place);
    if (p.file.gen >= mark) return;
    const bytes = this.read(p);
    this.appendAt(p, bytes);
  }

  finishCompaction(mark: number): void {
    for (const file of this.files.values()) {
      if (file.gen >= mark || file.dropped) continue;
      file.dropped = true;
      try {
        unlinkSync(file.path);
      } catch (err) {
        this.options.onCompactionError?.(err); // the space stays taken until the next start empties the folder
      }
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        file.graceOver = true;
        this.closeIfIdle(file);
      }, this.dropGraceMs);
      timer.unref();
      this.timers.add(timer);
    }
  }

  /** Closes every file (node shutdown); places read afterwards fail. */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const file of [...this.files.values()]) this.closeFile(file);
  }

  /** Points `place` at a copy of `data` in the current file. */
  private appendAt(place: SpillPlace, data: Uint8Array): void {
    if (this.filling.used + data.byteLength > this.filling.buf.byteLength) {
      this.seal();
      this.filling = this.newSegment(Math.max(this.segmentBytes, data.byteLength));
    }
    const segment = this.filling;
    segment.buf.set(data, segment.used);
    place.file = this.current;
    place.offset = segment.offset + segment.used;
    segment.used += data.byteLength;
    this.current.size += data.byteLength;
  }

  /** Hands the filling segment to a write; the caller starts the next one. */
  private seal(): void {
    const segment = this.filling;
    if (segment.used === 0) return;
    this.unwritten.push(segment);
    const { file } = segment;
    file.users++;
    writeFully(file.fd, segment.buf, segment.used, segment.offset)
      .then(
        () => {
          const at = this.unwritten.indexOf(segment);
          if (at >= 0) this.unwritten.splice(at, 1);
        },
        (err: unknown) => (file.closed ? undefined : this.options.onWriteError?.(err)),
      )
      .finally(() => {
        file.users--;
        this.closeIfIdle(file);
      });
  }

  private newSegment(capacity: number): Segment {
    return { file: this.current, offset: this.current.size, buf: Buffer.allocUnsafe(capacity), used: 0 };
  }

  private newFile(gen: number): SpillFile {
    const path = join(this.dir, `${gen}.inline`);
    const file: SpillFile = { gen, path, fd: openSync(path, 'w+'), size: 0, users: 0, dropped: false, graceOver: false, closed: false };
    this.files.set(gen, file);
    return file;
  }

  /** A copy of the place's bytes when they are still in memory. */
  private buffered(p: SpillPlace): Buffer | undefined {
    const segment = holds(this.filling, p) ? this.filling : this.unwritten.find((s) => holds(s, p));
    if (segment === undefined) return undefined;
    const at = p.offset - segment.offset;
    const out = this.take(p.length);
    segment.buf.copy(out, 0, at, at + p.length);
    return out;
  }

  /** Room for one read's bytes, not shared with any other read. */
  private take(length: number): Buffer {
    if (length > SLAB_MAX_READ_BYTES) return Buffer.allocUnsafe(length);
    if (this.slabUsed + length > SLAB_BYTES) {
      this.slab = Buffer.allocUnsafe(SLAB_BYTES);
      this.slabUsed = 0;
    }
    const out = this.slab.subarray(this.slabUsed, this.slabUsed + length);
    this.slabUsed += (length + 7) & ~7;
    return out;
  }

  private check(place: InlinePlace): SpillPlace {
    const p = place as SpillPlace;
    if (p.file.closed) {
      throw new StrataError('NotFound', 'the bytes of this inline object are no longer kept: it was replaced or deleted while it was read');
    }
    return p;
  }

  /** A dropped file is closed after its grace period, once no read or write uses its descriptor. */
  private closeIfIdle(file: SpillFile): void {
    if (file.dropped && file.graceOver && file.users === 0 && !file.closed) this.closeFile(file);
  }

  private closeFile(file: SpillFile): void {
    file.closed = true;
    this.files.delete(file.gen);
    for (let i = this.unwritten.length - 1; i >= 0; i--) if (this.unwritten[i]?.file === file) this.unwritten.splice(i, 1);
    closeSync(file.fd);
  }
}

/** Whether `segment` holds all of the place's bytes. */
function holds(segment: Segment, p: SpillPlace): boolean {
  return segment.file === p.file && p.offset >= segment.offset && p.offset + p.length <= segment.offset + segment.used;
}

function shortRead(p: SpillPlace): StrataError {
  return new StrataError('Corruption', `inline bytes at ${p.offset} of ${p.file.path} end early`);
}

function readAt(fd: number, buf: Buffer, at: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, at, length, position, (err, n) => (err ? reject(err) : resolve(n))));
}

async function writeFully(fd: number, buf: Buffer, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    done += await new Promise<number>((resolve, reject) => write(fd, buf, done, length - done, position + done, (err, n) => (err ? reject(err) : resolve(n))));
  }
}
