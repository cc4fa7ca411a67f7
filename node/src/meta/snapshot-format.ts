/**
 * The metadata snapshot's bytes: written from a captured view (format 4, binary), read in every format.
 *
 * Format 4 (decisions 0018, 0022):
 *   "SMS4"                                      magic (formats 1 and 2 are JSON text and start with '{')
 *   frame(JSON {clusterId, members, rebalance?, bucketCount})
 *   per bucket: frame(JSON {record, uploads, objectCount}), then objectCount objects, in key order:
 *     frame(JSON [key, manifest])
 *   frame(x) = u32 byte length (big-endian) + UTF-8 bytes of x, u32 blob count, per blob u32 length +
 *   bytes: the bytes of the inline layouts in x, which name them by index (meta/inline-bytes.ts).
 * Format 3 (read only) had no blobs: an object frame was followed by u32 inlineBytes (0xffffffff: not
 * inline) and that many bytes of base64, and inline parts of uploads were base64 in the JSON.
 *
 * Why binary: small objects live inline in the manifests, so a state of 20k 4 KiB objects is 85 MB, and
 * JSON.stringify + UTF-8 encoding of it took 0.45 s. Here the inline data is copied as bytes
 * and only the small rest goes through JSON. The writer hands the bytes out a 1 MiB page at a time (to
 * the snapshot file) and pauses after each ~256 KiB of work so requests and Raft run in between. It works
 * from a capture: B+trees cloned copy-on-write (records are never changed in place), so later commands
 * do not change what is written.
 */
import { StrataError } from '../platform/errors.js';
import type { RebalanceRequest } from './commands.js';
import { copyBytes, NO_BLOBS, parseWithBlobs, stringifyWithBlobs } from './inline-bytes.js';
import type { OrderedMap } from './ordered-map.js';
import type { BucketRecord, MemberRecord, MultipartUploadRecord, ObjectManifest, PartRecord } from './records.js';

export interface SnapshotUpload {
  record: MultipartUploadRecord;
  parts: PartRecord[];
}

/** One bucket as of the capture: its tree is a clone that later writes do not change. */
export interface CapturedBucket {
  record: BucketRecord;
  objects: OrderedMap<ObjectManifest>;
  uploads: SnapshotUpload[];
}

export interface CapturedState {
  clusterId: string;
  members: MemberRecord[];
  buckets: CapturedBucket[];
  rebalance?: RebalanceRequest;
}

/** A snapshot as read back, whatever its format. */
export interface DecodedSnapshot {
  clusterId: string;
  members: MemberRecord[];
  buckets: { record: BucketRecord; objects: [string, ObjectManifest][]; uploads: SnapshotUpload[] }[];
  rebalance?: RebalanceRequest;
}

/** Takes one slice of a snapshot's bytes; the slice may be reused once the promise resolves. */
export type SnapshotOut = (slice: Uint8Array) => Promise<void>;

/** A captured state, written when asked (the runtime's port has the same shape). */
export interface SnapshotCapture {
  /** Hands the bytes to `out` slice by slice; resolves with their count; rejects with the signal's reason when aborted. */
  writeTo(out: SnapshotOut, signal?: AbortSignal): Promise<number>;
}

/** Gives the event loop a turn; the simulator passes a microtask so its runs stay deterministic. */
export type Pause = () => Promise<void>;

export const yieldToEventLoop: Pause = () => new Promise((resolve) => setImmediate(resolve));

const MAGIC = Buffer.from('SMS4', 'latin1');
const MAGIC_3 = Buffer.from('SMS3', 'latin1');
const NOT_INLINE = 0xffffffff;
/** Bytes are gathered in pages of this size and handed out a page at a time (one more for a bigger frame). */
const PAGE_BYTES = 1024 * 1024;
/** The writer pauses after about this much work (bytes written, or JSON text made): a slice also reads inline bytes from disk (0024). */
const SLICE_BYTES = 256 * 1024;

/**
 * Where the snapshot's parts go: pages of PAGE_BYTES, handed out between objects and then reused, so a
 * snapshot of any size holds about two pages (a state of 20k inline 4 KiB objects is 113 MB; writing it
 * into one buffer of that size was the biggest spike of a node's memory).
 */
class PageSink {
  /** Filled pages (or one piece bigger than a page, `page` absent) not yet handed out. */
  readonly filled: { bytes: Uint8Array; page?: Buffer }[] = [];
  private page: Buffer;
  private at = 0;
  private readonly spare: Buffer[] = [];
  bytes = 0;
  private work = 0;

