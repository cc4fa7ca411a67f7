import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomData, s3Client } from './harness/s3-helpers.js';
import { TestCluster } from './harness/test-cluster.js';

describe('a cluster whose disks are full (a reserve larger than any disk)', () => {
  // Every chunk write would eat into the reserve; only inline (small) objects need no chunk space.
  const cluster = new TestCluster({ subnetBase: 180, configToml: '[storage]\nreserve = "1000TiB"\n' });
  let s3: S3Client;

  beforeAll(async () => {
    await cluster.startNodes(3);
    s3 = s3Client(cluster.s3Url(1), { maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: 'full' }));
  });

  afterAll(async () => {
    s3?.destroy();
    await cluster.stopAll();
    cluster.cleanup();
  });

  it('refuses a large PUT with 507 InsufficientStorage and leaves no object behind', async () => {
    const failure = await s3.send(new PutObjectCommand({ Bucket: 'full', Key: 'big', Body: randomData(2 * 1024 * 1024) })).then(
      () => undefined,
      (err: { name?: string; message?: string; $metadata?: { httpStatusCode?: number } }) => err,
    );
    expect(failure?.$metadata?.httpStatusCode, failure?.message).toBe(507);
    expect(failure?.name).toBe('InsufficientStorage');
    expect(failure?.message).toMatch(/no room/i);
    await expect(s3.send(new GetObjectCommand({ Bucket: 'full', Key: 'big' }))).rejects.toMatchObject({ name: 'NoSuchKey' });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'full' }));
    expect(listed.KeyCount).toBe(0);

    // Small objects live in the replicated metadata and still go in.
    await s3.send(new PutObjectCommand({ Bucket: 'full', Key: 'small', Body: 'fits inline' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'full', Key: 'small' }));
    expect(await got.Body!.transformToString()).toBe('fits inline');
  });
});
