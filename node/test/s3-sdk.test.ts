import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapLimit, randomData, s3Client, sha256, sha256OfStream } from './harness/s3-helpers.js';
import { TestCluster } from './harness/test-cluster.js';

const MiB = 1024 * 1024;

describe('S3 through the AWS SDK v3 on a 3-node cluster', () => {
  const cluster = new TestCluster({ subnetBase: 150 });
  let s3: S3Client;
  const bucket = 'sdk-tests';

  beforeAll(async () => {
    await cluster.startNodes(3);
    s3 = s3Client(cluster.s3Url(2));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(async () => {
    s3?.destroy();
    await cluster.stopAll();
    cluster.cleanup();
  });

  it('stores small, inline-sized and multi-stripe objects and reads every byte back from any node', async () => {
    const sizes = [0, 1, 16 * 1024, 16 * 1024 + 1, MiB - 1, MiB + 1, 3 * MiB + 7];
    for (const size of sizes) {
      const data = randomData(size);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `sizes/${size}`, Body: data, ContentType: 'application/x-test', Metadata: { origin: 'sdk' } }));
    }
    for (const node of [1, 2, 3]) {
      const reader = s3Client(cluster.s3Url(node));
      for (const size of sizes) {
        const got = await reader.send(new GetObjectCommand({ Bucket: bucket, Key: `sizes/${size}` }));
        expect(got.ContentType).toBe('application/x-test');
        expect(got.Metadata).toEqual({ origin: 'sdk' });
        const { bytes } = await sha256OfStream(got.Body as AsyncIterable<Uint8Array>);
        expect(bytes).toBe(size);
      }
      reader.destroy();
    }
  });

  it('round-trips a 100 MiB object uploaded in parts, compared by SHA-256, with range reads', async () => {
    const partSize = 10 * MiB;
    const parts = Array.from({ length: 10 }, () => randomData(partSize));
    const expected = sha256(Buffer.concat(parts));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'big/100MiB' }));
    const etags = await mapLimit(parts, 3, async (body) => {
      const partNumber = parts.indexOf(body) + 1;
      const res = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'big/100MiB', UploadId, PartNumber: partNumber, Body: body }));
      return { PartNumber: partNumber, ETag: res.ETag };
    });
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'big/100MiB', UploadId, MultipartUpload: { Parts: etags } }));
    expect(done.ETag).toMatch(/-10"$/);

    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/100MiB' }));
    expect(await sha256OfStream(got.Body as AsyncIterable<Uint8Array>)).toEqual({ hash: expected, bytes: 100 * MiB });

    const whole = Buffer.concat(parts);
    for (const [start, end] of [[0, 0], [partSize - 5, partSize + 5], [MiB - 1, 3 * MiB], [100 * MiB - 10, 100 * MiB - 1]] as const) {
      const ranged = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/100MiB', Range: `bytes=${start}-${end}` }));
      expect(ranged.ContentRange).toBe(`bytes ${start}-${end}/${100 * MiB}`);
      const body = Buffer.from(await ranged.Body!.transformToByteArray());
      expect(sha256(body)).toBe(sha256(whole.subarray(start, end + 1)));
    }
  });

  it('lists a few thousand keys with prefixes, delimiters and pagination', async () => {
    const keys: string[] = [];
    for (let d = 0; d < 30; d++) for (let f = 0; f < 100; f++) keys.push(`tree/dir-${String(d).padStart(2, '0')}/file-${String(f).padStart(3, '0')}`);
    await mapLimit(keys, 32, (Key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key })));

    const top = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'tree/', Delimiter: '/' }));
    expect(top.CommonPrefixes?.map((p) => p.Prefix)).toEqual(Array.from({ length: 30 }, (_, d) => `tree/dir-${String(d).padStart(2, '0')}/`));
    expect(top.Contents ?? []).toEqual([]);

    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'tree/', MaxKeys: 700, ContinuationToken: token }));
      seen.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
      expect(page.IsTruncated).toBe(token !== undefined);
    } while (token);
    expect(seen).toEqual([...keys].sort());

    const after = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'tree/dir-29/', StartAfter: 'tree/dir-29/file-097' }));
    expect(after.Contents?.map((o) => o.Key)).toEqual(['tree/dir-29/file-098', 'tree/dir-29/file-099']);
  });

  it('exports the guide\'s S3, data and chunk storage metrics', async () => {
    const text = await (await fetch(`${cluster.adminUrl(2)}/metrics`)).text();
    for (const name of ['strata_data_reads_total', 'strata_data_writes_total', 'strata_data_bytes_read', 'strata_data_bytes_written', 'strata_chunk_storage_bytes', 'strata_chunk_storage_available_bytes']) {
      expect(text, name).toMatch(new RegExp(`^${name}(\\{[^}]*\\})? \\d`, 'm'));
    }
    expect(text).toMatch(/^strata_s3_requests_total\{[^}]*method="PUT"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^strata_s3_request_duration_seconds_bucket\{/m);
    expect(Number(/^strata_data_bytes_written(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1])).toBeGreaterThan(100 * MiB);
  });

  it('serves presigned GET and PUT, conditional writes and copies', async () => {
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: 'presigned/doc' }), { expiresIn: 300 });
    const data = randomData(200 * 1024);
    expect((await fetch(putUrl, { method: 'PUT', body: new Uint8Array(data) })).status).toBe(200);
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'presigned/doc' }), { expiresIn: 300 });
    const res = await fetch(getUrl);
    expect(res.status).toBe(200);
    expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(data));
    expect((await fetch(getUrl.replace(/X-Amz-Signature=[0-9a-f]+/, 'X-Amz-Signature=' + '0'.repeat(64)))).status).toBe(403);

    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond/once', Body: 'first', IfNoneMatch: '*' }));
    await expect(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond/once', Body: 'second', IfNoneMatch: '*' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 412 },
    });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'cond/once' }));
    await expect(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond/once', Body: 'third', IfMatch: '"00000000000000000000000000000000"' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 412 },
    });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'cond/once', Body: 'fourth', IfMatch: head.ETag }));

    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy/doc', CopySource: `${bucket}/presigned/doc` }));
    const copied = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy/doc' }));
    expect(sha256(Buffer.from(await copied.Body!.transformToByteArray()))).toBe(sha256(data));

    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'copy/doc' }));
    await expect(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy/doc' }))).rejects.toMatchObject({ name: 'NoSuchKey' });
  });
});
