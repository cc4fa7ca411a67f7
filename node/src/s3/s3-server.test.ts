import http from 'node:http';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketAclCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import aws4 from 'aws4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BusyTimeMeter } from '../platform/busy-time-meter.js';
import type { Counter, Histogram, Labels, MetricsSink } from '../platform/metrics.js';
import { InMemoryObjectService } from './in-memory-object-service.testkit.js';
import { S3Server } from './s3-server.js';

const credentials = { accessKeyId: 'STRATAKEY', secretAccessKey: 'strata-secret-key' };
const MiB = 1024 * 1024;

class RecordingMetrics implements MetricsSink {
  readonly counts = new Map<string, number>();
  readonly observations: Labels[] = [];
  gauge() {
    return { set() {} };
  }
  counter(name: string): Counter {
    return { inc: (amount = 1, labels: Labels = {}) => void this.counts.set(`${name}${JSON.stringify(labels)}`, (this.counts.get(`${name}${JSON.stringify(labels)}`) ?? 0) + amount) };
  }
  histogram(): Histogram {
    return { observe: (_v: number, labels: Labels = {}) => void this.observations.push(labels) };
  }
}

let service: InMemoryObjectService;
let server: S3Server;
let client: S3Client;
const metrics = new RecordingMetrics();

beforeAll(async () => {
  service = new InMemoryObjectService();
  server = new S3Server({ host: '127.0.0.1', port: 0, service, credentials: [credentials], metrics, virtualHostSuffixes: ['s3.local'] });
  await server.start();
  client = new S3Client({ endpoint: server.url, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await server.stop();
});

beforeEach(() => {
  service.buckets.clear();
  service.uploads.clear();
});

async function errorOf(run: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await run;
  } catch (err) {
    const e = err as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  return { name: 'ok' };
}

async function text(body: unknown): Promise<string> {
  return (body as { transformToString(): Promise<string> }).transformToString();
}

describe('S3Server with the AWS SDK v3', () => {
  it('buckets: create, head, location, list, duplicate, invalid name, delete non-empty, delete', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'alpha' }));
    await client.send(new CreateBucketCommand({ Bucket: 'beta', CreateBucketConfiguration: { LocationConstraint: 'us-east-1' as never } }));
    await client.send(new HeadBucketCommand({ Bucket: 'alpha' }));
    expect((await client.send(new GetBucketLocationCommand({ Bucket: 'alpha' }))).LocationConstraint).toBeUndefined();
    const list = await client.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toEqual(['alpha', 'beta']);
    expect(await errorOf(client.send(new CreateBucketCommand({ Bucket: 'alpha' })))).toEqual({ name: 'BucketAlreadyOwnedByYou', status: 409 });
    expect(await errorOf(client.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })))).toEqual({ name: 'InvalidBucketName', status: 400 });
    expect((await errorOf(client.send(new HeadBucketCommand({ Bucket: 'nope' })))).status).toBe(404);
    await client.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'k', Body: 'x' }));
    expect(await errorOf(client.send(new DeleteBucketCommand({ Bucket: 'alpha' })))).toEqual({ name: 'BucketNotEmpty', status: 409 });
    await client.send(new DeleteObjectCommand({ Bucket: 'alpha', Key: 'k' }));
    await client.send(new DeleteBucketCommand({ Bucket: 'alpha' }));
    expect(await errorOf(client.send(new DeleteBucketCommand({ Bucket: 'alpha' })))).toEqual({ name: 'NoSuchBucket', status: 404 });
  });

  it('objects: put (string and stream with the default CRC32 trailer), get, head with metadata and headers, delete', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'objs' }));
    const put = await client.send(
      new PutObjectCommand({
        Bucket: 'objs',
        Key: 'dir/hello world ü.txt',
        Body: 'hello',
        ContentType: 'text/plain',
        CacheControl: 'max-age=60',
        ContentDisposition: 'attachment',
        ContentLanguage: 'en',
        Metadata: { color: 'blue', 'two-words': 'a b' },
      }),
    );
    expect(put.ETag).toBe('"5d41402abc4b2a76b9719d911017c592"');
    expect(put.ChecksumCRC32).toBeDefined();
    const got = await client.send(new GetObjectCommand({ Bucket: 'objs', Key: 'dir/hello world ü.txt' }));
    expect(await text(got.Body)).toBe('hello');
    expect(got.ContentType).toBe('text/plain');
    expect(got.CacheControl).toBe('max-age=60');
    expect(got.ContentDisposition).toBe('attachment');
    expect(got.ContentLanguage).toBe('en');
    expect(got.Metadata).toEqual({ color: 'blue', 'two-words': 'a b' });
    expect(got.ContentLength).toBe(5);

    const payload = Buffer.alloc(3 * MiB + 17, 7);
    const streamed = await client.send(
      new PutObjectCommand({ Bucket: 'objs', Key: 'big', Body: Readable.from([payload.subarray(0, MiB), payload.subarray(MiB)]), ContentLength: payload.length }),
    );
    expect(streamed.ChecksumCRC32).toBeDefined();
    const head = await client.send(new HeadObjectCommand({ Bucket: 'objs', Key: 'big' }));
    expect(head.ContentLength).toBe(payload.length);
    expect(head.ETag).toBe(streamed.ETag);
    const back = await client.send(new GetObjectCommand({ Bucket: 'objs', Key: 'big' }));
    expect(Buffer.from(await back.Body!.transformToByteArray()).equals(payload)).toBe(true);

    await client.send(new PutObjectCommand({ Bucket: 'objs', Key: 'c32c', Body: 'data', ChecksumAlgorithm: 'CRC32C' }));
    await client.send(new PutObjectCommand({ Bucket: 'objs', Key: 'c64', Body: Readable.from([Buffer.from('data')]), ContentLength: 4, ChecksumAlgorithm: 'CRC64NVME' }));
    await client.send(new PutObjectCommand({ Bucket: 'objs', Key: 'sha', Body: 'data', ChecksumAlgorithm: 'SHA256' }));

    await client.send(new DeleteObjectCommand({ Bucket: 'objs', Key: 'big' }));
    await client.send(new DeleteObjectCommand({ Bucket: 'objs', Key: 'big' })); // missing: still fine
    expect(await errorOf(client.send(new GetObjectCommand({ Bucket: 'objs', Key: 'big' })))).toEqual({ name: 'NoSuchKey', status: 404 });
    expect((await errorOf(client.send(new HeadObjectCommand({ Bucket: 'objs', Key: 'big' })))).status).toBe(404);
    expect(await errorOf(client.send(new PutObjectCommand({ Bucket: 'none', Key: 'k', Body: 'x' })))).toEqual({ name: 'NoSuchBucket', status: 404 });
  });

  it('refuses a wrong checksum (BadDigest) and stores nothing', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'sums' }));
    const before = service.puts;
    const wrong = await errorOf(client.send(new PutObjectCommand({ Bucket: 'sums', Key: 'k', Body: 'hello', ChecksumCRC32: 'AAAAAA==' })));
    expect(wrong).toEqual({ name: 'BadDigest', status: 400 });
    const wrongMd5 = await errorOf(client.send(new PutObjectCommand({ Bucket: 'sums', Key: 'k', Body: 'hello', ContentMD5: '1B2M2Y8AsgTpgAmY7PhCfg==' })));
    expect(wrongMd5).toEqual({ name: 'BadDigest', status: 400 });
    expect(service.puts).toBe(before);
    expect(service.buckets.get('sums')?.objects.size).toBe(0);
  });

  it('ranges: a-b, a-, -n, unsatisfiable', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'rng' }));
    await client.send(new PutObjectCommand({ Bucket: 'rng', Key: 'k', Body: '0123456789' }));
    const r1 = await client.send(new GetObjectCommand({ Bucket: 'rng', Key: 'k', Range: 'bytes=2-4' }));
    expect(await text(r1.Body)).toBe('234');
    expect(r1.ContentRange).toBe('bytes 2-4/10');
    expect(r1.$metadata.httpStatusCode).toBe(206);
    expect(await text((await client.send(new GetObjectCommand({ Bucket: 'rng', Key: 'k', Range: 'bytes=7-' }))).Body)).toBe('789');
    expect(await text((await client.send(new GetObjectCommand({ Bucket: 'rng', Key: 'k', Range: 'bytes=-3' }))).Body)).toBe('789');
    expect(await text((await client.send(new GetObjectCommand({ Bucket: 'rng', Key: 'k', Range: 'bytes=8-100' }))).Body)).toBe('89');
    expect(await errorOf(client.send(new GetObjectCommand({ Bucket: 'rng', Key: 'k', Range: 'bytes=10-' })))).toEqual({ name: 'InvalidRange', status: 416 });
    // A header that is not a single byte range is ignored, as S3 does.
    expect(await text((await client.send(new GetObjectCommand({ Bucket: 'rng', Key: 'k', Range: 'items=1-2' }))).Body)).toBe('0123456789');
  });

  it('conditional GET/HEAD and conditional PUT', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'cond' }));
    const { ETag } = await client.send(new PutObjectCommand({ Bucket: 'cond', Key: 'k', Body: 'v1' }));
    const past = new Date(Date.now() - 3_600_000);
    const future = new Date(Date.now() + 3_600_000);
    expect((await client.send(new GetObjectCommand({ Bucket: 'cond', Key: 'k', IfMatch: ETag }))).ETag).toBe(ETag);
    expect((await errorOf(client.send(new GetObjectCommand({ Bucket: 'cond', Key: 'k', IfMatch: '"other"' })))).status).toBe(412);
    expect((await errorOf(client.send(new GetObjectCommand({ Bucket: 'cond', Key: 'k', IfNoneMatch: ETag })))).status).toBe(304);
    expect((await errorOf(client.send(new HeadObjectCommand({ Bucket: 'cond', Key: 'k', IfNoneMatch: ETag })))).status).toBe(304);
    expect((await errorOf(client.send(new GetObjectCommand({ Bucket: 'cond', Key: 'k', IfModifiedSince: future })))).status).toBe(304);
    expect((await errorOf(client.send(new GetObjectCommand({ Bucket: 'cond', Key: 'k', IfUnmodifiedSince: past })))).status).toBe(412);
    // If-Match wins over a failing If-Unmodified-Since; If-None-Match decides over If-Modified-Since.
    expect((await client.send(new GetObjectCommand({ Bucket: 'cond', Key: 'k', IfMatch: ETag, IfUnmodifiedSince: past }))).ETag).toBe(ETag);
    expect((await client.send(new GetObjectCommand({ Bucket: 'cond', Key: 'k', IfNoneMatch: '"other"', IfModifiedSince: future }))).ETag).toBe(ETag);

    expect(await errorOf(client.send(new PutObjectCommand({ Bucket: 'cond', Key: 'k', Body: 'v2', IfNoneMatch: '*' })))).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect((await errorOf(client.send(new PutObjectCommand({ Bucket: 'cond', Key: 'k', Body: 'v2', IfMatch: '"other"' })))).status).toBe(412);
    await client.send(new PutObjectCommand({ Bucket: 'cond', Key: 'k', Body: 'v2', IfMatch: ETag }));
    await client.send(new PutObjectCommand({ Bucket: 'cond', Key: 'new', Body: 'v1', IfNoneMatch: '*' }));
    expect(await text((await client.send(new GetObjectCommand({ Bucket: 'cond', Key: 'k' }))).Body)).toBe('v2');
  });

  it('copy: COPY and REPLACE metadata, url-encoded source, conditionals, copy to itself', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'cpy' }));
    const { ETag } = await client.send(new PutObjectCommand({ Bucket: 'cpy', Key: 'src dir/ä+b.txt', Body: 'payload', ContentType: 'text/x', Metadata: { a: '1' } }));
    const source = `cpy/${encodeURIComponent('src dir/ä+b.txt')}`;
    const copied = await client.send(new CopyObjectCommand({ Bucket: 'cpy', Key: 'copy1', CopySource: source }));
    expect(copied.CopyObjectResult?.ETag).toBe(ETag);
    const h1 = await client.send(new HeadObjectCommand({ Bucket: 'cpy', Key: 'copy1' }));
    expect(h1.Metadata).toEqual({ a: '1' });
    expect(h1.ContentType).toBe('text/x');
    await client.send(new CopyObjectCommand({ Bucket: 'cpy', Key: 'copy2', CopySource: source, MetadataDirective: 'REPLACE', Metadata: { b: '2' }, ContentType: 'text/y' }));
    const h2 = await client.send(new HeadObjectCommand({ Bucket: 'cpy', Key: 'copy2' }));
    expect(h2.Metadata).toEqual({ b: '2' });
    expect(h2.ContentType).toBe('text/y');
    expect((await errorOf(client.send(new CopyObjectCommand({ Bucket: 'cpy', Key: 'copy3', CopySource: source, CopySourceIfMatch: '"nope"' })))).status).toBe(412);
    expect((await errorOf(client.send(new CopyObjectCommand({ Bucket: 'cpy', Key: 'copy3', CopySource: source, CopySourceIfNoneMatch: ETag })))).status).toBe(412);
    expect(await errorOf(client.send(new CopyObjectCommand({ Bucket: 'cpy', Key: 'copy1', CopySource: 'cpy/copy1' })))).toEqual({ name: 'InvalidRequest', status: 400 });
    expect(await errorOf(client.send(new CopyObjectCommand({ Bucket: 'cpy', Key: 'x', CopySource: 'cpy/missing' })))).toEqual({ name: 'NoSuchKey', status: 404 });
  });

  it('list V2 and V1: prefix, delimiter, pagination, start-after, encoding-type=url', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'lst' }));
    const keys = ['a/1', 'a/2', 'b/1', 'c', 'd e', 'f/x/y'];
    for (const Key of keys) await client.send(new PutObjectCommand({ Bucket: 'lst', Key, Body: Key }));
    const all = await client.send(new ListObjectsV2Command({ Bucket: 'lst' }));
    expect(all.Contents?.map((o) => o.Key)).toEqual(keys);
    expect(all.KeyCount).toBe(6);
    expect(all.Contents?.[0].Size).toBe(3);
    const delim = await client.send(new ListObjectsV2Command({ Bucket: 'lst', Delimiter: '/' }));
    expect(delim.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'b/', 'f/']);
    expect(delim.Contents?.map((o) => o.Key)).toEqual(['c', 'd e']);

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: 'lst', Delimiter: '/', MaxKeys: 2, ContinuationToken: token }));
      seen.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix!), ...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
      expect(page.IsTruncated).toBe(token !== undefined);
      pages += 1;
    } while (token !== undefined);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(['a/', 'b/', 'c', 'd e', 'f/']);

    expect((await client.send(new ListObjectsV2Command({ Bucket: 'lst', Prefix: 'a/' }))).Contents?.map((o) => o.Key)).toEqual(['a/1', 'a/2']);
    expect((await client.send(new ListObjectsV2Command({ Bucket: 'lst', StartAfter: 'c' }))).Contents?.map((o) => o.Key)).toEqual(['d e', 'f/x/y']);
    const encoded = await client.send(new ListObjectsV2Command({ Bucket: 'lst', Prefix: 'd', EncodingType: 'url' }));
    expect(encoded.Contents?.map((o) => o.Key)).toEqual(['d+e']);

    const v1 = await client.send(new ListObjectsCommand({ Bucket: 'lst', MaxKeys: 4 }));
    expect(v1.IsTruncated).toBe(true);
    expect(v1.NextMarker).toBe('c');
    const v1b = await client.send(new ListObjectsCommand({ Bucket: 'lst', Marker: v1.NextMarker }));
    expect(v1b.Contents?.map((o) => o.Key)).toEqual(['d e', 'f/x/y']);
    expect(v1b.IsTruncated).toBe(false);
    expect(await errorOf(client.send(new ListObjectsV2Command({ Bucket: 'lst', ContinuationToken: '!!' })))).toEqual({ name: 'InvalidArgument', status: 400 });
    expect(await errorOf(client.send(new ListObjectsV2Command({ Bucket: 'none' })))).toEqual({ name: 'NoSuchBucket', status: 404 });
  });

  it('DeleteObjects, verbose and quiet', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'del' }));
    for (const Key of ['a', 'b', 'c & d']) await client.send(new PutObjectCommand({ Bucket: 'del', Key, Body: 'x' }));
    const verbose = await client.send(new DeleteObjectsCommand({ Bucket: 'del', Delete: { Objects: [{ Key: 'a' }, { Key: 'c & d' }, { Key: 'missing' }] } }));
    expect(verbose.Deleted?.map((d) => d.Key)).toEqual(['a', 'c & d', 'missing']);
    const quiet = await client.send(new DeleteObjectsCommand({ Bucket: 'del', Delete: { Objects: [{ Key: 'b' }], Quiet: true } }));
    expect(quiet.Deleted ?? []).toEqual([]);
    expect(service.buckets.get('del')?.objects.size).toBe(0);
  });

  it('multipart: create, upload, copy a part, list parts and uploads, complete, errors, abort', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'mpu' }));
    await client.send(new PutObjectCommand({ Bucket: 'mpu', Key: 'src', Body: '0123456789' }));
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'obj', ContentType: 'app/x', Metadata: { m: 'v' } }));
    const part1 = Buffer.alloc(5 * MiB, 1);
    const p1 = await client.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'obj', UploadId, PartNumber: 1, Body: part1 }));
    const p2 = await client.send(new UploadPartCopyCommand({ Bucket: 'mpu', Key: 'obj', UploadId, PartNumber: 2, CopySource: 'mpu/src', CopySourceRange: 'bytes=2-5' }));
    const parts = await client.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'obj', UploadId }));
    expect(parts.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([[1, 5 * MiB], [2, 4]]);
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: 'mpu' }));
    expect(uploads.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([['obj', UploadId]]);

    const e1 = p1.ETag!;
    const e2 = p2.CopyPartResult!.ETag!;
    expect(await errorOf(client.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'obj', UploadId, MultipartUpload: { Parts: [{ PartNumber: 2, ETag: e2 }, { PartNumber: 1, ETag: e1 }] } })))).toEqual({
      name: 'InvalidPartOrder',
      status: 400,
    });
    expect(await errorOf(client.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'obj', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"bad"' }] } })))).toEqual({
      name: 'InvalidPart',
      status: 400,
    });
    expect(await errorOf(client.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'obj', UploadId, MultipartUpload: { Parts: [{ PartNumber: 2, ETag: e2 }, { PartNumber: 3, ETag: e2 }] } })))).toMatchObject({
      status: 400,
    });
    const done = await client.send(new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'obj', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }] } }));
    expect(done.ETag).toMatch(/^"[0-9a-f]{32}-2"$/);
    const head = await client.send(new HeadObjectCommand({ Bucket: 'mpu', Key: 'obj' }));
    expect(head.ContentLength).toBe(5 * MiB + 4);
    expect(head.Metadata).toEqual({ m: 'v' });
    const tail = await client.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'obj', Range: `bytes=${5 * MiB}-` }));
    expect(await text(tail.Body)).toBe('2345');

    // EntityTooSmall: a small first part.
    const small = await client.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'small' }));
    const s1 = await client.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'small', UploadId: small.UploadId, PartNumber: 1, Body: 'tiny' }));
    const s2 = await client.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'small', UploadId: small.UploadId, PartNumber: 2, Body: 'tiny' }));
    expect(
      await errorOf(
        client.send(
          new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'small', UploadId: small.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: s1.ETag }, { PartNumber: 2, ETag: s2.ETag }] } }),
        ),
      ),
    ).toEqual({ name: 'EntityTooSmall', status: 400 });
    await client.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'small', UploadId: small.UploadId }));
    expect(await errorOf(client.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'small', UploadId: small.UploadId })))).toEqual({ name: 'NoSuchUpload', status: 404 });
    expect(await errorOf(client.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'obj', UploadId: 'nope', PartNumber: 1, Body: 'x' })))).toEqual({ name: 'NoSuchUpload', status: 404 });
    expect(await errorOf(client.send(new UploadPartCommand({ Bucket: 'mpu', Key: 'obj', UploadId: 'nope', PartNumber: 10001, Body: 'x' })))).toEqual({ name: 'InvalidArgument', status: 400 });
  });

  it('errors: unknown key, bad secret, unsupported subresource, metadata too large, key too long', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'err' }));
    const stranger = new S3Client({ endpoint: server.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'WHO', secretAccessKey: 'x' }, maxAttempts: 1 });
    const badSecret = new S3Client({ endpoint: server.url, region: 'us-east-1', forcePathStyle: true, credentials: { ...credentials, secretAccessKey: 'wrong' }, maxAttempts: 1 });
    const otherRegion = new S3Client({ endpoint: server.url, region: 'eu-west-1', forcePathStyle: true, credentials, maxAttempts: 1 });
    try {
      expect(await errorOf(stranger.send(new ListBucketsCommand({})))).toEqual({ name: 'InvalidAccessKeyId', status: 403 });
      expect(await errorOf(badSecret.send(new ListBucketsCommand({})))).toEqual({ name: 'SignatureDoesNotMatch', status: 403 });
      expect(await errorOf(otherRegion.send(new ListBucketsCommand({})))).toEqual({ name: 'AuthorizationHeaderMalformed', status: 400 });
    } finally {
      stranger.destroy();
      badSecret.destroy();
      otherRegion.destroy();
    }
    expect(await errorOf(client.send(new GetBucketAclCommand({ Bucket: 'err' })))).toEqual({ name: 'NotImplemented', status: 501 });
    expect(await errorOf(client.send(new PutObjectCommand({ Bucket: 'err', Key: 'k', Body: 'x', Metadata: { big: 'v'.repeat(2100) } })))).toEqual({
      name: 'MetadataTooLarge',
      status: 400,
    });
    expect(await errorOf(client.send(new PutObjectCommand({ Bucket: 'err', Key: 'k'.repeat(1025), Body: 'x' })))).toEqual({ name: 'KeyTooLongError', status: 400 });
    expect(service.buckets.get('err')?.objects.size).toBe(0);
  });
});

