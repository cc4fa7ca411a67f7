import { readdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomData, s3Client, sha256 } from './harness/s3-helpers.js';
import { TestCluster } from './harness/test-cluster.js';

const MiB = 1024 * 1024;

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
  return out;
}

async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

describe('S3 under faults: node loss, and bit rot in shard files', () => {
  const cluster = new TestCluster({ subnetBase: 170 });
  const bucket = 'faults';
  let s3: S3Client;

  beforeAll(async () => {
    await cluster.startNodes(3);
    s3 = s3Client(cluster.s3Url(1));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(async () => {
    s3?.destroy();
    await cluster.stopAll();
    cluster.cleanup();
  });

  it('detects a flipped bit in a data shard file on read and still returns the right bytes', async () => {
    const before = new Set((await Promise.all([1, 2, 3].map((id) => chunkFiles(join(cluster.root, `node-${id}`, 'chunks'))))).flat());
    const data = randomData(2 * MiB + 12_345);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'rot/object', Body: data }));
    const added = (await Promise.all([1, 2, 3].map((id) => chunkFiles(join(cluster.root, `node-${id}`, 'chunks'))))).flat().filter((f) => !before.has(f));
    expect(added).toHaveLength(3);
    // Shard column 0 is a data shard: a plain read uses it, so only the checksum can save the bytes.
    const dataShard = added.find((f) => f.endsWith('.0.chunk'))!;
    expect(dataShard).toBeDefined();
    const size = (await stat(dataShard)).size;
    const handle = await open(dataShard, 'r+');
    const offset = Math.floor(size / 3);
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset);
    byte[0] = byte[0]! ^ 0x10;
    await handle.write(byte, 0, 1, offset);
    await handle.close();

    for (const id of [1, 2, 3]) {
      const reader = s3Client(cluster.s3Url(id));
      expect(sha256(await getBytes(reader, bucket, 'rot/object'))).toBe(sha256(data));
      reader.destroy();
    }
  });

  it('keeps serving GETs while a node is SIGKILLed, and a PUT during the loss either fails cleanly or reads back intact', async () => {
    const objects = new Map<string, string>();
    for (let i = 0; i < 8; i++) {
      const data = randomData(3 * MiB + i);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `loss/read-${i}`, Body: data }));
      objects.set(`loss/read-${i}`, sha256(data));
    }
    const readers = [s3Client(cluster.s3Url(1)), s3Client(cluster.s3Url(2))];
    const readFailures: string[] = [];
    let reads = 0;
    let stopReading = false;
    const readLoop = (async () => {
      const keys = [...objects.keys()];
      while (!stopReading) {
        const key = keys[reads % keys.length]!;
        const reader = readers[reads % 2]!;
        reads++;
        try {
          expect(sha256(await getBytes(reader, bucket, key))).toBe(objects.get(key));
        } catch (err) {
          readFailures.push(`${key}: ${String(err)}`);
        }
      }
    })();

    const written = new Map<string, string>();
    const writeOutcomes: { key: string; ok: boolean; error?: string }[] = [];
    let stopWriting = false;
    const writeLoop = (async () => {
      for (let i = 0; !stopWriting; i++) {
        const key = `loss/write-${i}`;
        const data = randomData(MiB + 7 * i);
        written.set(key, sha256(data));
        try {
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data }));
          writeOutcomes.push({ key, ok: true });
        } catch (err) {
          writeOutcomes.push({ key, ok: false, error: String(err) });
        }
      }
    })();

    await new Promise((r) => setTimeout(r, 1_500));
    await cluster.node(3).kill();
    await new Promise((r) => setTimeout(r, 5_000));
    stopReading = true;
    stopWriting = true;
    await Promise.all([readLoop, writeLoop]);
    readers.forEach((r) => r.destroy());

    expect(reads).toBeGreaterThan(10);
    expect(readFailures).toEqual([]);

    cluster.start(3);
    await cluster.node(3).waitReady();
    const acknowledged = writeOutcomes.filter((o) => o.ok);
    console.log(`node loss: ${reads} GETs, ${readFailures.length} failed; ${writeOutcomes.length} PUTs, ${acknowledged.length} acknowledged`);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const outcome of writeOutcomes) {
      let got: Buffer | undefined;
      try {
        got = await getBytes(s3, bucket, outcome.key);
      } catch (err) {
        // A PUT that failed may have left no object; an acknowledged one must be there.
        expect(outcome.ok, `${outcome.key} was acknowledged but cannot be read: ${String(err)}`).toBe(false);
        expect((err as { name?: string }).name).toBe('NoSuchKey');
      }
      if (got) expect(sha256(got), `${outcome.key} reads back intact`).toBe(written.get(outcome.key));
    }
  });
});
