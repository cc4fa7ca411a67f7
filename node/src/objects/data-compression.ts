import { createHash, type Hash } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import { promisify } from 'node:util';
import { constants, createGunzip, createGzip, deflateRaw } from 'node:zlib';
import { StrataError } from '../platform/errors.js';

/** [data] compression: the codec new erasure-coded objects are written with. */
export type CompressionSetting = 'none' | 'gzip';

/**
 * Level 1 (fastest): on 2 cores MD5 already caps a PUT stream near 600 MB/s, and level 6 would cut that
 * several-fold for a few percent of ratio. zlib runs on the libuv thread pool, off the event loop.
 */
const GZIP_OPTIONS = { level: constants.Z_BEST_SPEED, chunkSize: 64 * 1024 };

/** Bytes of the start of a body tried before compressing the whole of it. */
export const COMPRESSION_SAMPLE_BYTES = 64 * 1024;
/** The sample must shrink to this fraction or less for the object to be stored compressed. */
const WORTHWHILE_RATIO = 0.9;
const deflateRawAsync = promisify(deflateRaw);

/**
 * Whether an object whose first bytes are `sample` is worth compressing. Already-compressed data (media,
 * archives, encrypted bytes) does not shrink, and deflating it is the slowest case zlib has (about 23
 * MB/s a core here, against 190 MB/s for text): such objects are stored plain, which their layout says.
 */
export async function worthCompressing(sample: Uint8Array): Promise<boolean> {
  if (sample.byteLength === 0) return false;
  const deflated = await deflateRawAsync(sample, { level: constants.Z_BEST_SPEED });
  return deflated.byteLength <= sample.byteLength * WORTHWHILE_RATIO;
}

/** The most bytes gzip can turn `sizeBytes` into (stored blocks: 5 bytes per 16 KiB, plus header). */
export function gzipBoundBytes(sizeBytes: number): number {
  return sizeBytes + 5 * Math.ceil(sizeBytes / 16_000) + 64;
}

/** Counts and hashes (MD5) the uncompressed bytes as they pass: ETag and size are of these. */
export class BodyMeter {
  private readonly md5: Hash = createHash('md5');
  private byteCount = 0;
  private finished = false;
  private digestValue: Buffer | undefined;

  constructor(private readonly body: AsyncIterable<Uint8Array>) {}

  get sizeBytes(): number {
    return this.byteCount;
  }

  digest(): Buffer {
    if (!this.finished) throw new Error('BodyMeter.digest() before the body was read to its end');
    this.digestValue ??= this.md5.digest();
    return this.digestValue;
  }

  async *pieces(): AsyncGenerator<Uint8Array> {
    for await (const piece of this.body) {
      this.md5.update(piece);
      this.byteCount += piece.byteLength;
      yield piece;
    }
    this.finished = true;
  }
}

/**
 * The gzip stream of `body`. An error of the body (a failed signature check) ends the stream with that
 * error; a consumer that stops early destroys the compressor and returns the body's iterator.
 */
export function gzipPieces(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  return pipeline(Readable.from(body, { objectMode: false }), createGzip(GZIP_OPTIONS), () => {});
}

/**
 * Bytes [start, end] of an object whose stored bytes are the gzip stream `stored`. gzip cannot seek, so
 * a range decompresses from the start and discards what precedes `start`; reading stops after `end`.
 * The whole stream's length and gzip CRC are checked when the range reaches the object's end.
 */
export async function* gunzipRange(stored: AsyncIterable<Uint8Array>, sizeBytes: number, start: number, end: number): AsyncGenerator<Uint8Array> {
  const plain: AsyncIterable<Uint8Array> = pipeline(Readable.from(stored, { objectMode: false }), createGunzip({ chunkSize: 64 * 1024 }), () => {});
  let offset = 0;
  try {
    for await (const piece of plain) {
      const pieceEnd = offset + piece.byteLength; // exclusive
      if (pieceEnd > start && offset <= end) {
        yield piece.subarray(Math.max(start, offset) - offset, Math.min(end + 1, pieceEnd) - offset);
      }
      offset = pieceEnd;
      if (offset > end && end < sizeBytes - 1) return;
    }
  } catch (error) {
    if (error instanceof StrataError) throw error;
    throw new StrataError('Corruption', `compressed object data does not decompress: ${(error as Error).message}`, { cause: error });
  }
  if (offset !== sizeBytes) throw new StrataError('Corruption', `compressed object data holds ${offset} bytes, the manifest says ${sizeBytes}`);
}
