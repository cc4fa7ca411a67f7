import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../src/client/index.js';
import { MOVEMENT_TOML } from './cluster-s3-load.js';
import { randomData, s3Client, sha256, sha256OfStream } from './harness/s3-helpers.js';
import { TestCluster } from './harness/test-cluster.js';

const STRATA = join(import.meta.dirname, '..', '..', 'bin', 'strata.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node bin/strata.js ARGV` as an operator runs it, against the cluster through STRATA_ENDPOINT. */
function strata(argv: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [STRATA, ...argv], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('strata CLI against a real 3-node cluster', () => {
  const cluster = new TestCluster({ subnetBase: 120, configToml: MOVEMENT_TOML });
  const objects = new Map<string, string>();
  let env: Record<string, string>;
  const run = (...argv: string[]) => strata(argv, env);

  beforeAll(async () => {
    await cluster.startNodes(3);
    env = { STRATA_ENDPOINT: `${cluster.adminUrl(2)},${cluster.adminUrl(1)}` };
    await new AdminClient({ endpoints: [cluster.adminUrl(1)] }).createBucket('cli-bucket');
  }, 120_000);

  afterAll(async () => {
    await cluster.stopAll();
    cluster.cleanup();
  });

  it('cluster status and cluster nodes show the three members', async () => {
    const status = await run('cluster', 'status');
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^leader: +node-[123]$/m);
    expect(status.stdout).toMatch(/^nodes: +3 \(3 online, 3 voters\)$/m);
    for (const id of [1, 2, 3]) expect(status.stdout).toMatch(new RegExp(`^node-${id} +127\\.0\\.0\\.12${id}:9000 +(leader|follower) +yes +active +yes`, 'm'));

    const nodes = await run('cluster', 'nodes', '--json');
    expect(nodes.code).toBe(0);
    const parsed = JSON.parse(nodes.stdout) as { name: string; adminUrl?: string }[];
    expect(parsed.map((n) => n.name).sort()).toEqual(['node-1', 'node-2', 'node-3']);
    expect(parsed.find((n) => n.name === 'node-3')?.adminUrl).toBe(cluster.adminUrl(3));
  }, 60_000);

  it('storage status, rebalance-status and recovery status answer', async () => {
    const storage = await run('storage', 'status');
    expect(storage.code).toBe(0);
    expect(storage.stdout).toMatch(/^buckets: +1$/m);
    expect(storage.stdout).toMatch(/^NODE +STATE +ONLINE +ZONE +USED +AVAILABLE +UTIL +CHUNKS$/m);
    const rebalance = await run('cluster', 'rebalance-status', '--json');
    expect(rebalance.code).toBe(0);
    expect(['idle', 'running', 'done', 'failed']).toContain((JSON.parse(rebalance.stdout) as { state: string }).state);
    const recovery = await run('recovery', 'status');
    expect(recovery.code).toBe(0);
    expect(recovery.stdout).toMatch(/^state: +idle$/m);
  }, 60_000);

  it('refusals reach the user as one line: unknown node, remove of an undrained node', async () => {
    const unknown = await run('cluster', 'drain', 'node-9');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^strata: NotFound: node-9 is not a member/);
    const remove = await run('cluster', 'remove', 'node-3');
    expect(remove.code).toBe(1);
    expect(remove.stderr).toMatch(/^strata: FailedPrecondition: /);
    expect(remove.stderr.trimEnd().split('\n')).toHaveLength(1);
    const dry = await run('cluster', 'drain', 'node-3', '--dry-run');
    expect(dry.stdout).toContain('dry run, nothing moved: draining node-3');
    expect((await cluster.status(1)).nodes.find((n) => n.id === 3)?.state).toBe('active');
  }, 60_000);

  it('config set log_level debug on every node, then logs show debug lines of each node', async () => {
    const set = await run('config', 'set', 'log_level', 'debug');
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    for (const id of [1, 2, 3]) expect(set.stdout).toMatch(new RegExp(`^node-${id} +log_level +debug +\\S+ +ok$`, 'm'));
    // This very CLI's requests are logged at debug by each admin port from now on.
    await run('cluster', 'status');
    const logs = await run('logs', '--level', 'debug', '--filter', 'admin', '--since', '5m');
    expect(logs.code).toBe(0);
    const lines = logs.stdout.trimEnd().split('\n');
    expect(lines.some((l) => /^\S+Z DEBUG \[admin\] admin request .*node=node-\d/.test(l))).toBe(true);
    const json = await run('logs', '--node', 'node-2', '--json', '--limit', '5');
    const records = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { level: string; timeMs: number });
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBeLessThanOrEqual(5);
    const back = await run('config', 'set', 'log_level', 'info', '--node', 'node-2');
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(/^node-2 +log_level +info +debug +ok$/m);
  }, 60_000);

  it('logs --follow streams new lines of a node until Ctrl-C, then exits 0', async () => {
    expect((await run('config', 'set', 'log_level', 'debug', '--node', 'node-1')).code).toBe(0);
    const child = spawn(process.execPath, [STRATA, 'logs', '--follow', '--node', 'node-1', '--level', 'debug', '--filter', 'admin', '--since', '1s'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const seen = (needle: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`no ${needle} in: ${out}`)), 20_000);
        const check = () => {
          if (!needle.test(out)) return;
          clearTimeout(deadline);
          child.stdout.off('data', check);
          resolve();
        };
        child.stdout.on('data', check);
        check();
      });
    try {
      // Each request to node-1's admin port is a debug line of component admin, while log_level is debug.
      await new Promise((r) => setTimeout(r, 1000));
      await fetch(`${cluster.adminUrl(1)}/admin/v1/buckets`);
      await seen(/DEBUG \[admin\] admin request .*path=\/admin\/v1\/buckets/);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 60_000);

  it('scrub start on every node, and scrub status --watch ends when every pass is done', async () => {
    const start = await run('scrub', 'start');
    expect(start.code).toBe(0);
    expect(start.stdout).toMatch(/^NODE +STATE +PROGRESS/m);
    const watch = await run('scrub', 'status', '--watch');
    expect(watch.code).toBe(0);
    for (const id of [1, 2, 3]) expect(watch.stdout).toMatch(new RegExp(`^node-${id} +idle`, 'm'));
  }, 90_000);

  it('a fourth node joins; drain --watch empties it, remove takes it out; objects stay intact', async () => {
    await cluster.start(4, 1).waitReady();
    await cluster.waitFor(1, 'node-4 a member', (st) => st.nodes.some((n) => n.id === 4));
    const s3 = s3Client(cluster.s3Url(1));
    for (let i = 0; i < 8; i++) {
      const body = randomData(150 * 1024);
      objects.set(`obj-${i}`, sha256(body));
      await s3.send(new PutObjectCommand({ Bucket: 'cli-bucket', Key: `obj-${i}`, Body: body }));
    }
    const nodes = await run('cluster', 'nodes');
    expect(nodes.stdout).toMatch(/^node-4 +127\.0\.0\.124:9000 /m);

    const rebalance = await run('cluster', 'rebalance', '--watch');
    expect(rebalance.stderr).toBe('');
    expect(rebalance.code).toBe(0);
    expect(rebalance.stdout).toMatch(/^state: +(done|idle)$/m);
    expect(rebalance.stdout).toMatch(/^node-4 +active +yes /m);

    const drain = await run('cluster', 'drain', 'node-4', '--watch');
    expect(drain.stderr).toBe('');
    expect(drain.code).toBe(0);
    expect(drain.stdout).toMatch(/^draining node-4: moving \d+ chunks/m);
    expect(drain.stdout).toMatch(/^state: +drained$/m);
    const status = await run('cluster', 'drain-status', '4', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ nodeId: 4, state: 'drained' });

    const remove = await run('cluster', 'remove', 'node-4');
    expect(remove).toMatchObject({ code: 0, stdout: 'node-4 removed\n' });
    await cluster.waitFor(1, 'node-4 gone', (st) => st.nodes.every((n) => n.id !== 4));
    await cluster.node(4).stop();
    for (const [key, hash] of objects) {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'cli-bucket', Key: key }));
      expect((await sha256OfStream(got.Body as AsyncIterable<Uint8Array>)).hash).toBe(hash);
    }
    s3.destroy();
  }, 180_000);

  it('backup create writes a verified backup file', async () => {
    const output = join(cluster.root, 'metadata.snap');
    const backup = await run('backup', 'create', '--output', output);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const bytes = await readFile(output);
    const sha = createHash('sha256').update(bytes.subarray(0, -32)).digest('hex');
    expect(bytes.subarray(-32).toString('hex')).toBe(sha);
    expect(backup.stdout).toMatch(new RegExp(`^sha256: +${sha}$`, 'm'));
    expect(backup.stdout).toMatch(new RegExp(`\\(${bytes.length} bytes\\)`));
  }, 60_000);

  it('restore, as the guide says: stop every node, restore each, start them; the objects read back', async () => {
    const input = join(cluster.root, 'metadata.snap');
    await Promise.all([1, 2, 3].map((id) => cluster.node(id).stop()));
    // A damaged file is refused before anything on disk changes.
    const truncated = join(cluster.root, 'truncated.snap');
    const whole = await readFile(input);
    await writeFile(truncated, whole.subarray(0, whole.length - 100));
    const before = (await readdir(join(cluster.root, 'node-1'))).sort();
    const refused = await run('restore', '--input', truncated, '--data-dir', join(cluster.root, 'node-1'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^strata: \w+: .*truncated\.snap/);
    expect(refused.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect((await readdir(join(cluster.root, 'node-1'))).sort()).toEqual(before);
    for (const id of [1, 2, 3]) {
      const restore = await run('restore', '--input', input, '--data-dir', join(cluster.root, `node-${id}`));
      expect(restore.stderr).toBe('');
      expect(restore.code).toBe(0);
      expect(restore.stdout).toMatch(/^restored: /m);
    }
    for (const id of [1, 2, 3]) cluster.start(id);
    await Promise.all([1, 2, 3].map((id) => cluster.node(id).waitReady(60_000)));
    const status = await run('cluster', 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^nodes: +3 /m);
    const s3 = s3Client(cluster.s3Url(2));
    for (const [key, hash] of objects) {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'cli-bucket', Key: key }));
      expect((await sha256OfStream(got.Body as AsyncIterable<Uint8Array>)).hash).toBe(hash);
    }
    s3.destroy();
  }, 180_000);

  it('with a majority down, a command that needs the leader fails with one line naming the cause', async () => {
    await Promise.all([2, 3].map((id) => cluster.node(id).stop()));
    const started = Date.now();
    const result = await strata(['storage', 'status'], { STRATA_ENDPOINT: cluster.adminUrl(1) });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^strata: (NotLeader|NoLeader): .*\(a majority of the metadata \(voter\) nodes must be running and reachable; see strata cluster status\)$/m);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    process.stderr.write(`cli-cluster: no-majority error after ${Date.now() - started} ms: ${result.stderr}`);
  }, 120_000);
});
