import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AwsChunkedDecoder } from './aws-chunked.js';
import { checksumOf } from './checksums.js';
import { S3Error } from './errors.js';
import { deriveSigningKey } from './sigv4.js';

// The streaming examples of the S3 API reference (sigv4-streaming and sigv4-streaming-trailers):
// 65 KiB of 'a' in a 64 KiB and a 1 KiB chunk, seed signatures from the Authorization header.
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const signingKey = deriveSigningKey(SECRET, '20130524', 'us-east-1', 's3');
const context = (seedSignature: string) => ({ signingKey, amzDate: '20130524T000000Z', scope: '20130524/us-east-1/s3/aws4_request', seedSignature });

function signedExample(): Buffer {
  return Buffer.concat([
    Buffer.from('10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n'),
    Buffer.alloc(65536, 'a'),
    Buffer.from('\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n'),
    Buffer.alloc(1024, 'a'),
    Buffer.from('\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n'),
  ]);
}

function trailerExample(trailerSignature = 'd81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435'): Buffer {
  return Buffer.concat([
    Buffer.from('10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n'),
    Buffer.alloc(65536, 'a'),
    Buffer.from('\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n'),
    Buffer.alloc(1024, 'a'),
    Buffer.from('\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n'),
    Buffer.from(`x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:${trailerSignature}\r\n\r\n`),
  ]);
}

/** The encoded body as a stream cut at the given offsets (network reads of any size). */
async function* split(data: Buffer, cuts: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (cut <= at || cut >= data.length) continue;
    yield data.subarray(at, cut);
    at = cut;
  }
  yield data.subarray(at);
}

async function decodeAll(decoder: AwsChunkedDecoder, source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const piece of decoder.decode(source)) out.push(Buffer.from(piece));
  return Buffer.concat(out);
}

async function failure(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (err) {
    if (err instanceof S3Error) return err.code;
    throw err;
  }
  return 'ok';
}

describe('aws-chunked, signed (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)', () => {
  it('decodes the AWS example and verifies every chunk signature', async () => {
    const decoder = new AwsChunkedDecoder({ signing: context('4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9'), expectTrailer: false });
    const data = await decodeAll(decoder, split(signedExample(), []));
    expect(data.equals(Buffer.alloc(66560, 'a'))).toBe(true);
  });

  it('decodes whatever the network reads look like', async () => {
    const body = signedExample();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: body.length - 1 }), { maxLength: 40 }), async (cuts) => {
        const decoder = new AwsChunkedDecoder({ signing: context('4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9'), expectTrailer: false });
        const data = await decodeAll(decoder, split(body, cuts));
        expect(data.length).toBe(66560);
      }),
      { numRuns: 60 },
    );
    // Every cut inside the header lines, one byte at a time.
    const decoder = new AwsChunkedDecoder({ signing: context('4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9'), expectTrailer: false });
    const cuts = Array.from({ length: 90 }, (_, i) => i + 1).concat(Array.from({ length: 100 }, (_, i) => 65536 + 80 + i));
    expect((await decodeAll(decoder, split(body, cuts))).length).toBe(66560);
  });

  it('refuses a bad chunk signature, a wrong seed, and tampered data', async () => {
    const badSig = Buffer.from(signedExample().toString('latin1').replace('0055627c', '1055627c'), 'latin1');
    const seed = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
    expect(await failure(decodeAll(new AwsChunkedDecoder({ signing: context(seed), expectTrailer: false }), split(badSig, [])))).toBe('SignatureDoesNotMatch');
    expect(await failure(decodeAll(new AwsChunkedDecoder({ signing: context('0'.repeat(64)), expectTrailer: false }), split(signedExample(), [])))).toBe(
      'SignatureDoesNotMatch',
    );
    const tampered = signedExample();
    tampered[1000] = 'b'.charCodeAt(0);
    expect(await failure(decodeAll(new AwsChunkedDecoder({ signing: context(seed), expectTrailer: false }), split(tampered, [])))).toBe('SignatureDoesNotMatch');
  });

  it('refuses a truncated body and a chunk longer than declared', async () => {
    const seed = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
    const truncated = signedExample().subarray(0, 66_000);
    expect(await failure(decodeAll(new AwsChunkedDecoder({ signing: context(seed), expectTrailer: false }), split(truncated, [])))).toBe('IncompleteBody');
    const long = Buffer.from('3\r\nabcd\r\n0\r\n\r\n');
    expect(await failure(decodeAll(new AwsChunkedDecoder({ expectTrailer: false }), split(long, [])))).toBe('InvalidRequest');
    expect(await failure(decodeAll(new AwsChunkedDecoder({ expectTrailer: false }), split(Buffer.from('zz\r\n'), [])))).toBe('InvalidRequest');
  });
});

