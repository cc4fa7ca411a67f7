import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StrataError } from '../platform/errors.js';
import { BUILD_VERSION } from '../platform/real/build-version.js';
import { FakeAdminCluster } from './fake-admin-cluster.js';

describe('strata CLI: cluster, storage and recovery commands', () => {
  const cluster = new FakeAdminCluster();

  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  beforeEach(() => {
    cluster.maintenance.failures.clear();
    cluster.maintenance.infeasibleReason = undefined;
    for (const n of cluster.nodes) n.service.failures.clear();
  });

  it('cluster status prints the leader, term and a node table', async () => {
    const { code, stdout, stderr } = await cluster.run(['cluster', 'status']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^cluster: +c-test$/m);
    expect(stdout).toMatch(/^leader: +node-1$/m);
    expect(stdout).toMatch(/^term: +3$/m);
    expect(stdout).toMatch(/^NODE +ADDRESS +ROLE +VOTER +STATE +ONLINE +ZONE +ADMIN URL$/m);
    expect(stdout).toMatch(/^node-2 +127\.0\.0\.2:9000 +follower +yes +active +yes +- +http:\/\/127\.0\.0\.1:\d+$/m);
  });

  it('cluster nodes --json prints the raw members', async () => {
    const { code, stdout } = await cluster.run(['cluster', 'nodes', '--json']);
    expect(code).toBe(0);
    const nodes = JSON.parse(stdout) as { name: string; role: string }[];
    expect(nodes.map((n) => n.name)).toEqual(['node-1', 'node-2', 'node-3']);
    expect(nodes[0].role).toBe('leader');
  });

  it('table columns line up', async () => {
    const { stdout } = await cluster.run(['cluster', 'nodes']);
    const lines = stdout.trimEnd().split('\n');
    const roleColumn = lines[0].indexOf('ROLE');
    for (const line of lines.slice(1)) expect(line.slice(roleColumn)).toMatch(/^(leader|follower) /);
  });

  it('--endpoint wins over STRATA_ENDPOINT; a list fails over past a dead endpoint; status is the leader\'s view', async () => {
    const dead = 'http://127.0.0.1:9';
    const viaFlag = await cluster.run(['cluster', 'status', '--endpoint', `${dead},${cluster.node(2).server.url}`], { env: { STRATA_ENDPOINT: dead } });
    expect(viaFlag.code).toBe(0);
    expect(viaFlag.stdout).toMatch(/^answered by: +node-1 \(version 0\.0\.0-test\)$/m);
    expect(cluster.node(2).service.calls.some((c) => c.method === 'clusterStatus')).toBe(true);
  });

  it('an unreachable cluster is one line and exit 1', async () => {
    const { code, stdout, stderr } = await cluster.run(['cluster', 'status'], { env: { STRATA_ENDPOINT: 'http://127.0.0.1:9' } });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^strata: Unavailable: .*cannot reach the node/);
  }, 20_000);

  it('NoLeader reaches the user with its name and a hint, exit 1', async () => {
    cluster.node(1).service.failures.set('clusterStatus', new StrataError('NoLeader', 'no Raft leader is elected', { retryable: true }));
    for (const n of cluster.nodes) n.service.failures.set('clusterStatus', new StrataError('NoLeader', 'no Raft leader is elected', { retryable: true }));
    const { code, stderr } = await cluster.run(['cluster', 'status']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^strata: NoLeader: no Raft leader is elected \(a majority of the metadata/);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  }, 20_000);

  it('usage errors exit 2 with one line: unknown command, unknown option, missing argument, bad NODE', async () => {
    const unknown = await cluster.run(['clustr', 'status']);
    expect(unknown.stderr).toBe("strata: unknown command 'clustr' (Did you mean cluster?)\n");
    for (const argv of [['clustr', 'status'], ['cluster', 'status', '--bogus'], ['cluster', 'drain'], ['cluster', 'drain', 'nodeX'], ['backup', 'create'], ['logs', '--since', 'yesterday']]) {
      const { code, stderr } = await cluster.run(argv);
      expect({ argv, code }).toEqual({ argv, code: 2 });
      expect(stderr).toMatch(/^strata: /);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('--version prints the package version and exits 0', async () => {
    const { code, stdout } = await cluster.run(['--version']);
    expect(code).toBe(0);
    expect(stdout).toBe(`strata ${BUILD_VERSION}\n`);
    expect(BUILD_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('--help prints usage and exits 0', async () => {
    const { code, stdout } = await cluster.run(['cluster', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('drain-status');
  });

  it('an unknown node fails with one line naming it', async () => {
    for (const argv of [['cluster', 'drain', 'node-9'], ['cluster', 'remove', '9'], ['scrub', 'status', '--node', 'node-9'], ['config', 'set', 'log_level', 'debug', '--node', '9']]) {
      const { code, stderr } = await cluster.run(argv);
      expect({ argv, code }).toEqual({ argv, code: 1 });
      expect(stderr).toMatch(/^strata: NotFound: node-9 is not a member of cluster c-test/);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('drain --dry-run prints the plan and moves nothing; an infeasible one exits 1 with the reason', async () => {
    const dry = await cluster.run(['cluster', 'drain', 'node-3', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('dry run, nothing moved: draining node-3 would move 300 chunks, 3.0 GiB');
    expect(dry.stdout).toMatch(/^TARGET +CHUNKS +BYTES$/m);
    expect(dry.stdout).toMatch(/^node-1 +150 +1\.5 GiB$/m);
    expect(cluster.maintenance.members.get(3)?.state).toBe('active');

    cluster.maintenance.infeasibleReason = 'only 2 zones would remain for 3 shards';
    const infeasible = await cluster.run(['cluster', 'drain', '3', '--dry-run']);
    expect(infeasible.code).toBe(1);
    expect(infeasible.stdout).toContain('reason: only 2 zones would remain for 3 shards');
    expect(infeasible.stderr).toBe('strata: FailedPrecondition: drain of node-3 would be refused: only 2 zones would remain for 3 shards\n');
    const refused = await cluster.run(['cluster', 'drain', '3']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('strata: FailedPrecondition: cannot drain node-3: only 2 zones would remain for 3 shards\n');
  });

  it('remove refuses an undrained node (FailedPrecondition, exit 1)', async () => {
    const { code, stderr } = await cluster.run(['cluster', 'remove', 'node-2']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^strata: FailedPrecondition: node-2 is active, not drained/);
  });

  it('drain, drain-status --watch until drained, undrain; remove after the drain', async () => {
    cluster.maintenance.stepFraction = 0.25;
    const started = await cluster.run(['cluster', 'drain', 'node-3']);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain('draining node-3: moving 300 chunks, 3.0 GiB');

    const once = await cluster.run(['cluster', 'drain-status', '3']);
    expect(once.stdout).toMatch(/^state: +draining$/m);
    expect(once.stdout).toMatch(/^progress {2}25\.0% {2}768 MiB\/3\.0 GiB {2}768 MiB\/s {2}ETA 3s {2}chunks 75\/300/m);

    const watched = await cluster.run(['cluster', 'drain-status', 'node-3', '--watch']);
    expect(watched.code).toBe(0);
    const lines = watched.stdout.split('\n').filter((l) => l.startsWith('node-3 '));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.at(-1)).toMatch(/^node-3 {2}100\.0% {2}3\.0 GiB\/3\.0 GiB .*\(drained\)$/);
    expect(watched.stdout).toMatch(/^state: +drained$/m);

    const json = await cluster.run(['cluster', 'drain-status', 'node-3', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ nodeId: 3, state: 'drained' });

    const removed = await cluster.run(['cluster', 'remove', 'node-3']);
    expect(removed).toEqual({ code: 0, stdout: 'node-3 removed\n', stderr: '' });
    cluster.maintenance.members.set(3, { state: 'active', online: true, usedBytes: 3 * 1024 ** 3, availableBytes: 10 * 1024 ** 3, chunks: 300, drain: { chunksTotal: 0, chunksDone: 0, bytesTotal: 0, bytesDone: 0, failures: 0, rateBytesPerSec: 0 } });
    cluster.maintenance.stepFraction = 0.5;
  });

  it('drain --watch starts and follows; undrain returns the node to service', async () => {
    const { code, stdout } = await cluster.run(['cluster', 'drain', '2', '--watch']);
    expect(code).toBe(0);
    expect(stdout).toContain('draining node-2: moving');
    expect(stdout).toMatch(/^state: +drained$/m);
    const undrain = await cluster.run(['cluster', 'undrain', 'node-2']);
    expect(undrain).toEqual({ code: 0, stdout: 'node-2: active\n', stderr: '' });
  });

  it('on a terminal, --watch draws a cli-progress bar with bytes, rate and ETA', async () => {
    const saved = structuredClone(cluster.maintenance.members.get(1)!);
    cluster.maintenance.stepFraction = 0.25;
    let tty = '';
    const stdout = { isTTY: true, columns: 120, write: (text: string) => ((tty += text), true) };
    // cli-progress redraws on its own timer (10 per second), so polls here are slow enough to be drawn.
    const { code } = await cluster.run(['cluster', 'drain', 'node-1', '--watch'], { stdout, watchIntervalMs: 150 });
    cluster.maintenance.stepFraction = 0.5;
    cluster.maintenance.members.set(1, saved);
    expect(code).toBe(0);
    const plain = tty.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '\n');
    expect(plain).toMatch(/node-1 [█░]{20} 25% \| 256 MiB\/1\.0 GiB \| 256 MiB\/s \| ETA 3s \| draining/);
    expect(plain).toMatch(/node-1 █{20} 100% \| 1\.0 GiB\/1\.0 GiB \| 0 B\/s \| ETA 0s \| drained/);
    expect(plain).toMatch(/^state: +drained$/m);
  });

  it('--watch --json prints one JSON answer per poll, the last one done', async () => {
    await cluster.run(['cluster', 'rebalance']);
    const { code, stdout } = await cluster.run(['cluster', 'rebalance-status', '--watch', '--json']);
    expect(code).toBe(0);
    const states = stdout.trim().split('\n').map((l) => (JSON.parse(l) as { state: string }).state);
    expect(states.at(-1)).toBe('done');
    expect(states.length).toBeGreaterThanOrEqual(1);
  });

  it('rebalance prints state, spread and utilisation; rebalance --watch ends when done', async () => {
    cluster.maintenance.rebalanceState = 'idle';
    const started = await cluster.run(['cluster', 'rebalance']);
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/^state: +running$/m);
    expect(started.stdout).toMatch(/^NODE +STATE +ONLINE +ZONE +USED +AVAILABLE +UTIL +CHUNKS$/m);
    cluster.maintenance.rebalanceState = 'idle';
    const watched = await cluster.run(['cluster', 'rebalance', '--watch']);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/^rebalance {2}100\.0%/m);
    expect(watched.stdout).toMatch(/^state: +done$/m);
  });

  it('storage status prints totals and a per-node table', async () => {
    const { code, stdout } = await cluster.run(['storage', 'status']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^buckets: +2$/m);
    expect(stdout).toMatch(/^objects: +40$/m);
    expect(stdout).toMatch(/^node-1 +active +yes +zone-1 +1\.0 GiB +10\.0 GiB +9\.1% +100$/m);
    const json = await cluster.run(['storage', 'status', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ buckets: 2, objects: 40 });
  });

  it('remove --force starts recovery; recovery status --watch follows it to the end', async () => {
    cluster.maintenance.stepFraction = 0.2;
    const removed = await cluster.run(['cluster', 'remove', '--force', 'node-1']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('node-1 removed; recovery rebuilds its data');
    const once = await cluster.run(['recovery', 'status']);
    expect(once.stdout).toMatch(/^state: +recovering$/m);
    expect(once.stdout).toMatch(/^nodes: +node-1$/m);
    const watched = await cluster.run(['recovery', 'status', '--watch']);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/^recovery {2}.*\(\d+ in progress\)$/m);
    expect(watched.stdout).toMatch(/^state: +idle$/m);
    cluster.maintenance.stepFraction = 0.5;
  });

  it('a status command follows NotLeader to the leader', async () => {
    const leaderUrl = cluster.node(1).server.url;
    let first = true;
    cluster.maintenance.failures.set('storageStatus', () => {
      if (!first) return undefined;
      first = false;
      return new StrataError('NotLeader', 'not the leader', { details: { leaderId: 1, leaderUrl } });
    });
    const { code, stdout } = await cluster.run(['storage', 'status'], { env: { STRATA_ENDPOINT: cluster.node(3).server.url } });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^buckets:/m);
    expect(cluster.maintenance.count('storageStatus')).toBeGreaterThanOrEqual(2);
  });

  it('CapacityExceeded reaches the user by name', async () => {
    cluster.maintenance.failures.set('rebalance', new StrataError('CapacityExceeded', 'no node has room for the moved shards'));
    const { code, stderr } = await cluster.run(['cluster', 'rebalance']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^strata: CapacityExceeded: no node has room for the moved shards \(add data nodes/);
  });
});
