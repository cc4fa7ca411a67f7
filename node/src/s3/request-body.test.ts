import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checksumOf } from './checksums.js';
import { S3Error } from './errors.js';
import { VerifiedBody } from './request-body.js';
import { deriveSigningKey, trailerSignature } from './sigv4.js';

const signing = { signingKey: deriveSigningKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1', 's3'), amzDate: '20130524T000000Z', scope: '20130524/us-east-1/s3/aws4_request', seedSignature: '' };

async function* pieces(...parts: (string | Buffer)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

async function drain(body: VerifiedBody): Promise<{ result: string; data: Buffer }> {
  const out: Buffer[] = [];
  try {
    for await (const piece of body) out.push(Buffer.from(piece));
  } catch (err) {
    if (err instanceof S3Error) return { result: err.code, data: Buffer.concat(out) };
    throw err;
  }
  return { result: 'ok', data: Buffer.concat(out) };
}

describe('VerifiedBody', () => {
  it('checks a signed SHA-256 payload hash at the end', async () => {
    const good = createHash('sha256').update('hello world').digest('hex');
    const ok = new VerifiedBody({ source: pieces('hello ', 'world'), headers: { 'content-length': '11' }, payloadHash: good, signing });
    expect((await drain(ok)).result).toBe('ok');
    const bad = new VerifiedBody({ source: pieces('hello ', 'there'), headers: { 'content-length': '11' }, payloadHash: good, signing });
    expect((await drain(bad)).result).toBe('XAmzContentSHA256Mismatch');
    expect(bad.failure?.code).toBe('XAmzContentSHA256Mismatch');
  });

  it('checks x-amz-checksum-* headers and reports the verified value', async () => {
    const crc = await checksumOf('CRC32', Buffer.from('hello'));
    const ok = new VerifiedBody({ source: pieces('he', 'llo'), headers: { 'x-amz-checksum-crc32': crc }, payloadHash: 'UNSIGNED-PAYLOAD', signing });
    expect((await drain(ok)).result).toBe('ok');
    expect(ok.verifiedChecksums).toEqual({ 'x-amz-checksum-crc32': crc });
    const bad = new VerifiedBody({ source: pieces('hellO'), headers: { 'x-amz-checksum-crc32': crc }, payloadHash: 'UNSIGNED-PAYLOAD', signing });
    expect((await drain(bad)).result).toBe('BadDigest');
    expect(() => new VerifiedBody({ source: pieces(''), headers: { 'x-amz-checksum-sha256': 'short' }, payloadHash: 'UNSIGNED-PAYLOAD', signing })).toThrow(S3Error);
  });

  it('checks the trailer checksum of STREAMING-UNSIGNED-PAYLOAD-TRAILER', async () => {
    const headers = { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '5', 'x-amz-trailer': 'x-amz-checksum-crc64nvme' };
    const good = await checksumOf('CRC64NVME', Buffer.from('hello'));
    const ok = new VerifiedBody({ source: pieces('5\r\nhel', 'lo\r\n0\r\n', `x-amz-checksum-crc64nvme:${good}\r\n\r\n`), headers, payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', signing });
    const okResult = await drain(ok);
    expect(okResult).toEqual({ result: 'ok', data: Buffer.from('hello') });
    const bad = new VerifiedBody({ source: pieces('5\r\nhello\r\n0\r\n', 'x-amz-checksum-crc64nvme:AAAAAAAAAAA=\r\n\r\n'), headers, payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', signing });
    expect((await drain(bad)).result).toBe('BadDigest');
    const missing = new VerifiedBody({ source: pieces('5\r\nhello\r\n0\r\n\r\n'), headers, payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', signing });
    expect((await drain(missing)).result).toBe('InvalidRequest');
    const short = new VerifiedBody({ source: pieces('3\r\nhel\r\n0\r\n', `x-amz-checksum-crc64nvme:${good}\r\n\r\n`), headers, payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', signing });
    expect((await drain(short)).result).toBe('IncompleteBody');
  });

  it('signed trailer: a correctly signed but wrong checksum is BadDigest', async () => {
    // Chunk signatures of the AWS trailer example, then a trailer we sign ourselves with a wrong CRC32C.
    const finalSig = '2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992';
    const wrong = 'AAAAAA==';
    const trailerSig = trailerSignature(signing, finalSig, `x-amz-checksum-crc32c:${wrong}\n`);
    const body = [
      '10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n',
      Buffer.alloc(65536, 'a'),
      '\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n',
      Buffer.alloc(1024, 'a'),
      `\r\n0;chunk-signature=${finalSig}\r\n`,
      `x-amz-checksum-crc32c:${wrong}\r\nx-amz-trailer-signature:${trailerSig}\r\n\r\n`,
    ];
    const headers = { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '66560', 'x-amz-trailer': 'x-amz-checksum-crc32c' };
    const seeded = { ...signing, seedSignature: '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e' };
    const bad = new VerifiedBody({ source: pieces(...body), headers, payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', signing: seeded });
    expect((await drain(bad)).result).toBe('BadDigest');
    // The same trailer with the signature of the AWS example (for sOO8/Q==) fails the trailer signature.
    body[5] = `x-amz-checksum-crc32c:${wrong}\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n`;
    const forged = new VerifiedBody({ source: pieces(...body), headers, payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', signing: seeded });
    expect((await drain(forged)).result).toBe('SignatureDoesNotMatch');
  });

  it('refuses a body shorter than Content-Length and aws-chunked without a decoded length', async () => {
    const short = new VerifiedBody({ source: pieces('abc'), headers: { 'content-length': '4' }, payloadHash: 'UNSIGNED-PAYLOAD', signing });
    expect((await drain(short)).result).toBe('IncompleteBody');
    expect(() => new VerifiedBody({ source: pieces(''), headers: { 'content-encoding': 'aws-chunked' }, payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', signing })).toThrow(/decoded-content-length/);
  });
});
