import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StrataError } from '../platform/errors.js';
import { FakeAdminCluster } from './fake-admin-cluster.js';

describe('strata CLI: per-node commands (scrub, logs, config set) and backup', () => {
  const cluster = new FakeAdminCluster();
  let dir: string;

  beforeAll(async () => {
    await cluster.start();
    dir = await mkdtemp(join(tmpdir(), 'strata-cli-'));
    const base = Date.parse('2026-11-27T10:00:00.000Z');
    for (const node of cluster.nodes) {
      node.logs.append({ timeMs: base + node.id, level: 'debug', component: 'raft', msg: 'tick', fields: { node: `node-${node.id}`, term: 3 } });
      node.logs.append({ timeMs: base + 1000 + node.id, level: 'info', component: 's3', msg: 'put object', fields: { node: `node-${node.id}`, bucket: 'b', key: 'a b' } });
      node.logs.append({ timeMs: base + 2000 + node.id, level: 'error', component: 'raft', msg: 'lost leader', fields: { node: `node-${node.id}` } });
    }
  });

  afterAll(async () => {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('scrub start starts a pass on every node and prints a table', async () => {
    const { code, stdout } = await cluster.run(['scrub', 'start']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^NODE +STATE +PROGRESS +CHECKED +ERRORS FOUND +REPAIRED +LAST FINISHED +NEXT RUN$/m);
    for (const id of [1, 2, 3]) expect(stdout).toMatch(new RegExp(`^node-${id} +running +0\\.0%`, 'm'));
    expect(cluster.nodes.map((n) => n.scrub.count('scrubStart'))).toEqual([1, 1, 1]);
  });

  it('scrub status --watch follows every node until all passes end', async () => {
    cluster.node(2).scrub.errorsPerPass = 2;
    const { code, stdout } = await cluster.run(['scrub', 'status', '--watch']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^node-2 {2}.*\((running|idle)\)$/m);
    expect(stdout).toMatch(/^node-2 +idle +100\.0% +512 MiB\/512 MiB +2 +2 /m);
    expect(stdout).toMatch(/^node-1 +idle +100\.0% .* +0 +0 /m);
  });

  it('scrub status --node asks one node; --json is the raw answer', async () => {
    const { code, stdout } = await cluster.run(['scrub', 'status', '--node', 'node-3', '--json']);
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { nodeId: number }[];
    expect(parsed.map((s) => s.nodeId)).toEqual([3]);
  });

  it('a node failing scrub status is reported in the table and the run exits 1 with one line', async () => {
    cluster.node(3).scrub.failures.set('scrubStatus', new StrataError('Internal', 'disk unreadable'));
    try {
      const { code, stdout, stderr } = await cluster.run(['scrub', 'status']);
      expect(code).toBe(1);
      expect(stdout).toMatch(/^node-3 +error: Internal: disk unreadable/m);
      expect(stdout).toMatch(/^node-1 +idle/m);
      expect(stderr).toBe('strata: scrub status failed on 1 of 3 nodes: Internal: disk unreadable (on node-3)\n');
    } finally {
      cluster.node(3).scrub.failures.clear();
    }
  });

  it('logs merges every node by time in `TIME LEVEL [component] msg key=value` lines', async () => {
    const { code, stdout } = await cluster.run(['logs']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(9);
    expect(lines[0]).toBe('2026-11-27T10:00:00.001Z DEBUG [raft] tick node=node-1 term=3');
    expect(lines[3]).toBe('2026-11-27T10:00:01.001Z INFO  [s3] put object node=node-1 bucket=b key="a b"');
    expect(lines[8]).toBe('2026-11-27T10:00:02.003Z ERROR [raft] lost leader node=node-3');
  });

  it('logs filters by level, component, time, node; --json prints records', async () => {
    const errors = await cluster.run(['logs', '--level', 'error', '--filter', 'raft']);
    expect(errors.stdout.trimEnd().split('\n').map((l) => l.split(' ').slice(1, 3).join(' '))).toEqual(['ERROR [raft]', 'ERROR [raft]', 'ERROR [raft]']);
    const since = await cluster.run(['logs', '--since', '2026-11-27T10:00:01.500Z', '--node', '2']);
    expect(since.stdout).toBe('2026-11-27T10:00:02.002Z ERROR [raft] lost leader node=node-2\n');
    const relative = await cluster.run(['logs', '--since', '1h', '--node', 'node-1'], { nowMs: () => Date.parse('2026-11-27T11:00:01.500Z') });
    expect(relative.stdout.trimEnd().split('\n')).toHaveLength(1);
    const json = await cluster.run(['logs', '--node', 'node-1', '--json', '--limit', '2']);
    const records = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { msg: string });
    expect(records.map((r) => r.msg)).toEqual(['put object', 'lost leader']);
    const bad = await cluster.run(['logs', '--level', 'loud']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('strata: --level must be one of trace, debug, info, warn, error, fatal, got "loud"\n');
  });

  it('logs --follow prints recent lines, then new ones, until interrupted', async () => {
    const node = cluster.node(2);
    const controller = new AbortController();
    let stdout = '';
    const running = cluster.run(['logs', '--follow', '--node', 'node-2', '--level', 'warn'], {
      stdout: {
        write: (text: string) => {
          stdout += text;
          if (text.includes('disk slow')) controller.abort();
        },
      },
      signal: controller.signal,
    });
    while (node.logs.followers === 0) await new Promise((r) => setTimeout(r, 5));
    node.logs.append({ timeMs: Date.parse('2026-11-27T10:00:05Z'), level: 'info', component: 'chunks', msg: 'quiet line' });
    node.logs.append({ timeMs: Date.parse('2026-11-27T10:00:06Z'), level: 'warn', component: 'chunks', msg: 'disk slow', fields: { node: 'node-2', ms: 900 } });
    const result = await running;
    expect(result.code).toBe(0);
    expect(stdout).toBe('2026-11-27T10:00:02.002Z ERROR [raft] lost leader node=node-2\n2026-11-27T10:00:06.000Z WARN  [chunks] disk slow node=node-2 ms=900\n');
  });

  it('config set changes the setting on every node and reports each', async () => {
    const { code, stdout } = await cluster.run(['config', 'set', 'log_level', 'debug']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^NODE +KEY +VALUE +PREVIOUS +RESULT$/m);
    for (const id of [1, 2, 3]) expect(stdout).toMatch(new RegExp(`^node-${id} +log_level +debug +info +ok$`, 'm'));
    expect(cluster.nodes.map((n) => n.settings.values.get('log_level'))).toEqual(['debug', 'debug', 'debug']);
    const one = await cluster.run(['config', 'set', 'log_level', 'warn', '--node', '2', '--json']);
    expect(JSON.parse(one.stdout)).toEqual([{ node: 'node-2', key: 'log_level', value: 'warn', previous: 'debug' }]);
  });

  it('config set of an unknown key fails on each node with one line', async () => {
    const all = await cluster.run(['config', 'set', 'colour', 'blue']);
    expect(all.code).toBe(1);
    expect(all.stdout).toMatch(/^node-1 +colour +blue +- +error: InvalidArgument: unknown setting "colour"/m);
    expect(all.stderr).toBe('strata: config set failed on 3 of 3 nodes: InvalidArgument: unknown setting "colour" (known: log_level) (on node-1, node-2, node-3)\n');
    const one = await cluster.run(['config', 'set', 'colour', 'blue', '--node', 'node-1']);
    expect(one.stderr).toBe('strata: InvalidArgument: unknown setting "colour" (known: log_level)\n');
  });

  it('backup create streams the backup into FILE (via FILE.tmp) and prints size and sha256', async () => {
    const output = join(dir, 'metadata.snap');
    const { code, stdout, stderr } = await cluster.run(['backup', 'create', '--output', output]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const written = await readFile(output);
    expect(written.equals(cluster.backup.fileBytes())).toBe(true);
    const sha = createHash('sha256').update(cluster.backup.payload).digest('hex');
    expect(stdout).toMatch(new RegExp(`^sha256: +${sha}$`, 'm'));
    expect(stdout).toMatch(new RegExp(`^size: +.* \\(${written.length} bytes\\)$`, 'm'));
    expect(stdout).toMatch(/^raft index: +1234 \(term 3\)$/m);
    expect(await readdir(dir)).toEqual(['metadata.snap']);
    const json = await cluster.run(['backup', 'create', '--output', join(dir, 'again.snap'), '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ clusterId: 'c-test', raftIndex: 1234, sizeBytes: written.length, sha256: sha });
  });

  it('a backup stream that breaks off leaves no file and exits 1', async () => {
    cluster.backup.failAfterBytes = 8192;
    try {
      const output = join(dir, 'broken.snap');
      const { code, stderr } = await cluster.run(['backup', 'create', '--output', output]);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^strata: (Unavailable|Corruption): /);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect((await readdir(dir)).filter((f) => f.startsWith('broken'))).toEqual([]);
    } finally {
      cluster.backup.failAfterBytes = undefined;
    }
  });

  it('a backup whose checksum does not match is refused and not kept', async () => {
    const good = cluster.backup.fileBytes.bind(cluster.backup);
    cluster.backup.fileBytes = () => {
      const bytes = good();
      bytes[10] ^= 0xff;
      return bytes;
    };
    try {
      const { code, stderr } = await cluster.run(['backup', 'create', '--output', join(dir, 'bad.snap')]);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^strata: Corruption: the backup's checksum does not match its bytes/);
      expect((await readdir(dir)).filter((f) => f.startsWith('bad'))).toEqual([]);
    } finally {
      cluster.backup.fileBytes = good;
    }
  });

  it('backup status prints the schedule and the kept backups', async () => {
    await cluster.backup.backupToDestination({ destination: '/backup' });
    const { code, stdout } = await cluster.run(['backup', 'status']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^destination: +\/backup$/m);
    expect(stdout).toMatch(/^strata-c-test-1234\.snap +2023-11-14T22:13:20\.000Z +1234 /m);
  });

  it('restore refuses a file that is not a backup, before touching the data dir', async () => {
    const dataDir = join(dir, 'data');
    const junk = join(dir, 'metadata.snap');
    const { code, stderr } = await cluster.run(['restore', '--input', junk, '--data-dir', dataDir]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^strata: [A-Za-z]+: /);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    const both = await cluster.run(['restore', '--input', junk, '--data-dir', dataDir, '--config', 'x.toml']);
    expect(both.code).toBe(2);
    const missing = await cluster.run(['restore', '--data-dir', dataDir]);
    expect(missing.code).toBe(2);
  });
});
