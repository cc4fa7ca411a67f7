import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import aws4 from 'aws4';
import { describe, expect, it } from 'vitest';
import { S3Error } from './errors.js';
import { S3Query } from './router.js';
import { canonicalQueryString, parseAuthorizationHeader, uriEncode, verify, type SigningRequest } from './sigv4.js';

// The examples of the S3 API reference ("Signature Calculations for the Authorization Header" and
// "Authenticating Requests: Using Query Parameters"): fixed credentials, time and expected signatures.
const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const credentials = [{ accessKeyId: AKID, secretAccessKey: SECRET }];
const NOW = Date.UTC(2013, 4, 24, 0, 0, 0);
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function request(method: string, url: string, headers: Record<string, string>): SigningRequest {
  const q = url.indexOf('?');
  return {
    method,
    rawPath: q < 0 ? url : url.slice(0, q),
    query: S3Query.parse(q < 0 ? '' : url.slice(q + 1)).pairs,
    rawHeaders: Object.entries(headers).flat(),
  };
}

function auth(signedHeaders: string, signature: string): string {
  return `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signedHeaders},Signature=${signature}`;
}

function code(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof S3Error) return err.code;
    throw err;
  }
  return 'ok';
}

const opts = { credentials, region: 'us-east-1', nowMs: NOW };

