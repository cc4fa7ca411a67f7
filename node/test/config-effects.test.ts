import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerProcess } from '../src/local/server-process.js';
import type { LogRecord } from '../src/ports/log-admin.js';
import { randomData, s3Client, sha256, sha256OfStream } from './harness/s3-helpers.js';
import { TestCluster } from './harness/test-cluster.js';

/**
 * Configuration keys have their effect on real processes: compression of new data, a new erasure
 * scheme for new data with old data still readable, the read cache, direct I/O, the run-time log level
 * seen through GET /admin/v1/logs, STRATA_LOG_LEVEL at start, and a bad key stopping the start.
 */
const MiB = 1024 * 1024;
const CREDENTIALS_LINE = /\[s3\][\s\S]*$/;

/** Text that compresses well (as logs and JSON do). */
function compressible(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0, n = 0; i < size; n++) i += out.write(`${n % 97} the quick brown fox jumps over the lazy dog; strata stores it\n`, i);
  return out;
}

/** Chunk files on every node, grouped by object version (chunk id = <version>.<shard>). */
async function chunkGroups(cluster: TestCluster, ids: number[]): Promise<Map<string, { files: number; bytes: number }>> {
  const groups = new Map<string, { files: number; bytes: number }>();
  for (const id of ids) {
    const dir = join(cluster.root, `node-${id}`, 'chunks');
    for (const path of await readdir(dir, { recursive: true })) {
      if (!path.endsWith('.chunk') || path.startsWith('tmp')) continue;
      const version = path.split('/').at(-1)!.split('.')[0];
      const group = groups.get(version) ?? { files: 0, bytes: 0 };
      group.files++;
      group.bytes += (await stat(join(dir, path))).size;
      groups.set(version, group);
    }
  }
  return groups;
}

async function logs(adminUrl: string, query: Record<string, string>): Promise<LogRecord[]> {
  const res = await fetch(`${adminUrl}/admin/v1/logs?${new URLSearchParams(query)}`, { signal: AbortSignal.timeout(5_000) });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/ndjson/);
  return (await res.text()).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LogRecord);
}

async function setSetting(adminUrl: string, key: string, value: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${adminUrl}/admin/v1/settings/${key}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ value }),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function metric(adminUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return match === null ? 0 : Number(match[1]);
}

async function readHash(s3: S3Client, key: string, range?: string): Promise<{ hash: string; bytes: number }> {
  const got = await s3.send(new GetObjectCommand({ Bucket: 'cfg', Key: key, ...(range === undefined ? {} : { Range: range }) }));
  return sha256OfStream(got.Body as AsyncIterable<Uint8Array>);
}

/** Runs a node that must refuse to start; returns its exit code and log. */
async function refusedStart(cluster: TestCluster, name: string, toml: string): Promise<{ code: number | null; log: string }> {
  const configPath = join(cluster.root, `${name}.toml`);
  await writeFile(configPath, toml);
  const node = new ServerProcess({ nodeId: 9, bindAddress: cluster.address(9), dataDir: join(cluster.root, name), configPath, logFile: join(cluster.root, `${name}.log`) });
  node.start();
  const timeout = new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 30_000).unref());
  const outcome = await Promise.race([node.exitCode(), timeout]);
  if (outcome === 'running') {
    await node.kill();
    throw new Error(`${name}: the node started despite its configuration`);
  }
  return { code: outcome, log: await readFile(node.options.logFile, 'utf8') };
}