describe('S3Server over raw HTTP', () => {
  it('refuses anonymous requests with S3 error XML and a request id', async () => {
    const res = await fetch(`${server.url}/some-bucket/key`);
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amz-request-id')).toMatch(/^[0-9A-F]{16}$/);
    const body = await res.text();
    expect(body).toContain('<Code>AccessDenied</Code>');
    expect(body).toContain('<Resource>/some-bucket/key</Resource>');
    expect(body).toContain(`<RequestId>${res.headers.get('x-amz-request-id')}</RequestId>`);
  });

  it('presigned GET and PUT with fetch; an expired URL is refused', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'pre' }));
    const putUrl = await getSignedUrl(client, new PutObjectCommand({ Bucket: 'pre', Key: 'a b/c.txt' }), { expiresIn: 60 });
    const put = await fetch(putUrl, { method: 'PUT', body: 'presigned body' });
    expect(put.status).toBe(200);
    const getUrl = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'pre', Key: 'a b/c.txt' }), { expiresIn: 60 });
    const got = await fetch(getUrl);
    expect(await got.text()).toBe('presigned body');
    const ranged = await fetch(getUrl, { headers: { range: 'bytes=0-8' } });
    expect(ranged.status).toBe(206);
    expect(await ranged.text()).toBe('presigned');
    const old = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'pre', Key: 'a b/c.txt' }), { expiresIn: 1, signingDate: new Date(Date.now() - 10_000) });
    const expired = await fetch(old);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('<Code>AccessDenied</Code>');
    const tampered = await fetch(getUrl.replace('c.txt', 'd.txt'));
    expect(tampered.status).toBe(403);
  });

  it('virtual-host style addressing (Host: bucket.s3.local)', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'vhost' }));
    await client.send(new PutObjectCommand({ Bucket: 'vhost', Key: 'x/y', Body: 'virtual' }));
    const vclient = new S3Client({ endpoint: `http://s3.local:${server.port}`, region: 'us-east-1', credentials, maxAttempts: 1 });
    // s3.local does not resolve: send to 127.0.0.1 but keep the signed Host header.
    vclient.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { hostname: string; headers: Record<string, string> };
        request.headers.host = `${request.hostname}:${server.port}`;
        request.hostname = '127.0.0.1';
        return next(args);
      },
      { step: 'finalizeRequest', name: 'toLoopback', priority: 'low' },
    );
    try {
      const got = await vclient.send(new GetObjectCommand({ Bucket: 'vhost', Key: 'x/y' }));
      expect(await text(got.Body)).toBe('virtual');
      const list = await vclient.send(new ListObjectsV2Command({ Bucket: 'vhost' }));
      expect(list.Contents?.map((o) => o.Key)).toEqual(['x/y']);
    } finally {
      vclient.destroy();
    }
  });

  it('malformed XML bodies get MalformedXML, a wrong payload hash XAmzContentSHA256Mismatch', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'xml' }));
    const host = new URL(server.url).host;
    const send = (path: string, method: string, body: string, headers: Record<string, string> = {}) => {
      const signed = aws4.sign({ host, path, method, body, service: 's3', region: 'us-east-1', headers }, credentials);
      return fetch(`${server.url}${path}`, { method, body, headers: signed.headers as Record<string, string> });
    };
    const bad = await send('/xml?delete', 'POST', '<Delete><Object><Key>a</Key></Delete>');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('<Code>MalformedXML</Code>');
    const wrongRoot = await send('/xml?delete', 'POST', '<Other/>');
    expect(await wrongRoot.text()).toContain('<Code>MalformedXML</Code>');
    const mismatch = await send('/xml/k', 'PUT', 'actual body', { 'X-Amz-Content-Sha256': 'a'.repeat(64) });
    expect(mismatch.status).toBe(400);
    expect(await mismatch.text()).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
    expect(service.buckets.get('xml')?.objects.size).toBe(0);
    const ok = await send('/xml/k', 'PUT', 'actual body');
    expect(ok.status).toBe(200);
  });

  it('counts requests per operation', () => {
    expect(metrics.counts.get('strata_s3_requests_total{"method":"PUT","operation":"PutObject"}')).toBeGreaterThan(0);
    expect(metrics.counts.get('strata_s3_requests_total{"method":"GET","operation":"GetObject"}')).toBeGreaterThan(0);
    expect(metrics.observations.some((l) => l.operation === 'ListObjectsV2')).toBe(true);
  });
});

