import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, CreateBucketCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomData, s3Client, sha256, sha256OfStream } from './harness/s3-helpers.js';
import { TestCluster } from './harness/test-cluster.js';

/**
 * `[data] max_concurrent_transfers` on real processes: with a limit of 1, a GET whose client has not read
 * its body holds the gateway's only slot, a second GET of an erasure-coded object waits in line (and shows
 * in strata_s3_transfers_waiting), small objects and metadata requests go by, and once the first body is
 * read the second GET gets the slot. Every byte compared by SHA-256.
 */
const MiB = 1024 * 1024;

async function metric(adminUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return match === null ? Number.NaN : Number(match[1]);
}

async function waitForMetric(adminUrl: string, name: string, value: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last = Number.NaN;
  while (Date.now() < deadline) {
    last = await metric(adminUrl, name);
    if (last === value) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${name} = ${value}; last: ${last}`);
}

describe('[data] max_concurrent_transfers (real processes)', () => {
  const cluster = new TestCluster({
    subnetBase: 235,
    configToml: '[data]\nmax_concurrent_transfers = 1\nerasure_data_shards = 2\nerasure_parity_shards = 1\n',
  });
  // Big enough that loopback's socket buffers cannot take the whole body of an unread response.
  const big = randomData(24 * MiB);
  const small = randomData(1024);

  beforeAll(async () => {
    await cluster.startNodes(3);
    const s3 = s3Client(cluster.s3Url(1));
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'lim' }));
      await s3.send(new PutObjectCommand({ Bucket: 'lim', Key: 'big', Body: big }));
      await s3.send(new PutObjectCommand({ Bucket: 'lim', Key: 'small', Body: small }));
    } finally {
      s3.destroy();
    }
  }, 120_000);

  afterAll(async () => {
    await cluster.stopAll();
    cluster.cleanup();
  });

  it('a second big GET waits for the slot of an unread one; small objects go by', async () => {
    const admin = cluster.adminUrl(1);
    const first = s3Client(cluster.s3Url(1));
    const second = s3Client(cluster.s3Url(1));
    const other = s3Client(cluster.s3Url(1));
    try {
      const held = await first.send(new GetObjectCommand({ Bucket: 'lim', Key: 'big' }));
      expect(await metric(admin, 'strata_s3_transfers_active')).toBe(1);

      let secondDone = false;
      const waiting: Promise<GetObjectCommandOutput> = second.send(new GetObjectCommand({ Bucket: 'lim', Key: 'big' }));
      void waiting.then(() => (secondDone = true), () => (secondDone = true));
      await waitForMetric(admin, 'strata_s3_transfers_waiting', 1);

      // Inline objects and metadata requests take no slot.
      expect((await sha256OfStream((await other.send(new GetObjectCommand({ Bucket: 'lim', Key: 'small' }))).Body as AsyncIterable<Uint8Array>)).hash).toBe(sha256(small));
      expect((await other.send(new HeadObjectCommand({ Bucket: 'lim', Key: 'big' }))).ContentLength).toBe(big.length);
      await other.send(new PutObjectCommand({ Bucket: 'lim', Key: 'small-2', Body: small }));
      expect(secondDone).toBe(false);

      expect((await sha256OfStream(held.Body as AsyncIterable<Uint8Array>)).hash).toBe(sha256(big));
      expect((await sha256OfStream((await waiting).Body as AsyncIterable<Uint8Array>)).hash).toBe(sha256(big));
      await waitForMetric(admin, 'strata_s3_transfers_active', 0);
      expect(await metric(admin, 'strata_s3_transfers_waiting')).toBe(0);
    } finally {
      first.destroy();
      second.destroy();
      other.destroy();
    }
  }, 120_000);
});
