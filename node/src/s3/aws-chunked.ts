import { createHash } from 'node:crypto';
import { S3Error } from './errors.js';
import { chunkSignature, signaturesEqual, trailerSignature, type ChunkSigningContext } from './sigv4.js';

/**
 * Decoder of the aws-chunked body encoding (Content-Encoding: aws-chunked):
 *   hex-size[;chunk-signature=sig]\r\n data \r\n ... 0[;chunk-signature=sig]\r\n [trailer:value\r\n ...] \r\n
 * It streams: data is yielded as it arrives (never a whole chunk copied), chunk headers may be split
 * across network reads anywhere. With a signing context every chunk signature (and the trailer
 * signature) is checked against the chain from the seed signature; a bad one throws before the
 * iterator ends, so whoever consumes it aborts the write.
 */
export interface AwsChunkedOptions {
  /** Present for STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]: every chunk must carry a valid signature. */
  signing?: ChunkSigningContext;
  /** The -TRAILER variants: trailing headers follow the last chunk (signed ones end with x-amz-trailer-signature). */
  expectTrailer: boolean;
  /** A chunk or trailer line longer than this is refused (guards memory against garbage). */
  maxLineBytes?: number;
}

const CRLF = Buffer.from('\r\n');

export class AwsChunkedDecoder {
  /** Trailing headers (lower-case names, without x-amz-trailer-signature), filled once decoding ends. */
  readonly trailers = new Map<string, string>();
  private readonly options: Required<Omit<AwsChunkedOptions, 'signing'>> & { signing?: ChunkSigningContext };
  private previousSignature: string | undefined;

  constructor(options: AwsChunkedOptions) {
    this.options = { maxLineBytes: 8 * 1024, ...options };
    this.previousSignature = options.signing?.seedSignature;
  }

  async *decode(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
    let pending: Buffer = Buffer.alloc(0); // bytes of an incomplete header/CRLF/trailer line
    let state: 'size' | 'data' | 'data-crlf' | 'trailer' | 'done' = 'size';
    let remaining = 0;
    let chunkHash: ReturnType<typeof createHash> | undefined;
    let chunkSig: string | undefined;
    let canonicalTrailers = '';
    let trailerSig: string | undefined;

    const finishChunk = (): void => {
      const signing = this.options.signing;
      if (signing === undefined) return;
      const digest = (chunkHash ?? createHash('sha256')).digest('hex');
      const expected = chunkSignature(signing, this.previousSignature ?? '', digest);
      if (chunkSig === undefined || !signaturesEqual(expected, chunkSig)) {
        throw new S3Error('SignatureDoesNotMatch', 'an aws-chunked chunk signature does not match');
      }
      this.previousSignature = expected;
    };

    const finishTrailers = (): void => {
      const signing = this.options.signing;
      if (signing === undefined) return;
      if (trailerSig === undefined) {
        if (canonicalTrailers === '') return; // signed stream without trailers
        throw new S3Error('SignatureDoesNotMatch', 'the trailing headers carry no x-amz-trailer-signature');
      }
      const expected = trailerSignature(signing, this.previousSignature ?? '', canonicalTrailers);
      if (!signaturesEqual(expected, trailerSig)) throw new S3Error('SignatureDoesNotMatch', 'the trailer signature does not match');
    };

    for await (const piece of source) {
      let buf = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      while (buf.length > 0) {
        if (state === 'data') {
          const take = Math.min(remaining, buf.length);
          const slice = buf.subarray(0, take);
          chunkHash?.update(slice);
          remaining -= take;
          buf = buf.subarray(take);
          if (remaining === 0) state = 'data-crlf';
          yield slice;
          continue;
        }
        if (state === 'done') {
          throw new S3Error('InvalidRequest', 'bytes after the end of the aws-chunked body');
        }
        // Line-oriented states: gather up to the next CRLF.
        const joined: Buffer = pending.length > 0 ? Buffer.concat([pending, buf]) : buf;
        const end = joined.indexOf(CRLF);
        if (end < 0) {
          if (joined.length > this.options.maxLineBytes) throw new S3Error('InvalidRequest', 'an aws-chunked header line is too long');
          pending = Buffer.from(joined); // copy: the source may reuse its buffer
          buf = Buffer.alloc(0);
          continue;
        }
        const line = joined.subarray(0, end).toString('latin1');
        buf = joined.subarray(end + 2);
        pending = Buffer.alloc(0);
        if (state === 'data-crlf') {
          if (line !== '') throw new S3Error('InvalidRequest', 'an aws-chunked chunk is longer than its declared size');
          finishChunk();
          state = 'size';
        } else if (state === 'size') {
          const header = parseChunkHeader(line);
          chunkSig = header.signature;
          chunkHash = this.options.signing === undefined ? undefined : createHash('sha256');
          if (header.size === 0) {
            finishChunk();
            state = 'trailer';
          } else {
            remaining = header.size;
            state = 'data';
          }
        } else if (state === 'trailer') {
          if (line === '') {
            finishTrailers();
            state = 'done';
            continue;
          }
          const colon = line.indexOf(':');
          if (colon <= 0) throw new S3Error('InvalidRequest', 'a malformed aws-chunked trailer line');
          const name = line.slice(0, colon).trim().toLowerCase();
          const value = line.slice(colon + 1).trim();
          if (name === 'x-amz-trailer-signature') {
            trailerSig = value;
          } else {
            this.trailers.set(name, value);
            canonicalTrailers += `${name}:${value}\n`;
          }
        }
      }
    }
    // Some clients end the body right after the last trailer line, without the closing empty line.
    if (state === 'trailer' && pending.length > 0) {
      const line = pending.toString('latin1');
      const colon = line.indexOf(':');
      if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === 'x-amz-trailer-signature') trailerSig = line.slice(colon + 1).trim();
      else if (colon > 0) {
        const name = line.slice(0, colon).trim().toLowerCase();
        this.trailers.set(name, line.slice(colon + 1).trim());
        canonicalTrailers += `${name}:${line.slice(colon + 1).trim()}\n`;
      }
      pending = Buffer.alloc(0);
    }
    if (state === 'trailer' && pending.length === 0) {
      finishTrailers();
      state = 'done';
    }
    if (state !== 'done') throw new S3Error('IncompleteBody', 'the aws-chunked body ended early');
    if (this.options.expectTrailer && this.options.signing !== undefined && this.trailers.size > 0 && trailerSig === undefined) {
      throw new S3Error('SignatureDoesNotMatch', 'the trailing headers carry no x-amz-trailer-signature');
    }
  }
}

function parseChunkHeader(line: string): { size: number; signature?: string } {
  const [sizeText, ...extensions] = line.split(';');
  if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText.trim())) throw new S3Error('InvalidRequest', `malformed aws-chunked chunk size "${sizeText.slice(0, 20)}"`);
  let signature: string | undefined;
  for (const ext of extensions) {
    const eq = ext.indexOf('=');
    if (eq > 0 && ext.slice(0, eq).trim() === 'chunk-signature') signature = ext.slice(eq + 1).trim();
  }
  return { size: parseInt(sizeText.trim(), 16), signature };
}
