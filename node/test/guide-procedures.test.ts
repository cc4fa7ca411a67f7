import { createHash } from 'node:crypto';
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStatus, NodeStatus } from '../src/ports/admin-service.js';
import type { LogRecord } from '../src/ports/log-admin.js';
import type { DrainStatus, RebalanceStatus, StorageStatus } from '../src/ports/maintenance-admin.js';
import type { ScrubStatus } from '../src/ports/scrub-admin.js';
import { MOVEMENT_TOML } from './cluster-s3-load.js';
import { randomData, s3Client, sha256, sha256OfStream } from './harness/s3-helpers.js';
import { strata, strataJson, type CliRun } from './harness/strata-cli.js';
import { TestCluster } from './harness/test-cluster.js';

/**
 * The procedures of the operator's guide (/work/shared/seed/operators-guide.md), typed as written into the
 * real `strata` CLI against real processes, checking the exit code, what it printed, and what the cluster
 * actually did after each step.
 */
describe("the operator's guide, procedure by procedure, through the strata CLI", () => {
  const cluster = new TestCluster({ subnetBase: 245, configToml: MOVEMENT_TOML });
  const bucket = 'guide';
  const objects = new Map<string, string>();
  let env: Record<string, string>;
  let s3: S3Client;
  const run = (...argv: string[]) => strata(argv, env);
  const json = <T>(...argv: string[]) => strataJson<T>(argv, env);

  async function put(key: string, size: number): Promise<void> {
    const body = randomData(size);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    objects.set(key, sha256(body));
  }

  /** Runs `strata ARGV` until `done` holds for its --json answer (each poll a fresh CLI process). */
  async function pollCli<T>(argv: string[], done: (value: T) => boolean, timeoutMs = 90_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: T | undefined;
    while (Date.now() < deadline) {
      last = await json<T>(...argv);
      if (done(last)) return last;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`strata ${argv.join(' ')}: not done after ${timeoutMs} ms; last: ${JSON.stringify(last).slice(0, 1000)}`);
  }

  /** One line on stderr, `strata: Code: ...`, nothing on stdout, exit 1. */
  function expectOneLineFailure(result: CliRun, code: string): void {
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.endsWith('\n')).toBe(true);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`^strata: ${code}: `));
  }

  beforeAll(async () => {
    await cluster.startNodes(3);
    // STRATA_ENDPOINT lists a follower-or-leader first at random: the CLI must find the leader itself.
    env = { STRATA_ENDPOINT: [3, 1, 2].map((id) => cluster.adminUrl(id)).join(',') };
    s3 = s3Client(cluster.s3Url(1));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (let i = 0; i < 10; i++) await put(`before/${i}`, 100_000 + i * 9_000);
  }, 120_000);

  afterAll(async () => {
    s3?.destroy();
    await cluster.stopAll();
    cluster.cleanup();
  });

  it('strata cluster status: the leader, the term, the three members online', async () => {
    const status = await run('cluster', 'status');
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    const actual = await cluster.status(1);
    expect(status.stdout).toMatch(new RegExp(`^cluster: +${actual.clusterId}$`, 'm'));
    expect(status.stdout).toMatch(new RegExp(`^leader: +node-${actual.leaderId}$`, 'm'));
    expect(status.stdout).toMatch(/^nodes: +3 \(3 online, 3 voters\)$/m);
    for (const id of [1, 2, 3]) expect(status.stdout).toMatch(new RegExp(`^node-${id} +${cluster.address(id).replace(/\./g, '\\.')}:9000 +(leader|follower) +yes +active +yes`, 'm'));
  });

  it('strata storage status: used bytes, the bucket and its objects, every node', async () => {
    const text = await run('storage', 'status');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^buckets: +1$/m);
    expect(text.stdout).toMatch(new RegExp(`^objects: +${objects.size}$`, 'm'));
    expect(text.stdout).toMatch(/^degraded chunks: +0$/m);
    const storage = await json<StorageStatus>('storage', 'status');
    expect(storage).toMatchObject({ buckets: 1, objects: objects.size, degradedChunks: 0 });
    expect(storage.nodes.map((n) => n.nodeId).sort()).toEqual([1, 2, 3]);
    // 10 objects, each k+m = 3 chunks, one per node: 10 chunks on each.
    for (const node of storage.nodes) expect(node).toMatchObject({ online: true, state: 'active', chunks: 10 });
    // Used bytes come from each node's disk usage, sampled every second or so: the last writes show up shortly.
    let used = storage.usedBytes;
    for (let i = 0; i < 30 && used <= 1_000_000; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      used = (await json<StorageStatus>('storage', 'status')).usedBytes;
    }
    expect(used).toBeGreaterThan(1_000_000);
  });

  it('strata backup create --output FILE writes a consistent, checksummed metadata backup', async () => {
    const file = join(cluster.root, `metadata-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}.snap`);
    const backup = await run('backup', 'create', '--output', file);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const bytes = await readFile(file);
    // The file ends with the SHA-256 of everything before it (docs/backup-format.md).
    const sha = createHash('sha256').update(bytes.subarray(0, -32)).digest('hex');
    expect(bytes.subarray(-32).toString('hex')).toBe(sha);
    expect(backup.stdout).toMatch(new RegExp(`^wrote: +${file}$`, 'm'));
    expect(backup.stdout).toMatch(new RegExp(`^sha256: +${sha}$`, 'm'));
    expect(backup.stdout).toMatch(new RegExp(`^cluster: +${(await cluster.status(1)).clusterId}$`, 'm'));
    const index = Number(/^raft index: +(\d+)/m.exec(backup.stdout)?.[1]);
    expect(index).toBeGreaterThan(10); // at least the bucket and the 10 objects
    expect(index).toBeLessThanOrEqual((await cluster.status(1)).commitIndex);
  });

  it('strata scrub start / scrub status: bit rot in a shard file is found and repaired; logs --level error --since 1h shows it', async () => {
    const victim = 2;
    const files = await chunkFiles(join(cluster.root, `node-${victim}`, 'chunks'));
    expect(files.length).toBe(10);
    await rot(files[3]!);
    const chunkId = basename(files[3]!, '.chunk');

    const startedAt = Date.now();
    const start = await run('scrub', 'start');
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    expect(start.stdout).toMatch(/^NODE +STATE +PROGRESS +CHECKED +ERRORS FOUND +REPAIRED/m);
    for (const id of [1, 2, 3]) expect(start.stdout).toMatch(new RegExp(`^node-${id} +(running|idle)`, 'm'));

    const finished = await pollCli<ScrubStatus[]>(['scrub', 'status'], (all) => all.length === 3 && all.every((s) => s.state === 'idle' && (s.lastFinishedMs ?? 0) >= startedAt));
    const byNode = new Map(finished.map((s) => [s.nodeId, s]));
    expect(byNode.get(victim)).toMatchObject({ errorsFound: 1, errorsRepaired: 1 });
    for (const id of [1, 3]) expect(byNode.get(id)).toMatchObject({ errorsFound: 0, errorsRepaired: 0 });
    for (const s of finished) expect(s.progress.chunksDone).toBe(10);
    const table = await run('scrub', 'status');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^node-${victim} +idle.* 1 +1 +`, 'm'));

    // The guide's "Check scrub logs for affected chunks".
    const errors = await run('logs', '--level', 'error', '--since', '1h');
    expect(errors.stderr).toBe('');
    expect(errors.code).toBe(0);
    const lines = errors.stdout.trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(/^\S+Z (ERROR|FATAL) /);
    expect(lines.some((l) => l.includes('[scrub] scrub found a corrupt chunk') && l.includes(`chunkId=${chunkId}`) && l.includes(`node=node-${victim}`))).toBe(true);
    const records = (await run('logs', '--level', 'error', '--since', '1h', '--json')).stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as LogRecord);
    expect(records.every((r) => ['error', 'fatal'].includes(r.level) && r.timeMs >= Date.now() - 3_600_000)).toBe(true);

    const reader = s3Client(cluster.s3Url(victim));
    for (const [key, hash] of objects) {
      const got = await reader.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect((await sha256OfStream(got.Body as AsyncIterable<Uint8Array>)).hash, key).toBe(hash);
    }
    reader.destroy();
  }, 120_000);

  it('strata config set log_level debug: every node logs at debug from then on', async () => {
    const since = new Date().toISOString();
    const quiet = await run('logs', '--level', 'debug', '--since', since, '--filter', 'admin');
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).not.toMatch(/ DEBUG /);

    const set = await run('config', 'set', 'log_level', 'debug');
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    for (const id of [1, 2, 3]) expect(set.stdout).toMatch(new RegExp(`^node-${id} +log_level +debug +info +ok$`, 'm'));
    await run('cluster', 'status');
    const debug = (await run('logs', '--level', 'debug', '--since', since, '--json')).stdout.trimEnd().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LogRecord);
    const nodesWithDebug = new Set(debug.filter((r) => r.level === 'debug').map((r) => r.fields.node));
    expect([...nodesWithDebug].sort()).toEqual(['node-1', 'node-2', 'node-3']);

    const back = await run('config', 'set', 'log_level', 'info');
    expect(back.code).toBe(0);
    for (const id of [1, 2, 3]) expect(back.stdout).toMatch(new RegExp(`^node-${id} +log_level +info +debug +ok$`, 'm'));
    const bad = await run('config', 'set', 'log_level', 'loud');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('add a node: strata-server --join, then strata cluster nodes lists it', async () => {
    await cluster.start(4, 1).waitReady();
    const nodes = await run('cluster', 'nodes');
    expect(nodes.stderr).toBe('');
    expect(nodes.code).toBe(0);
    expect(nodes.stdout).toMatch(/^NODE +ADDRESS +ROLE +VOTER +STATE +ONLINE +ZONE +ADMIN URL$/m);
    expect(nodes.stdout).toMatch(new RegExp(`^node-4 +${cluster.address(4).replace(/\./g, '\\.')}:9000 +\\w+ +(yes|no) +active +(yes|no) .*${cluster.adminUrl(4)}$`, 'm'));
    const listed = await json<NodeStatus[]>('cluster', 'nodes');
    expect(listed.map((n) => n.name).sort()).toEqual(['node-1', 'node-2', 'node-3', 'node-4']);
    expect((await cluster.status(4)).nodes.map((n) => n.id).sort()).toEqual([1, 2, 3, 4]);
    // New data goes to the new node too.
    for (let i = 0; i < 8; i++) await put(`after-join/${i}`, 120_000 + i * 7_000);
    const online = await pollCli<StorageStatus>(['storage', 'status'], (s) => s.nodes.some((n) => n.nodeId === 4 && n.online));
    expect(online.objects).toBe(objects.size);
  }, 90_000);

  it('strata cluster rebalance / rebalance-status: the new node takes its share', async () => {
    const before = await json<StorageStatus>('storage', 'status');
    const chunksBefore = before.nodes.find((n) => n.nodeId === 4)!.chunks;
    const start = await run('cluster', 'rebalance');
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    expect(start.stdout).toMatch(/^state: +(running|done)$/m);
    expect(start.stdout).toMatch(/^NODE +STATE +ONLINE +ZONE +USED +AVAILABLE +UTIL +CHUNKS$/m);
    const done = await pollCli<RebalanceStatus>(['cluster', 'rebalance-status'], (s) => s.state !== 'running');
    expect(done.state).toBe('done');
    expect(done.progress.chunksDone).toBeGreaterThan(0);
    const text = await run('cluster', 'rebalance-status');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^state: +done$/m);
    const after = await json<StorageStatus>('storage', 'status');
    const counts = [1, 2, 3, 4].map((id) => after.nodes.find((n) => n.nodeId === id)!.chunks);
    expect(counts[3]).toBeGreaterThan(chunksBefore);
    const mean = counts.reduce((a, b) => a + b, 0) / 4;
    for (const count of counts) expect(Math.abs(count - mean) / mean).toBeLessThan(0.35);
  }, 120_000);

  it('refusals are one line with a non-zero exit: remove of an active node, an unknown node', async () => {
    const active = await run('cluster', 'remove', 'node-2');
    expectOneLineFailure(active, 'FailedPrecondition');
    expect(active.stderr).toMatch(/node-2/);
    expect((await cluster.status(1)).nodes.find((n) => n.id === 2)).toMatchObject({ state: 'active', voter: true });

    for (const argv of [
      ['cluster', 'remove', 'node-99'],
      ['cluster', 'drain', 'node-99'],
      ['cluster', 'drain-status', 'node-99'],
    ]) {
      const unknown = await run(...argv);
      expectOneLineFailure(unknown, 'NotFound');
      expect(unknown.stderr).toMatch(/node-99 is not a member/);
    }
    expect((await cluster.status(1)).nodes.map((n) => n.id).sort()).toEqual([1, 2, 3, 4]);
  }, 60_000);

  it('remove a node: cluster drain node-4, drain-status node-4 until drained, cluster remove node-4', async () => {
    const drain = await run('cluster', 'drain', 'node-4');
    expect(drain.stderr).toBe('');
    expect(drain.code).toBe(0);
    const planned = Number(/^draining node-4: moving (\d+) chunks/m.exec(drain.stdout)?.[1]);
    expect(planned).toBeGreaterThan(0);
    expect((await cluster.status(1)).nodes.find((n) => n.id === 4)?.state).toMatch(/^(draining|drained)$/);

    // The guide's step 2, as an operator repeats it: the plain command until it says drained.
    const deadline = Date.now() + 90_000;
    let status: CliRun;
    for (;;) {
      status = await run('cluster', 'drain-status', 'node-4');
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/^node: +node-4$/m);
      if (/^state: +drained$/m.test(status.stdout) || Date.now() > deadline) break;
      expect(status.stdout).toMatch(/^state: +draining$/m);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(status.stdout).toMatch(/^state: +drained$/m);
    const drained = await json<DrainStatus>('cluster', 'drain-status', 'node-4');
    expect(drained).toMatchObject({ nodeId: 4, state: 'drained' });
    expect(drained.progress.chunksDone).toBeGreaterThanOrEqual(planned);
    expect((await json<StorageStatus>('storage', 'status')).nodes.find((n) => n.nodeId === 4)?.chunks).toBe(0);

    const remove = await run('cluster', 'remove', 'node-4');
    expect(remove).toMatchObject({ code: 0, stdout: 'node-4 removed\n', stderr: '' });
    await cluster.waitFor(1, 'node-4 out of the membership', (s) => s.nodes.every((n) => n.id !== 4));
    const nodes = await json<NodeStatus[]>('cluster', 'nodes');
    expect(nodes.map((n) => n.name).sort()).toEqual(['node-1', 'node-2', 'node-3']);
    const again = await run('cluster', 'remove', 'node-4');
    expectOneLineFailure(again, 'NotFound');
    await cluster.node(4).stop();

    const final = await json<ClusterStatus>('cluster', 'status');
    expect(final.nodes.filter((n) => n.online && n.voter).map((n) => n.id).sort()).toEqual([1, 2, 3]);
    for (const id of [1, 2, 3]) {
      const reader = s3Client(cluster.s3Url(id));
      for (const [key, hash] of objects) {
        const got = await reader.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        expect((await sha256OfStream(got.Body as AsyncIterable<Uint8Array>)).hash, `${key} via node-${id}`).toBe(hash);
      }
      reader.destroy();
    }
  }, 150_000);
});

/** Every shard file under a node's chunk folder. */
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

/** Flip 16 bytes in the middle of a file: bit rot inside a block, header intact. */
async function rot(path: string): Promise<void> {
  const at = Math.floor((await stat(path)).size / 2);
  const handle = await open(path, 'r+');
  const bytes = Buffer.alloc(16);
  await handle.read(bytes, 0, bytes.length, at);
  for (let i = 0; i < bytes.length; i++) bytes[i] = bytes[i]! ^ 0xa5;
  await handle.write(bytes, 0, bytes.length, at);
  await handle.close();
}