describe('configuration keys have their effect (real processes)', () => {
  const cluster = new TestCluster({ subnetBase: 100, configToml: '[data]\nerasure_data_shards = 2\nerasure_parity_shards = 1\n' });
  const data = { oldRandom: randomData(3 * MiB), oldText: compressible(3 * MiB), newRandom: randomData(3 * MiB), newText: compressible(3 * MiB) };
  const versions: Record<string, string> = {};
  let s3: S3Client;

  /** PUT an object and learn its chunk group (the version whose chunk files appeared). */
  async function put(key: keyof typeof data): Promise<void> {
    const before = await chunkGroups(cluster, [1, 2, 3]);
    await s3.send(new PutObjectCommand({ Bucket: 'cfg', Key: key, Body: data[key] }));
    const after = await chunkGroups(cluster, [1, 2, 3]);
    const added = [...after.keys()].filter((v) => !before.has(v));
    expect(added, key).toHaveLength(1);
    versions[key] = added[0];
  }

  beforeAll(async () => {
    await cluster.startNodes(3);
    s3 = s3Client(cluster.s3Url(1));
    await s3.send(new CreateBucketCommand({ Bucket: 'cfg' }));
    await put('oldRandom');
    await put('oldText');
  }, 120_000);

  afterAll(async () => {
    s3?.destroy();
    await cluster.stopAll();
    cluster.cleanup();
  });

  it('changes the log level at run time, visible through GET /admin/v1/logs', async () => {
    const admin = cluster.adminUrl(1);
    const t0 = Date.now();
    await cluster.status(1);
    // At info, the admin server's per-request debug lines are not written.
    expect((await logs(admin, { level: 'debug', since: String(t0) })).filter((r) => r.level === 'debug')).toEqual([]);

    const changed = await setSetting(admin, 'log_level', 'debug');
    expect(changed).toEqual({ status: 200, body: { key: 'log_level', value: 'debug', previous: 'info' } });
    const t1 = Date.now();
    await cluster.status(1);
    const debugLines = (await logs(admin, { level: 'debug', since: String(t1) })).filter((r) => r.level === 'debug');
    expect(debugLines.some((r) => r.component === 'admin' && r.msg === 'admin request')).toBe(true);
    // filter by component: only the admin component's lines.
    const adminOnly = await logs(admin, { filter: 'admin', since: String(t1) });
    expect(adminOnly.length).toBeGreaterThan(0);
    expect(adminOnly.every((r) => r.component === 'admin')).toBe(true);
    // limit keeps the newest.
    expect(await logs(admin, { limit: '2' })).toHaveLength(2);

    expect((await setSetting(admin, 'log_level', 'info')).body).toMatchObject({ value: 'info', previous: 'debug' });
    const t2 = Date.now();
    await cluster.status(1);
    expect((await logs(admin, { level: 'debug', since: String(t2) })).filter((r) => r.level === 'debug' && r.timeMs > t2 + 50)).toEqual([]);
  });

  it('refuses to change a key that is read at start, and an unknown one', async () => {
    const atStart = await setSetting(cluster.adminUrl(2), 'data.cache_size', '1GiB');
    expect(atStart.status).toBe(400);
    expect(JSON.stringify(atStart.body)).toMatch(/edit strata\.toml and restart/);
    const unknown = await setSetting(cluster.adminUrl(2), 'log_levle', 'debug');
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toMatch(/unknown setting/);
  });

  it('a new erasure scheme and compression apply to new objects; old ones stay readable', async () => {
    // Restart every node with 1+2 instead of 2+1, gzip, a read cache and direct I/O; node 3 with STRATA_LOG_LEVEL=debug.
    await cluster.stopAll();
    const credentials = CREDENTIALS_LINE.exec(await readFile(cluster.configPath, 'utf8'))![0];
    await writeFile(
      cluster.configPath,
      `[data]\nerasure_data_shards = 1\nerasure_parity_shards = 2\ncompression = "gzip"\ncache_size = "64MiB"\n[storage]\ndirect_io = true\n${credentials}`,
    );
    cluster.nodes.set(3, new ServerProcess({ ...cluster.node(3).options, env: { STRATA_LOG_LEVEL: 'debug' } }));
    for (const id of [1, 2, 3]) cluster.start(id, id === 1 ? undefined : 1);
    await Promise.all([1, 2, 3].map((id) => cluster.node(id).waitReady(60_000)));
    s3.destroy();
    s3 = s3Client(cluster.s3Url(1));

    await put('newRandom');
    await put('newText');
    const groups = await chunkGroups(cluster, [1, 2, 3]);
    const g = (key: string) => groups.get(versions[key])!;
    for (const key of Object.keys(data)) expect(g(key).files, key).toBe(3);
    // 2+1 stores 1.5x the object; 1+2 stores 3x: the scheme of each object is the one it was written with.
    expect(g('oldRandom').bytes).toBeGreaterThan(1.45 * 3 * MiB);
    expect(g('oldRandom').bytes).toBeLessThan(1.6 * 3 * MiB);
    expect(g('newRandom').bytes).toBeGreaterThan(2.95 * 3 * MiB);
    expect(g('newRandom').bytes).toBeLessThan(3.1 * 3 * MiB);
    // Compressible data takes far fewer bytes on disk with gzip, despite twice the redundancy.
    expect(g('newText').bytes).toBeLessThan(g('oldText').bytes / 4);

    for (const node of [1, 2, 3]) {
      const client = s3Client(cluster.s3Url(node));
      try {
        for (const [key, bytes] of Object.entries(data)) expect(await readHash(client, key), `${key} via node-${node}`).toEqual({ hash: sha256(bytes), bytes: bytes.byteLength });
        // A range of a compressed object: decompressed from the start, the right bytes.
        expect(await readHash(client, 'newText', 'bytes=2000000-2000999')).toEqual({ hash: sha256(data.newText.subarray(2_000_000, 2_001_000)), bytes: 1000 });
        const head = await client.send(new GetObjectCommand({ Bucket: 'cfg', Key: 'newText' }));
        expect(head.ContentLength).toBe(3 * MiB);
        expect(head.ETag).toBe(`"${createHash('md5').update(data.newText).digest('hex')}"`);
        await sha256OfStream(head.Body as AsyncIterable<Uint8Array>);
      } finally {
        client.destroy();
      }
    }
  }, 180_000);

  it('serves repeated reads from the read cache and reads chunks with O_DIRECT', async () => {
    const admin = cluster.adminUrl(2);
    const client = s3Client(cluster.s3Url(2));
    try {
      const hitsBefore = await metric(admin, 'strata_data_cache_hits_total');
      // Kept on its second read, served from memory on the third.
      for (let i = 0; i < 3; i++) expect((await readHash(client, 'newRandom')).hash).toBe(sha256(data.newRandom));
      expect(await metric(admin, 'strata_data_cache_hits_total')).toBeGreaterThan(hitsBefore);
      expect(await metric(admin, 'strata_data_cache_misses_total')).toBeGreaterThan(0);
      expect(await metric(admin, 'strata_data_cache_bytes')).toBeGreaterThan(0);
    } finally {
      client.destroy();
    }
    expect((await logs(admin, { filter: 'direct_io' })).map((r) => r.msg).join('\n')).toMatch(/O_DIRECT/);
  });

  it('honours STRATA_LOG_LEVEL at start', async () => {
    await cluster.status(3);
    const debug = (await logs(cluster.adminUrl(3), { level: 'debug' })).filter((r) => r.level === 'debug');
    expect(debug.length).toBeGreaterThan(0);
    expect((await logs(cluster.adminUrl(1), { level: 'debug' })).filter((r) => r.level === 'debug')).toEqual([]);
  });

  it('stops the start naming an unknown or mistyped key', async () => {
    const unknown = await refusedStart(cluster, 'bad-key', '[data]\ncache_sise = "1GiB"\n');
    expect(unknown.code).toBe(2);
    expect(unknown.log).toContain('bad-key.toml: data.cache_sise: unknown key (did you mean data.cache_size?)');
    const mistyped = await refusedStart(cluster, 'bad-type', '[data]\ncompression = "zstd"\n');
    expect(mistyped.code).toBe(2);
    expect(mistyped.log).toContain('bad-type.toml: data.compression: expected one of none|gzip, got "zstd"');
  });
});
