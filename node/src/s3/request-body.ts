import { createHash } from 'node:crypto';
import { AwsChunkedDecoder } from './aws-chunked.js';
import {
  algorithmOfHeader,
  checksumHeader,
  createChecksum,
  isWellFormedChecksum,
  parseChecksumAlgorithm,
  type ChecksumAlgorithm,
  type IncrementalChecksum,
} from './checksums.js';
import { S3Error } from './errors.js';
import { STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER, UNSIGNED_PAYLOAD, type ChunkSigningContext } from './sigv4.js';

/**
 * The request body as the ObjectService sees it: an AsyncIterable of the decoded bytes that verifies as
 * it streams (aws-chunked signatures, x-amz-content-sha256, x-amz-checksum-* from a header or trailer,
 * the declared length) and throws from its last step when a check fails, so the consumer aborts the write
 * and stores nothing. Nothing is buffered beyond one network read.
 */
export interface RequestBodyOptions {
  source: AsyncIterable<Uint8Array>;
  /** Lower-case request headers (Node's IncomingHttpHeaders shape). */
  headers: Record<string, string | string[] | undefined>;
  /** x-amz-content-sha256 as verified by SigV4. */
  payloadHash: string;
  signing: ChunkSigningContext;
}

export interface BodyDescription {
  /** The decoded length the client declared (x-amz-decoded-content-length or Content-Length). */
  sizeBytes?: number;
  /** Whether the body is aws-chunked (Content-Encoding is then stored without that token). */
  awsChunked: boolean;
  /** The checksum algorithm the client asked for (header or trailer), if any. */
  checksumAlgorithm?: ChecksumAlgorithm;
}

export class VerifiedBody implements AsyncIterable<Uint8Array> {
  readonly description: BodyDescription;
  /** The first verification failure, kept so the gateway reports it whatever the consumer rethrows. */
  failure: S3Error | undefined;
  /** Checksums the client sent and that matched, by header name, for echoing in the response. */
  readonly verifiedChecksums: Record<string, string> = {};
  private consumed = false;
  private readonly options: RequestBodyOptions;
  private readonly headerChecksum: { algorithm: ChecksumAlgorithm; expected: string } | undefined;
  private readonly trailerAlgorithm: ChecksumAlgorithm | undefined;

  constructor(options: RequestBodyOptions) {
    this.options = options;
    const h = (name: string): string | undefined => single(options.headers[name]);
    const payload = options.payloadHash;
    const awsChunked = payload.startsWith('STREAMING-');
    const expectTrailer = payload === STREAMING_SIGNED_TRAILER || payload === STREAMING_UNSIGNED_TRAILER;

    // Checksum: a header value known up front, or a trailer named by x-amz-trailer.
    let headerChecksum: { algorithm: ChecksumAlgorithm; expected: string } | undefined;
    for (const [name, value] of Object.entries(options.headers)) {
      const algorithm = algorithmOfHeader(name);
      if (algorithm === undefined || value === undefined) continue;
      if (headerChecksum !== undefined) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
      const expected = single(value) ?? '';
      if (!isWellFormedChecksum(algorithm, expected)) throw new S3Error('InvalidArgument', `Value for ${name} header is invalid.`);
      headerChecksum = { algorithm, expected };
    }
    let trailerAlgorithm: ChecksumAlgorithm | undefined;
    const trailerName = h('x-amz-trailer');
    if (trailerName !== undefined) {
      if (!expectTrailer) throw new S3Error('InvalidRequest', 'x-amz-trailer needs x-amz-content-sha256: STREAMING-*-TRAILER');
      trailerAlgorithm = algorithmOfHeader(trailerName);
      if (trailerAlgorithm === undefined) throw new S3Error('InvalidArgument', `unsupported x-amz-trailer "${trailerName}"`);
      if (headerChecksum !== undefined) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
    }
    const declared = h('x-amz-sdk-checksum-algorithm');
    const declaredAlgorithm = declared === undefined ? undefined : parseChecksumAlgorithm(declared);
    if (declared !== undefined && declaredAlgorithm === undefined) throw new S3Error('InvalidArgument', `unsupported x-amz-sdk-checksum-algorithm "${declared}"`);
    const chosen = headerChecksum?.algorithm ?? trailerAlgorithm;
    if (declaredAlgorithm !== undefined && chosen !== undefined && declaredAlgorithm !== chosen) {
      throw new S3Error('InvalidRequest', 'x-amz-sdk-checksum-algorithm does not match the checksum sent');
    }
    this.headerChecksum = headerChecksum;
    this.trailerAlgorithm = trailerAlgorithm;

    const sizeHeader = awsChunked ? h('x-amz-decoded-content-length') : h('content-length');
    let sizeBytes: number | undefined;
    if (sizeHeader !== undefined) {
      if (!/^\d{1,16}$/.test(sizeHeader)) throw new S3Error('InvalidArgument', `malformed ${awsChunked ? 'x-amz-decoded-content-length' : 'Content-Length'}`);
      sizeBytes = Number(sizeHeader);
    } else if (awsChunked) {
      throw new S3Error('MissingContentLength', 'aws-chunked uploads need x-amz-decoded-content-length');
    }
    this.description = { sizeBytes, awsChunked, checksumAlgorithm: chosen };
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    // A second pass would see an exhausted socket; that would be a bug in the caller.
    if (this.consumed) throw new S3Error('InternalError', 'the request body was read twice');
    this.consumed = true;
    return this.run()[Symbol.asyncIterator]();
  }

