import { readdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScrubStatus } from '../src/ports/scrub-admin.js';
import { randomData, s3Client, sha256 } from './harness/s3-helpers.js';
import { TestCluster } from './harness/test-cluster.js';

const MiB = 1024 * 1024;
const VICTIM = 2;

async function chunkFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const path = join(d, entry.name);
      if (entry.isDirectory() && entry.name !== 'tmp') await walk(path);
      else if (entry.name.endsWith('.chunk')) out.push(path);
    }
  };
  await walk(dir);
  return out.sort();
}

async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/** Flip a few bytes in the middle of a file (bit rot inside a block, header intact). */
async function rot(path: string): Promise<void> {
  const size = (await stat(path)).size;
  const handle = await open(path, 'r+');
  const at = Math.floor(size / 2);
  const bytes = Buffer.alloc(16);
  await handle.read(bytes, 0, bytes.length, at);
  for (let i = 0; i < bytes.length; i++) bytes[i] = bytes[i]! ^ 0xa5;
  await handle.write(bytes, 0, bytes.length, at);
  await handle.close();
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.split(' ')[1]);
}

describe('scrub on real processes: bit rot in a shard file is found, counted and rebuilt from parity', () => {
  const cluster = new TestCluster({ subnetBase: 230, configToml: '[scrub]\nenabled = true\ninterval = "168h"\nthrottle_mb_per_sec = 200\n' });
  const bucket = 'scrubbed';
  let s3: S3Client;

  beforeAll(async () => {
    await cluster.startNodes(3);
    s3 = s3Client(cluster.s3Url(1));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }, 60_000);

  afterAll(async () => {
    s3?.destroy();
    await cluster.stopAll();
    cluster.cleanup();
  });

  const scrubUrl = () => `${cluster.adminUrl(VICTIM)}/admin/v1/scrub`;

  async function scrubPass(): Promise<ScrubStatus> {
    const startedAt = Date.now();
    const res = await fetch(scrubUrl(), { method: 'POST' });
    expect(res.status).toBe(200);
    const started = (await res.json()) as ScrubStatus;
    expect(started.nodeId).toBe(VICTIM);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const status = (await (await fetch(scrubUrl())).json()) as ScrubStatus;
      if (status.state === 'idle' && (status.lastFinishedMs ?? 0) >= startedAt) return status;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('scrub pass did not finish in 60 s');
  }

  it('finds and repairs a corrupt shard, the object reads back intact, and a second pass finds nothing', async () => {
    const victimDir = join(cluster.root, `node-${VICTIM}`, 'chunks');
    const objects = new Map<string, string>();
    for (let i = 0; i < 3; i++) {
      const data = randomData(2 * MiB + 1000 * i);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `obj/${i}`, Body: data }));
      objects.set(`obj/${i}`, sha256(data));
    }
    const chunksBefore = await chunkFiles(victimDir);
    expect(chunksBefore.length).toBe(3); // one column of each object on every node

    // A clean pass first: it reads every chunk and finds nothing.
    const clean = await scrubPass();
    expect(clean).toMatchObject({ errorsFound: 0, errorsRepaired: 0 });
    expect(clean.progress.chunksDone).toBe(3);
    expect(clean.progress.bytesDone).toBe(clean.progress.bytesTotal);

    await rot(chunksBefore[1]!);
    const dirty = await scrubPass();
    expect(dirty).toMatchObject({ errorsFound: 1, errorsRepaired: 1 });
    expect(dirty.progress.failures).toBe(0);
    const metrics = await (await fetch(`${cluster.adminUrl(VICTIM)}/metrics`)).text();
    expect(metricValue(metrics, 'strata_scrub_errors_total')).toBe(1);
    expect(metricValue(metrics, 'strata_scrub_bytes_verified_total')).toBeGreaterThan(2 * MiB);
    // The column was rebuilt under a new id on the same node; the rotten file waits for the GC.
    const chunksAfter = await chunkFiles(victimDir);
    expect(chunksAfter.length).toBe(4);
    expect(chunksAfter).toContain(chunksBefore[1]);

    for (const id of [1, 2, 3]) {
      const reader = s3Client(cluster.s3Url(id));
      for (const [key, hash] of objects) expect(sha256(await getBytes(reader, bucket, key)), `${key} via node-${id}`).toBe(hash);
      reader.destroy();
    }

    const second = await scrubPass();
    expect(second).toMatchObject({ errorsFound: 1, errorsRepaired: 1 }); // lifetime counts: nothing new
    expect(second.progress).toMatchObject({ chunksDone: 3, failures: 0 });
    const metricsAfter = await (await fetch(`${cluster.adminUrl(VICTIM)}/metrics`)).text();
    expect(metricValue(metricsAfter, 'strata_scrub_errors_total')).toBe(1);
    // A shard file gone altogether (a lost file, not rot): the listing cannot show it, the metadata can.
    await rm(chunksBefore[2]!);
    const missing = await scrubPass();
    expect(missing).toMatchObject({ errorsFound: 2, errorsRepaired: 2 });
    expect(missing.progress.failures).toBe(0);
    const reader = s3Client(cluster.s3Url(VICTIM));
    for (const [key, hash] of objects) expect(sha256(await getBytes(reader, bucket, key)), key).toBe(hash);
    reader.destroy();

    // The other nodes scrubbed nothing and report so.
    const other = (await (await fetch(`${cluster.adminUrl(1)}/admin/v1/scrub`)).json()) as ScrubStatus;
    expect(other).toMatchObject({ nodeId: 1, enabled: true, state: 'idle', errorsFound: 0 });
    expect(other.nextRunMs).toBeGreaterThan(Date.now() + 100 * 3_600_000);
  }, 180_000);
});
