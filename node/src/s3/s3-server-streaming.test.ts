import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../platform/clock.js';
import { InMemoryObjectService } from './in-memory-object-service.testkit.js';
import { S3Server } from './s3-server.js';

// The chunked-upload example of the S3 API reference (sigv4-streaming), replayed byte for byte against
// the server with its clock at the example's time: the seed signature, then every chunk signature.
const NOW = Date.UTC(2013, 4, 24, 0, 0, 0);
const clock: Clock = { nowMs: () => 0, wallMs: () => NOW, setTimeout: () => ({ cancel() {} }), setInterval: () => ({ cancel() {} }) };

function exampleBody(secondChunkSignature = '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497'): Buffer {
  return Buffer.concat([
    Buffer.from('10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n'),
    Buffer.alloc(65536, 'a'),
    Buffer.from(`\r\n400;chunk-signature=${secondChunkSignature}\r\n`),
    Buffer.alloc(1024, 'a'),
    Buffer.from('\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n'),
  ]);
}

let service: InMemoryObjectService;
let server: S3Server;

beforeAll(async () => {
  service = new InMemoryObjectService();
  await service.createBucket('examplebucket');
  server = new S3Server({ host: '127.0.0.1', port: 0, service, clock, credentials: [{ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }] });
  await server.start();
});

afterAll(async () => {
  await server.stop();
});

function send(body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method: 'PUT',
        path: '/examplebucket/chunkObject.txt',
        headers: {
          Host: 's3.amazonaws.com',
          'x-amz-date': '20130524T000000Z',
          'x-amz-storage-class': 'REDUCED_REDUNDANCY',
          Authorization:
            'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
          'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
          'Content-Encoding': 'aws-chunked',
          'x-amz-decoded-content-length': '66560',
          'Content-Length': String(body.length),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    // Odd-sized writes so chunk headers straddle network reads.
    for (let i = 0; i < body.length; i += 7_777) req.write(body.subarray(i, i + 7_777));
    req.end();
  });
}

describe('S3Server with the AWS signed chunked-upload example', () => {
  it('stores the object when every chunk signature verifies', async () => {
    const res = await send(exampleBody());
    expect(res.status).toBe(200);
    const stored = service.buckets.get('examplebucket')?.objects.get('chunkObject.txt');
    expect(stored?.data.equals(Buffer.alloc(66560, 'a'))).toBe(true);
    expect(stored?.head.headers['content-encoding']).toBeUndefined();
  });

  it('refuses a bad chunk signature and stores nothing', async () => {
    service.buckets.get('examplebucket')?.objects.clear();
    const res = await send(exampleBody('f'.repeat(64)));
    expect(res.status).toBe(403);
    expect(res.text).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(service.buckets.get('examplebucket')?.objects.size).toBe(0);
  });
});