  private async *run(): AsyncGenerator<Uint8Array, void, undefined> {
    try {
      yield* this.verify();
    } catch (err) {
      if (err instanceof S3Error && this.failure === undefined) this.failure = err;
      throw err;
    }
  }

  private async *verify(): AsyncGenerator<Uint8Array, void, undefined> {
    const { payloadHash, signing, source } = this.options;
    const algorithm = this.headerChecksum?.algorithm ?? this.trailerAlgorithm;
    const checksum: IncrementalChecksum | undefined = algorithm === undefined ? undefined : await createChecksum(algorithm);
    const sha256 = /^[0-9a-f]{64}$/.test(payloadHash) ? createHash('sha256') : undefined;
    let decoder: AwsChunkedDecoder | undefined;
    let data: AsyncIterable<Uint8Array> = source;
    if (this.description.awsChunked) {
      const signed = payloadHash === STREAMING_SIGNED || payloadHash === STREAMING_SIGNED_TRAILER;
      decoder = new AwsChunkedDecoder({ signing: signed ? signing : undefined, expectTrailer: payloadHash !== STREAMING_SIGNED });
      data = decoder.decode(source);
    } else if (payloadHash !== UNSIGNED_PAYLOAD && sha256 === undefined) {
      throw new S3Error('InvalidArgument', `x-amz-content-sha256 ${payloadHash} needs Content-Encoding: aws-chunked`);
    }
    const limit = this.description.sizeBytes;
    let seen = 0;
    for await (const piece of data) {
      if (piece.byteLength === 0) continue;
      seen += piece.byteLength;
      if (limit !== undefined && seen > limit) throw new S3Error('InvalidRequest', 'the body is longer than its declared length');
      checksum?.update(piece);
      sha256?.update(piece);
      yield piece;
    }
    if (limit !== undefined && seen < limit) throw new S3Error('IncompleteBody');
    if (sha256 !== undefined && sha256.digest('hex') !== payloadHash) throw new S3Error('XAmzContentSHA256Mismatch');
    if (checksum !== undefined) {
      const header = checksumHeader(checksum.algorithm);
      const expected = this.headerChecksum?.expected ?? decoder?.trailers.get(header);
      if (expected === undefined) throw new S3Error('InvalidRequest', `the trailer ${header} was announced but not sent`);
      const actual = checksum.digestBase64();
      if (actual !== expected) throw new S3Error('BadDigest', `The ${checksum.algorithm} you specified did not match the calculated checksum.`);
      this.verifiedChecksums[header] = actual;
    }
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** Read a small verified body whole (XML requests); refuses more than maxBytes. */
export async function readSmallBody(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  let total = 0;
  for await (const piece of body) {
    total += piece.byteLength;
    if (total > maxBytes) throw new S3Error('InvalidRequest', `the request body exceeds ${maxBytes} bytes`);
    pieces.push(Buffer.from(piece));
  }
  return Buffer.concat(pieces);
}