describe('S3Server and its busy time', () => {
  it('counts a request as in flight from its arrival until its response is sent', async () => {
    let now = 0;
    const meter = new BusyTimeMeter({ nowMs: () => now, wallMs: () => now, setTimeout: () => ({ cancel() {} }), setInterval: () => ({ cancel() {} }) });
    const busyService = new InMemoryObjectService();
    const busyServer = new S3Server({ host: '127.0.0.1', port: 0, service: busyService, credentials: [credentials], busyTime: meter });
    await busyServer.start();
    try {
      const s3 = new S3Client({ endpoint: busyServer.url, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1 });
      await s3.send(new CreateBucketCommand({ Bucket: 'busy' }));
      // A PUT whose body arrives in two halves: the gateway is busy while it waits for the second.
      const { host, port } = new URL(busyServer.url);
      const body = 'x'.repeat(1000);
      const signed = aws4.sign(
        { host, path: '/busy/slow', method: 'PUT', service: 's3', region: 'us-east-1', headers: { 'Content-Length': String(body.length), 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD' } },
        credentials,
      );
      const request = http.request({ host: host.split(':')[0], port: Number(port), path: '/busy/slow', method: 'PUT', headers: signed.headers as http.OutgoingHttpHeaders });
      const response = new Promise<number>((resolve, reject) => request.on('response', (res) => (res.resume(), res.on('end', () => resolve(res.statusCode ?? 0)))).on('error', reject));
      request.write(body.slice(0, 500));
      const before = meter.busyMs();
      await new Promise((resolve) => setTimeout(resolve, 100)); // the request reaches the gateway
      now += 1_000;
      expect(meter.busyMs() - before).toBe(1_000);
      request.end(body.slice(500));
      expect(await response).toBe(200);
      now += 1_000;
      expect(meter.busyMs() - before).toBe(1_000); // done: idle time is not counted
      s3.destroy();
    } finally {
      await busyServer.stop();
    }
  });
});
