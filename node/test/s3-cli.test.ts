import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomData } from './harness/s3-helpers.js';
import { TEST_CREDENTIALS, TestCluster } from './harness/test-cluster.js';

const run = promisify(execFile);

describe('S3 through the aws CLI', () => {
  const cluster = new TestCluster({ subnetBase: 160 });
  let aws: (...args: string[]) => Promise<string>;

  beforeAll(async () => {
    await cluster.startNodes(3);
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    };
    aws = async (...args) => (await run('aws', ['--endpoint-url', cluster.s3Url(3), ...args], { env, maxBuffer: 16 * 1024 * 1024 })).stdout;
  });

  afterAll(async () => {
    await cluster.stopAll();
    cluster.cleanup();
  });

  it('makes a bucket, copies a 20 MiB file in and out (multipart), lists and removes it', async () => {
    const file = join(cluster.root, 'upload.bin');
    const data = randomData(20 * 1024 * 1024);
    await writeFile(file, data);
    await aws('s3', 'mb', 's3://cli-bucket');
    await aws('s3', 'cp', file, 's3://cli-bucket/dir/upload.bin');
    expect(await aws('s3', 'ls', 's3://cli-bucket/dir/')).toMatch(/20971520 upload\.bin/);

    const head = JSON.parse(await aws('s3api', 'head-object', '--bucket', 'cli-bucket', '--key', 'dir/upload.bin')) as { ContentLength: number; ETag: string };
    expect(head.ContentLength).toBe(20 * 1024 * 1024);
    expect(head.ETag).toMatch(/-\d+"$/);

    const back = join(cluster.root, 'download.bin');
    await aws('s3', 'cp', 's3://cli-bucket/dir/upload.bin', back);
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    expect(sha(await readFile(back))).toBe(sha(data));

    await aws('s3', 'rm', 's3://cli-bucket/dir/upload.bin');
    expect(await aws('s3', 'ls', 's3://cli-bucket/dir/').catch(() => '')).toBe('');
    await aws('s3', 'rb', 's3://cli-bucket');
  });

  it('reports S3 errors with their codes', async () => {
    await expect(aws('s3api', 'head-bucket', '--bucket', 'no-such-bucket')).rejects.toThrow(/404/);
    await aws('s3', 'mb', 's3://err-bucket');
    await aws('s3api', 'put-object', '--bucket', 'err-bucket', '--key', 'k', '--body', '/etc/hostname');
    await expect(aws('s3', 'rb', 's3://err-bucket')).rejects.toThrow(/BucketNotEmpty/);
    await expect(aws('s3api', 'get-object', '--bucket', 'err-bucket', '--key', 'missing', join(cluster.root, 'x'))).rejects.toThrow(/NoSuchKey/);
  });
});