  constructor() {
    this.page = Buffer.allocUnsafe(PAGE_BYTES);
    this.at = MAGIC.copy(this.page, 0);
    this.bytes = this.at;
  }

  /** The JSON of `value`, then the bytes of its inline layouts. */
  frame(value: unknown): void {
    const blobs: Uint8Array[] = [];
    const text = stringifyWithBlobs(value, blobs);
    const bytes = Buffer.byteLength(text, 'utf8');
    this.u32(bytes);
    this.put(text, bytes);
    this.work += text.length;
    this.u32(blobs.length);
    for (const blob of blobs) {
      this.u32(blob.byteLength);
      this.raw(blob);
    }
  }

  u32(n: number): void {
    if (PAGE_BYTES - this.at < 4) this.endPage();
    this.page.writeUInt32BE(n, this.at);
    this.at += 4;
    this.bytes += 4;
  }

  private raw(blob: Uint8Array): void {
    this.work += blob.byteLength;
    // Records are never changed: a blob bigger than a page is handed out as it is, no copy needed.
    if (!this.room(blob.byteLength)) {
      this.filled.push({ bytes: blob });
      return;
    }
    this.page.set(blob, this.at);
    this.at += blob.byteLength;
  }

  /** Counts `bytes` and makes room for them in the page; false when they are bigger than a page (a piece of their own). */
  private room(bytes: number): boolean {
    this.bytes += bytes;
    if (bytes <= PAGE_BYTES - this.at) return true;
    this.endPage();
    return bytes <= PAGE_BYTES;
  }

  takeWork(): number {
    const work = this.work;
    this.work = 0;
    return work;
  }

  /** Hands the last, partly filled page to `filled` too. */
  finish(): void {
    this.endPage();
  }

  /** A page handed out and written: its memory serves the next one. */
  recycle(piece: { page?: Buffer }): void {
    if (piece.page !== undefined) this.spare.push(piece.page);
  }

  private put(text: string, bytes: number): void {
    if (!this.room(bytes)) {
      this.filled.push({ bytes: Buffer.from(text, 'utf8') });
      return;
    }
    this.page.write(text, this.at, bytes, 'utf8');
    this.at += bytes;
  }

  private endPage(): void {
    if (this.at === 0) return;
    this.filled.push({ bytes: this.page.subarray(0, this.at), page: this.page });
    this.page = this.spare.pop() ?? Buffer.allocUnsafe(PAGE_BYTES);
    this.at = 0;
  }
}

/** Feeds the snapshot's parts to a sink, in format order; yields after each object (a possible pause). */
function* visit(state: CapturedState, sink: PageSink): Generator<void> {
  const { clusterId, members, rebalance } = state;
  sink.frame({ clusterId, members, ...(rebalance === undefined ? {} : { rebalance }), bucketCount: state.buckets.length });
  for (const bucket of state.buckets) {
    sink.frame({ record: bucket.record, uploads: bucket.uploads, objectCount: bucket.objects.size });
    for (const entry of bucket.objects.entries()) {
      sink.frame(entry);
      yield;
    }
  }
}

/** The whole snapshot at once (bootstrap, backups, tests). */
export function writeSnapshotNow(state: CapturedState): Uint8Array {
  const sink = new PageSink();
  for (const _ of visit(state, sink));
  sink.finish();
  return Buffer.concat(
    sink.filled.map((piece) => piece.bytes),
    sink.bytes,
  );
}

/**
 * The same bytes as writeSnapshotNow, handed to `out` a page at a time (each awaited before its memory is
 * reused), pausing after each ~256 KiB of work; rejects with the signal's reason if aborted.
 */
export async function writeSnapshotTo(state: CapturedState, out: SnapshotOut, pause: Pause, signal?: AbortSignal): Promise<number> {
  const sink = new PageSink();
  const handOut = async (): Promise<void> => {
    while (sink.filled.length > 0) {
      const piece = sink.filled.shift()!;
      await out(piece.bytes);
      sink.recycle(piece);
      signal?.throwIfAborted();
    }
  };
  let work = 0;
  for (const _ of visit(state, sink)) {
    if (sink.filled.length > 0) await handOut();
    work += sink.takeWork();
    if (work < SLICE_BYTES) continue;
    work = 0;
    await pause();
    signal?.throwIfAborted();
  }
  sink.finish();
  await handOut();
  return sink.bytes;
}

/** Reads a snapshot of any format (1 and 2: JSON; 3 and 4: binary); Corruption when it cannot be read. */
export function readSnapshot(data: Uint8Array): DecodedSnapshot {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const magic = buf.subarray(0, MAGIC.length);
  if (magic.equals(MAGIC)) return readBinary(new Reader(buf, 4));
  if (magic.equals(MAGIC_3)) return readBinary(new Reader(buf, 3));
  return readJson(buf);
}

