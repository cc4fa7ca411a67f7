import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
// Test-only: the client is checked against the real HTTP layer with the admin fakes behind it.
import { AdminServer } from '../admin/admin-server.js';
import { FakeAdminService } from '../admin/fake-admin-service.js';
import { FakeBackupAdmin } from '../admin/fake-backup-admin.js';
import { FakeLogAdmin, FakeSettingsAdmin } from '../admin/fake-log-admin.js';
import { FakeMaintenanceAdmin } from '../admin/fake-maintenance-admin.js';
import { FakeScrubAdmin } from '../admin/fake-scrub-admin.js';
import { StrataError, isStrataError } from '../platform/errors.js';
import { AdminClient } from './admin-client.js';
import { ndjsonRecords } from './ndjson-lines.js';

async function errorOf(promise: Promise<unknown>): Promise<StrataError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof StrataError) return err;
    throw err;
  }
  throw new Error('expected a StrataError');
}

describe('AdminClient: maintenance, scrub, backup, logs, settings', () => {
  const maintenance = new FakeMaintenanceAdmin({ nodeIds: [1, 2, 3, 4] });
  const scrub = new FakeScrubAdmin({ nodeId: 2 });
  const backup = new FakeBackupAdmin();
  const logs = new FakeLogAdmin();
  const settings = new FakeSettingsAdmin();
  let leader: AdminServer;
  let follower: AdminServer;
  let bare: AdminServer;
  let sleeps: number[];

  beforeAll(async () => {
    leader = new AdminServer({ host: '127.0.0.1', port: 0, service: new FakeAdminService({ nodeId: 1 }), maintenance, backup });
    // The follower's maintenance answers NotLeader pointing at the leader, as the runtime does.
    const notLeader = new FakeMaintenanceAdmin();
    follower = new AdminServer({ host: '127.0.0.1', port: 0, service: new FakeAdminService({ nodeId: 2, leaderId: 1 }), maintenance: notLeader, scrub, logs, settings });
    bare = new AdminServer({ host: '127.0.0.1', port: 0, service: new FakeAdminService() });
    await Promise.all([leader.start(), follower.start(), bare.start()]);
    for (const method of ['drain', 'drainStatus', 'undrain', 'removeNode', 'rebalance', 'rebalanceStatus', 'recoveryStatus', 'storageStatus'] as const) {
      notLeader.failures.set(method, new StrataError('NotLeader', 'not the leader', { details: { leaderId: 1, leaderUrl: leader.url } }));
    }
  });

  afterAll(async () => {
    await Promise.all([leader.stop(), follower.stop(), bare.stop()]);
  });

  beforeEach(() => {
    sleeps = [];
  });

  const client = (endpoints: string[]) => new AdminClient({ endpoints, sleep: async (ms) => void sleeps.push(ms), retries: 2 });

  it('maintenance calls follow NotLeader from a follower to the leader', async () => {
    const c = client([follower.url]);
    const plan = await c.drain('node-4', { dryRun: true });
    expect(plan).toMatchObject({ nodeId: 4, feasible: true });
    expect(c.currentEndpoint).toBe(leader.url);
    expect(await c.drain(4)).toMatchObject({ nodeId: 4 });
    expect((await c.drainStatus(4)).state).toMatch(/draining|drained/);
    expect((await c.undrain('4')).state).toBe('active');
    expect((await c.storageStatus()).buckets).toBe(2);
    expect((await c.rebalance()).state).toBe('running');
    expect((await c.rebalanceStatus()).nodes.length).toBe(4);
    expect((await c.recoveryStatus()).inProgress).toBe(0);
  });

  it('a follower naming a leader that cannot be reached is NoLeader, not a network error of the node asked', async () => {
    const orphan = new FakeMaintenanceAdmin();
    orphan.failures.set('storageStatus', new StrataError('NotLeader', 'not the leader', { details: { leaderId: 9, leaderUrl: 'http://127.0.0.1:9' } }));
    const server = new AdminServer({ host: '127.0.0.1', port: 0, service: new FakeAdminService({ nodeId: 2, leaderId: 9 }), maintenance: orphan });
    await server.start();
    try {
      const err = await errorOf(client([server.url]).storageStatus());
      expect(err.code).toBe('NoLeader');
      expect(err.message).toMatch(/^no reachable Raft leader: http:\/\/127\.0\.0\.1:\d+ is not the leader/);
      expect(sleeps.length).toBe(2);
    } finally {
      await server.stop();
    }
  });

  it('removeNode sends force only when asked, and surfaces FailedPrecondition', async () => {
    const c = client([leader.url]);
    const refused = await errorOf(c.removeNode('node-3'));
    expect(refused.code).toBe('FailedPrecondition');
    expect(refused.details.httpStatus).toBe(409);
    await c.removeNode(3, { force: true });
    expect(maintenance.calls.filter((x) => x.method === 'removeNode').map((x) => x.args)).toEqual([
      [3, { force: false }],
      [3, { force: true }],
    ]);
  });

  it('scrub, logs and settings go to the one node asked (no leader following)', async () => {
    const c = client([leader.url]);
    expect((await c.scrubStart({ endpoint: follower.url })).nodeId).toBe(2);
    expect((await c.scrubStatus({ endpoint: follower.url })).nodeId).toBe(2);
    logs.append({ timeMs: 5, level: 'info', component: 'raft', msg: 'elected' });
    logs.append({ timeMs: 6, level: 'warn', component: 's3', msg: 'slow' });
    expect((await c.logs({ level: 'warn' }, { endpoint: follower.url })).map((r) => r.msg)).toEqual(['slow']);
    expect((await c.logs({ filter: 'raft', sinceMs: 1 }, { endpoint: follower.url })).map((r) => r.msg)).toEqual(['elected']);
    expect(await c.setSetting('log_level', 'debug', { endpoint: follower.url })).toEqual({ key: 'log_level', value: 'debug', previous: 'info' });
    // The leader has no scrubber here: 501, not retried.
    const missing = await errorOf(c.scrubStatus());
    expect(missing.code).toBe('Unavailable');
    expect(missing.details.httpStatus).toBe(501);
    expect(sleeps).toEqual([]);
  });

  it('a route the node was built without answers 501 at once, without retries or failover', async () => {
    const c = client([bare.url, leader.url]);
    const err = await errorOf(c.storageStatus());
    expect(err.message).toContain('is not available on this node');
    expect(sleeps).toEqual([]);
  });

  it('followLogs yields recent then new lines, and ends quietly when aborted', async () => {
    const c = client([leader.url]);
    const controller = new AbortController();
    const records = await c.followLogs({ sinceMs: 6 }, { endpoint: follower.url, signal: controller.signal });
    const seen: string[] = [];
    for await (const record of records) {
      seen.push(record.msg);
      if (seen.length === 1) {
        while (logs.followers === 0) await new Promise((r) => setTimeout(r, 5));
        logs.append({ timeMs: 7, level: 'error', component: 'chunks', msg: 'bad block' });
      } else {
        controller.abort();
      }
    }
    expect(seen).toEqual(['slow', 'bad block']);
  });

  it('downloadBackup streams the bytes and reads the headers', async () => {
    const c = client([follower.url, leader.url]);
    // The follower has no backup service (501), so ask the leader directly.
    const download = await c.downloadBackup({ endpoint: leader.url });
    expect(download.info).toEqual({ clusterId: 'c-test', raftIndex: 1234, raftTerm: 3, createdMs: 1_700_000_000_000, formatVersion: 1 });
    const chunks: Uint8Array[] = [];
    for await (const chunk of download.body) chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(backup.fileBytes())).toBe(true);
  });

  it('a backup stream that breaks off throws Unavailable while it is read', async () => {
    backup.failAfterBytes = 4096;
    try {
      const download = await client([leader.url]).downloadBackup();
      const err = await errorOf(
        (async () => {
          for await (const _ of download.body) void _;
        })(),
      );
      expect(isStrataError(err, 'Unavailable')).toBe(true);
      expect(err.message).toContain('broke off');
    } finally {
      backup.failAfterBytes = undefined;
    }
  });

  it('backupToDestination and backupStatus', async () => {
    const c = client([leader.url]);
    expect(await c.backupToDestination({ destination: '/backups' })).toMatchObject({ ok: true });
    expect((await c.backupStatus()).destination).toBe('/backups');
  });
});

describe('ndjsonRecords', () => {
  async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
    for (const p of parts) yield new TextEncoder().encode(p);
  }

  it('splits lines across chunk boundaries and keeps a last line without newline', async () => {
    const out: unknown[] = [];
    for await (const r of ndjsonRecords(chunks('{"a":', '1}\n\n{"a"', ':2}\n{"a":3}'), (l) => JSON.parse(l) as unknown)) out.push(r);
    expect(out).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
  });

  it('splits a multi-byte character cut between chunks correctly', async () => {
    const bytes = new TextEncoder().encode('{"m":"é"}\n');
    async function* split(): AsyncGenerator<Uint8Array> {
      yield bytes.subarray(0, 7);
      yield bytes.subarray(7);
    }
    const out: unknown[] = [];
    for await (const r of ndjsonRecords(split(), (l) => JSON.parse(l) as unknown)) out.push(r);
    expect(out).toEqual([{ m: 'é' }]);
  });
});