describe('aws-chunked with trailers', () => {
  it('decodes the AWS signed-trailer example and verifies the trailer signature', async () => {
    const decoder = new AwsChunkedDecoder({ signing: context('106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e'), expectTrailer: true });
    const data = await decodeAll(decoder, split(trailerExample(), [65600, 66700, 66750]));
    expect(data.length).toBe(66560);
    expect(decoder.trailers.get('x-amz-checksum-crc32c')).toBe('sOO8/Q==');
    // The example's trailer is the real CRC32C of the data.
    expect(await checksumOf('CRC32C', data)).toBe('sOO8/Q==');
  });

  it('refuses a bad trailer signature', async () => {
    const decoder = new AwsChunkedDecoder({ signing: context('106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e'), expectTrailer: true });
    expect(await failure(decodeAll(decoder, split(trailerExample('e'.repeat(64)), [])))).toBe('SignatureDoesNotMatch');
  });

  it('decodes unsigned chunks with a trailer, split anywhere', async () => {
    const body = Buffer.from('5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n');
    for (let cut = 1; cut < body.length; cut++) {
      const decoder = new AwsChunkedDecoder({ expectTrailer: true });
      expect((await decodeAll(decoder, split(body, [cut, cut + 3]))).toString()).toBe('hello world');
      expect(decoder.trailers.get('x-amz-checksum-crc32')).toBe('DUoRhQ==');
    }
  });
});

/** Capture the raw body the real AWS SDK v3 sends for a streaming PutObject (default checksums on). */
async function captureSdkUpload(payload: Buffer): Promise<{ headers: IncomingMessage['headers']; body: Buffer }> {
  let captured: { headers: IncomingMessage['headers']; body: Buffer } | undefined;
  const server = createServer(async (req, res) => {
    const pieces: Buffer[] = [];
    for await (const piece of req) pieces.push(piece as Buffer);
    captured = { headers: req.headers, body: Buffer.concat(pieces) };
    res.writeHead(200, { etag: '"x"' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET' },
  });
  try {
    const pieces = [payload.subarray(0, 10_000), payload.subarray(10_000, 70_000), payload.subarray(70_000)];
    await client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: Readable.from(pieces), ContentLength: payload.length }));
  } finally {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  if (captured === undefined) throw new Error('nothing captured');
  return captured;
}

describe('aws-chunked from the real AWS SDK v3', () => {
  it('decodes STREAMING-UNSIGNED-PAYLOAD-TRAILER with its CRC32 trailer, split anywhere', async () => {
    const payload = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31) % 251));
    const { headers, body } = await captureSdkUpload(payload);
    expect(headers['x-amz-content-sha256']).toBe('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    expect(headers['content-encoding']).toContain('aws-chunked');
    expect(headers['x-amz-decoded-content-length']).toBe(String(payload.length));
    const trailer = String(headers['x-amz-trailer']);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: body.length - 1 }), { maxLength: 30 }), async (cuts) => {
        const decoder = new AwsChunkedDecoder({ expectTrailer: true });
        const data = await decodeAll(decoder, split(body, cuts));
        expect(data.equals(payload)).toBe(true);
        expect(decoder.trailers.get(trailer)).toBe(await checksumOf('CRC32', payload));
      }),
      { numRuns: 30 },
    );
  });
});