interface JsonSnapshot extends DecodedSnapshot {
  version: number;
  buckets: (DecodedSnapshot['buckets'][number] & { uploads?: SnapshotUpload[] })[];
}

function readJson(buf: Buffer): DecodedSnapshot {
  let parsed: JsonSnapshot;
  try {
    parsed = parseWithBlobs<JsonSnapshot>(buf.toString('utf8'), NO_BLOBS);
  } catch (cause) {
    throw new StrataError('Corruption', 'metadata snapshot is neither binary (format 3 or 4) nor valid JSON', { cause });
  }
  if (parsed.version !== 1 && parsed.version !== 2) {
    throw new StrataError('Corruption', `metadata snapshot version ${String(parsed.version)} is not supported`);
  }
  // Version 1 was written before multipart uploads existed.
  return { ...parsed, buckets: parsed.buckets.map((b) => ({ ...b, uploads: b.uploads ?? [] })) };
}

/** A cursor over format 3 or 4 bytes; every read checks the bounds, so a truncated snapshot is Corruption. */
class Reader {
  private at = MAGIC.length;
  constructor(
    private readonly buf: Buffer,
    readonly format: 3 | 4,
  ) {}

  private need(bytes: number, what: string): void {
    if (this.at + bytes > this.buf.length) {
      throw new StrataError('Corruption', `metadata snapshot is truncated (${what} at byte ${this.at} of ${this.buf.length})`);
    }
  }

  u32(what: string): number {
    this.need(4, what);
    const n = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return n;
  }

  /** A frame: its JSON and (format 4) its blobs, copied out so the state never keeps the snapshot's buffer. */
  frame<T>(what: string, bareLayout = false): T {
    const bytes = this.u32(what);
    this.need(bytes, what);
    const text = this.buf.toString('utf8', this.at, this.at + bytes);
    this.at += bytes;
    const blobs: Uint8Array[] = [];
    if (this.format === 4) {
      for (let count = this.u32(`the blob count of ${what}`); blobs.length < count; ) blobs.push(copyBytes(this.bytes(this.u32(`a blob length of ${what}`), `a blob of ${what}`)));
    }
    try {
      return parseWithBlobs<T>(text, (i) => blobs[i] ?? NO_BLOBS(i), bareLayout);
    } catch (cause) {
      if (cause instanceof StrataError) throw cause;
      throw new StrataError('Corruption', `metadata snapshot: ${what} is not valid JSON`, { cause });
    }
  }

  bytes(length: number, what: string): Buffer {
    this.need(length, what);
    this.at += length;
    return this.buf.subarray(this.at - length, this.at);
  }

  end(): void {
    if (this.at !== this.buf.length) throw new StrataError('Corruption', `metadata snapshot has ${this.buf.length - this.at} bytes after its end`);
  }
}

function readBinary(r: Reader): DecodedSnapshot {
  const head = r.frame<{ clusterId: string; members: MemberRecord[]; rebalance?: RebalanceRequest; bucketCount: number }>('the head');
  const buckets: DecodedSnapshot['buckets'] = [];
  for (let b = 0; b < head.bucketCount; b++) {
    const bucket = r.frame<{ record: BucketRecord; uploads: SnapshotUpload[]; objectCount: number }>(`bucket ${b}`);
    const objects: [string, ObjectManifest][] = new Array(bucket.objectCount);
    for (let i = 0; i < bucket.objectCount; i++) {
      const entry = r.frame<[string, ObjectManifest]>(`object ${i} of bucket ${bucket.record.name}`, r.format === 3);
      if (r.format === 3) {
        const inlineBytes = r.u32('an inline length');
        const bare = entry[1].layout?.kind === 'inline' && !('data' in entry[1].layout);
        if ((inlineBytes !== NOT_INLINE) !== bare) throw new StrataError('Corruption', `metadata snapshot: the inline data of ${entry[0]} does not match its layout`);
        if (bare) entry[1].layout = { kind: 'inline', data: copyBytes(Buffer.from(r.bytes(inlineBytes, `the inline data of ${entry[0]}`).toString('latin1'), 'base64')) };
      }
      objects[i] = entry;
    }
    buckets.push({ record: bucket.record, objects, uploads: bucket.uploads });
  }
  r.end();
  const { clusterId, members, rebalance } = head;
  return { clusterId, members, buckets, ...(rebalance === undefined ? {} : { rebalance }) };
}