describe('SigV4 AWS examples', () => {
  it('GET object with Range', () => {
    const req = request('GET', '/test.txt', {
      Host: 'examplebucket.s3.amazonaws.com',
      Range: 'bytes=0-9',
      'x-amz-content-sha256': EMPTY,
      'x-amz-date': '20130524T000000Z',
      Authorization: auth('host;range;x-amz-content-sha256;x-amz-date', 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41'),
    });
    const result = verify(req, opts);
    expect(result.accessKeyId).toBe(AKID);
    expect(result.payloadHash).toBe(EMPTY);
    expect(result.signing.seedSignature).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  });

  it('PUT object with an escaped key, Date header and storage class', () => {
    const req = request('PUT', '/test%24file.text', {
      Host: 'examplebucket.s3.amazonaws.com',
      Date: 'Fri, 24 May 2013 00:00:00 GMT',
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      'x-amz-content-sha256': '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
      Authorization: auth('date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class', '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd'),
    });
    expect(code(() => verify(req, opts))).toBe('ok');
  });

  it('GET bucket lifecycle (a value-less subresource)', () => {
    const req = request('GET', '/?lifecycle', {
      Host: 'examplebucket.s3.amazonaws.com',
      'x-amz-content-sha256': EMPTY,
      'x-amz-date': '20130524T000000Z',
      Authorization: auth('host;x-amz-content-sha256;x-amz-date', 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543'),
    });
    expect(code(() => verify(req, opts))).toBe('ok');
  });

  it('GET bucket listing with sorted query parameters', () => {
    const req = request('GET', '/?max-keys=2&prefix=J', {
      Host: 'examplebucket.s3.amazonaws.com',
      'x-amz-content-sha256': EMPTY,
      'x-amz-date': '20130524T000000Z',
      Authorization: auth('host;x-amz-content-sha256;x-amz-date', '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7'),
    });
    expect(code(() => verify(req, opts))).toBe('ok');
  });

  const presigned =
    '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
    '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
    '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';

  it('presigned GET: valid within its lifetime, expired after, refused when tampered', () => {
    const req = request('GET', presigned, { Host: 'examplebucket.s3.amazonaws.com' });
    expect(verify(req, { ...opts, nowMs: NOW + 3_600_000 }).payloadHash).toBe('UNSIGNED-PAYLOAD');
    expect(code(() => verify(req, { ...opts, nowMs: NOW + 86_401_000 }))).toBe('AccessDenied');
    const tampered = request('GET', presigned.replace('test.txt', 'test2.txt'), { Host: 'examplebucket.s3.amazonaws.com' });
    expect(code(() => verify(tampered, opts))).toBe('SignatureDoesNotMatch');
    const longLived = request('GET', presigned.replace('X-Amz-Expires=86400', 'X-Amz-Expires=604801'), { Host: 'examplebucket.s3.amazonaws.com' });
    expect(code(() => verify(longLived, opts))).toBe('AuthorizationQueryParametersError');
  });
});

describe('SigV4 refusals', () => {
  const base = {
    Host: 'examplebucket.s3.amazonaws.com',
    Range: 'bytes=0-9',
    'x-amz-content-sha256': EMPTY,
    'x-amz-date': '20130524T000000Z',
    Authorization: auth('host;range;x-amz-content-sha256;x-amz-date', 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41'),
  };

  it.each([
    ['anonymous', { Authorization: undefined }, opts, 'AccessDenied'],
    ['unknown key', {}, { ...opts, credentials: [{ accessKeyId: 'OTHER', secretAccessKey: SECRET }] }, 'InvalidAccessKeyId'],
    ['wrong secret', {}, { ...opts, credentials: [{ accessKeyId: AKID, secretAccessKey: 'nope' }] }, 'SignatureDoesNotMatch'],
    ['changed signed header', { Range: 'bytes=0-10' }, opts, 'SignatureDoesNotMatch'],
    ['clock skew over 15 minutes', {}, { ...opts, nowMs: NOW + 16 * 60_000 }, 'RequestTimeTooSkewed'],
    ['wrong region', {}, { ...opts, region: 'eu-west-1' }, 'AuthorizationHeaderMalformed'],
    ['missing payload hash', { 'x-amz-content-sha256': undefined }, opts, 'InvalidRequest'],
    ['SigV2', { Authorization: `AWS ${AKID}:abc` }, opts, 'AuthorizationHeaderMalformed'],
  ] as const)('%s', (_name, change, options, expected) => {
    const headers: Record<string, string> = { ...base };
    for (const [k, v] of Object.entries(change)) {
      if (v === undefined) delete headers[k];
      else headers[k] = v;
    }
    expect(code(() => verify(request('GET', '/test.txt', headers), options))).toBe(expected);
  });

  it('a clock skew within 15 minutes is accepted', () => {
    expect(code(() => verify(request('GET', '/test.txt', base), { ...opts, nowMs: NOW + 14 * 60_000 }))).toBe('ok');
  });
});

describe('SigV4 canonical forms', () => {
  it('encodes as RFC 3986 over UTF-8', () => {
    expect(uriEncode("a b+c/d~e_f.g-h!*'()é")).toBe('a%20b%2Bc%2Fd~e_f.g-h%21%2A%27%28%29%C3%A9');
    expect(uriEncode('a/b c', true)).toBe('a/b%20c');
  });

  it('sorts the query by encoded name then value', () => {
    expect(canonicalQueryString([['prefix', 'J'], ['max-keys', '2'], ['acl', ''], ['b', '2'], ['b', '1']])).toBe('acl=&b=1&b=2&max-keys=2&prefix=J');
  });

  it('parses the Authorization header with or without spaces', () => {
    const parsed = parseAuthorizationHeader(`AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'a'.repeat(64)}`);
    expect(parsed.credential).toEqual({ accessKeyId: AKID, date: '20130524', region: 'us-east-1', service: 's3' });
    expect(parsed.signedHeaders).toEqual(['host', 'x-amz-date']);
  });
});

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** node:crypto behind smithy's Hash interface. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  reset(): void {}
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

describe('SigV4 cross-checked with other signers', () => {
  const key = "photos/2024 summer/ü (1)!*'.jpg";
  const encodedPath = '/my-bucket/' + key.split('/').map((s) => uriEncode(s)).join('/');
  const now = Date.UTC(2026, 0, 2, 3, 4, 5);

  it('@smithy/signature-v4 header signing (as the AWS SDK v3 signs)', async () => {
    const signer = new SignatureV4({ credentials: { accessKeyId: AKID, secretAccessKey: SECRET }, region: 'us-east-1', service: 's3', sha256: NodeSha256, uriEscapePath: false });
    const signed = await signer.sign(
      {
        method: 'PUT',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: 9080,
        path: encodedPath,
        query: { uploadId: 'abc', partNumber: '3' },
        headers: { host: '127.0.0.1:9080', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-meta-note': '  two  spaces ' },
      },
      { signingDate: new Date(now) },
    );
    const req = request('PUT', `${encodedPath}?uploadId=abc&partNumber=3`, signed.headers as Record<string, string>);
    expect(code(() => verify(req, { credentials, region: 'us-east-1', nowMs: now }))).toBe('ok');
    const other = request('PUT', `${encodedPath}?uploadId=abc&partNumber=4`, signed.headers as Record<string, string>);
    expect(code(() => verify(other, { credentials, region: 'us-east-1', nowMs: now }))).toBe('SignatureDoesNotMatch');
  });

  it('@smithy/signature-v4 presigning', async () => {
    const signer = new SignatureV4({ credentials: { accessKeyId: AKID, secretAccessKey: SECRET }, region: 'us-east-1', service: 's3', sha256: NodeSha256, uriEscapePath: false });
    const presigned = await signer.presign(
      // As @aws-sdk/s3-request-presigner does: S3 presigned URLs sign UNSIGNED-PAYLOAD.
      { method: 'GET', protocol: 'http:', hostname: 'localhost', path: encodedPath, query: {}, headers: { host: 'localhost', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
      { signingDate: new Date(now), expiresIn: 60, unhoistableHeaders: new Set(['x-amz-content-sha256']), unsignableHeaders: new Set(['x-amz-content-sha256']) },
    );
    const query = Object.entries(presigned.query ?? {})
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    const req = request('GET', `${encodedPath}?${query}`, { host: 'localhost' });
    expect(code(() => verify(req, { credentials, region: 'us-east-1', nowMs: now + 59_000 }))).toBe('ok');
    expect(code(() => verify(req, { credentials, region: 'us-east-1', nowMs: now + 61_000 }))).toBe('AccessDenied');
  });

  it('aws4 (normalises the path itself)', () => {
    const signed = aws4.sign(
      { host: 'localhost', path: `${encodedPath}?list-type=2&prefix=a%20b`, method: 'GET', service: 's3', region: 'us-east-1', headers: { 'X-Amz-Date': '20260102T030405Z' } },
      { accessKeyId: AKID, secretAccessKey: SECRET },
    );
    const req = request('GET', signed.path!, signed.headers as Record<string, string>);
    expect(code(() => verify(req, { credentials, region: 'us-east-1', nowMs: now }))).toBe('ok');
  });
});
