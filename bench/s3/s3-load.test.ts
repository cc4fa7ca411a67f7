import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startBareHttpServer, type BareHttpServer } from './bare-http-server.js';
import { S3Client, parseListPage } from './s3-client.js';
import { getStep, listStep, objectKey, populateKeys, putStep, runClosedLoop, workerBodies } from './s3-load.js';

let bare: BareHttpServer | undefined;
let lister: http.Server | undefined;
afterEach(async () => {
  await bare?.close();
  bare = undefined;
  await new Promise<void>((resolve) => (lister === undefined ? resolve() : lister.close(() => resolve())));
  lister = undefined;
});

describe('runClosedLoop against the bare server', () => {
  it('PUTs objects, reads them back with the right length, and accounts bytes, CPU and RSS', async () => {
    bare = await startBareHttpServer();
    const client = new S3Client({ endpoints: [bare.url], bucket: 'b', maxSocketsPerEndpoint: 4 });
    const size = 64 * 1024;
    const written = { sizeBytes: size, keys: [] as string[] };
    const put = await runClosedLoop({
      concurrency: 4, warmupMs: 50, durationMs: 300, step: putStep(client, 'obj', workerBodies(4, size), written),
      processes: [{ name: 'self', pid: process.pid }],
    });
    expect(put.errors).toBe(0);
    expect(put.ops).toBeGreaterThan(10);
    expect(put.bytes).toBe(put.ops * size);
    expect(put.durationMs).toBeGreaterThanOrEqual(300);
    expect(put.mibPerSecond).toBeCloseTo(put.bytes / 1024 / 1024 / (put.durationMs / 1000), 6);
    expect(put.generatorCpuSeconds).toBeGreaterThan(0);
    expect(put.servers[0].peakRssBytes).toBeGreaterThan(0);
    // The server received every acknowledged body in full, and each acknowledged key once.
    expect(bare.stats().receivedBytes).toBe(put.acknowledged * size);
    expect(written.keys.length).toBe(put.acknowledged);
    expect(new Set(written.keys).size).toBe(written.keys.length);
    expect(written.keys).toContain(objectKey('obj', 3, 0));

    const get = await runClosedLoop({ concurrency: 4, warmupMs: 0, durationMs: 200, step: getStep(client, written) });
    expect(get.errors).toBe(0);
    expect(get.bytes).toBe(get.ops * size);
    client.close();
  });

  it('counts a GET of the wrong length and a 404 as errors, with a reason', async () => {
    bare = await startBareHttpServer();
    const client = new S3Client({ endpoints: [bare.url], bucket: 'b' });
    await client.putObject(0, 'k', Buffer.alloc(100));
    const wrong = await client.getObject(0, 'k', 99);
    expect(wrong.ok).toBe(false);
    expect(wrong.description).toMatch(/100 bytes, expected 99/);
    const missing = await client.getObject(0, 'nope');
    expect(missing).toMatchObject({ ok: false, status: 404 });
    client.close();
  });
});

/** A ListObjectsV2 responder over a sorted key list (tokens are the last key of the previous page). */
async function startLister(keys: string[], dropAfter?: number): Promise<string> {
  lister = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const max = Number(u.searchParams.get('max-keys'));
    const after = u.searchParams.get('continuation-token') ?? '';
    const visible = dropAfter === undefined ? keys : keys.slice(0, dropAfter);
    const from = visible.findIndex((k) => k > after);
    const page = from < 0 ? [] : visible.slice(from, from + max);
    const truncated = from >= 0 && from + max < visible.length;
    res.end(`<?xml version="1.0"?><ListBucketResult><KeyCount>${page.length}</KeyCount>` +
      `<IsTruncated>${truncated}</IsTruncated>${page.map((k) => `<Contents><Key>${k}</Key></Contents>`).join('')}` +
      (truncated ? `<NextContinuationToken>${page[page.length - 1].replace('&', '&amp;')}</NextContinuationToken>` : '') +
      '</ListBucketResult>');
  });
  await new Promise<void>((resolve) => lister?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(lister.address() as AddressInfo).port}`;
}

describe('runClosedLoop window', () => {
  it('stretches the window to several request latencies when requests are slower than the asked duration', async () => {
    const step = () => new Promise<{ ok: boolean; status: number; bytes: number; description: string }>((resolve) =>
      setTimeout(() => resolve({ ok: true, status: 200, bytes: 10, description: '' }), 60));
    const r = await runClosedLoop({ concurrency: 2, warmupMs: 0, durationMs: 50, minWindowLatencies: 5, step });
    expect(r.durationMs).toBeGreaterThanOrEqual(250);
    expect(r.durationMs).toBeLessThan(400);
    // About 5 requests per worker complete inside a window of 5 latencies.
    expect(r.ops).toBeGreaterThanOrEqual(6);
    expect(r.ops).toBeLessThanOrEqual(12);
    expect(r.acknowledged).toBeGreaterThan(r.ops);
  });
});

describe('listStep', () => {
  const keys = Array.from({ length: 250 }, (_, i) => `p/k&${String(i).padStart(4, '0')}`);

  it('walks every page with continuation tokens and restarts at the end', async () => {
    const client = new S3Client({ endpoints: [await startLister(keys)], bucket: 'b', credentials: { accessKeyId: 'a', secretAccessKey: 's', region: 'us-east-1' } });
    const step = listStep(client, 'p/', 100, 250);
    const outcomes = [];
    for (let i = 0; i < 6; i++) outcomes.push(await step(0, i));
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, true, true, true]);
    client.close();
  });

  it('reports a walk that ends short as an error', async () => {
    const client = new S3Client({ endpoints: [await startLister(keys, 180)], bucket: 'b' });
    const step = listStep(client, 'p/', 100, 250);
    expect((await step(0, 0)).ok).toBe(true);
    const end = await step(0, 1);
    expect(end.ok).toBe(false);
    expect(end.description).toMatch(/after 180 keys, expected 250/);
    client.close();
  });

  it('parses KeyCount, IsTruncated and an escaped token', () => {
    expect(parseListPage('<KeyCount>2</KeyCount><IsTruncated>true</IsTruncated><NextContinuationToken>a&amp;b&#x2F;</NextContinuationToken>'))
      .toEqual({ keyCount: 2, truncated: true, nextToken: 'a&b/' });
  });
});

describe('populateKeys', () => {
  it('writes every key once through a pool', async () => {
    bare = await startBareHttpServer();
    const client = new S3Client({ endpoints: [bare.url], bucket: 'b' });
    const keys = Array.from({ length: 200 }, (_, i) => `list/k${i}`);
    const r = await populateKeys(client, keys, 0, 16);
    expect(r.acknowledged).toBe(200);
    for (const k of [keys[0], keys[199]]) expect((await client.getObject(0, k, 0)).ok).toBe(true);
    client.close();
  });
});

describe('workerBodies', () => {
  it('gives each worker a body of the size asked, different from the others, from one shared pool', () => {
    const bodies = workerBodies(8, 100_000);
    expect(bodies.every((b) => b.length === 100_000)).toBe(true);
    expect(new Set(bodies.map((b) => b.toString('hex'))).size).toBe(8);
    expect(new Set(bodies.map((b) => b.buffer)).size).toBe(1);
  });
});
