import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StrataError } from '../platform/errors.js';
import { AdminServer } from './admin-server.js';
import { FakeAdminService } from './fake-admin-service.js';
import { FakeBackupAdmin } from './fake-backup-admin.js';
import { FakeLogAdmin, FakeSettingsAdmin } from './fake-log-admin.js';
import { FakeMaintenanceAdmin } from './fake-maintenance-admin.js';
import { FakeScrubAdmin } from './fake-scrub-admin.js';

describe('AdminServer operations routes', () => {
  let maintenance: FakeMaintenanceAdmin;
  let scrub: FakeScrubAdmin;
  let backup: FakeBackupAdmin;
  let logs: FakeLogAdmin;
  let settings: FakeSettingsAdmin;
  let server: AdminServer;
  let bare: AdminServer;
  let bareService: FakeAdminService;

  beforeAll(async () => {
    maintenance = new FakeMaintenanceAdmin({ nodeIds: [1, 2, 3, 4] });
    scrub = new FakeScrubAdmin();
    backup = new FakeBackupAdmin();
    logs = new FakeLogAdmin();
    settings = new FakeSettingsAdmin();
    server = new AdminServer({ host: '127.0.0.1', port: 0, service: new FakeAdminService(), maintenance, scrub, backup, logs, settings });
    bareService = new FakeAdminService();
    bare = new AdminServer({ host: '127.0.0.1', port: 0, service: bareService });
    await Promise.all([server.start(), bare.start()]);
  });

  afterAll(async () => {
    await Promise.all([server.stop(), bare.stop()]);
  });

  beforeEach(() => {
    maintenance.failures.clear();
    maintenance.infeasibleReason = undefined;
  });

  const request = (method: string, path: string, body?: unknown, base = server.url) =>
    fetch(`${base}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? {} : { 'content-type': 'application/json' } });
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

  it('drain dry run plans without moving, then drain starts, status advances to drained', async () => {
    const plan = await request('POST', '/admin/v1/nodes/node-4/drain', { dryRun: true });
    expect(plan.status).toBe(200);
    expect(await plan.json()).toMatchObject({ nodeId: 4, feasible: true, chunks: 400 });
    expect(maintenance.members.get(4)?.state).toBe('active');
    expect((await request('POST', '/admin/v1/nodes/4/drain')).status).toBe(200);
    expect(maintenance.members.get(4)?.state).toBe('draining');
    const first = (await (await request('GET', '/admin/v1/nodes/4/drain')).json()) as { state: string };
    const second = (await (await request('GET', '/admin/v1/nodes/4/drain')).json()) as { state: string; progress: { bytesDone: number; bytesTotal: number } };
    expect([first.state, second.state]).toEqual(['draining', 'drained']);
    expect(second.progress.bytesDone).toBe(second.progress.bytesTotal);
    expect(await (await request('POST', '/admin/v1/nodes/4/undrain')).json()).toMatchObject({ state: 'active' });
  });

  it('an infeasible drain is 409 FailedPrecondition unless it is a dry run', async () => {
    maintenance.infeasibleReason = 'only 2 zones would be left for 3 shards';
    const dry = await request('POST', '/admin/v1/nodes/3/drain', { dryRun: true });
    expect(await dry.json()).toMatchObject({ feasible: false, reason: 'only 2 zones would be left for 3 shards' });
    const res = await request('POST', '/admin/v1/nodes/3/drain', {});
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toMatchObject({ code: 'FailedPrecondition' });
  });

  it('validates bodies and queries with 400 InvalidArgument naming the field', async () => {
    const bad = await request('POST', '/admin/v1/nodes/3/drain', { dryRun: 'yes' });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).message).toContain('"dryRun"');
    const force = await request('DELETE', '/admin/v1/nodes/3?force=maybe');
    expect(force.status).toBe(400);
    expect((await errorOf(force)).message).toContain('"force"');
    const level = await request('GET', '/admin/v1/logs?level=loud');
    expect((await errorOf(level)).message).toContain('"level"');
    const since = await request('GET', '/admin/v1/logs?since=yesterday');
    expect(since.status).toBe(400);
    const value = await request('PUT', '/admin/v1/settings/log_level', { val: 'debug' });
    expect(value.status).toBe(400);
    expect((await errorOf(value)).message).toContain('"value"');
    const node = await request('GET', '/admin/v1/nodes/nodeX/drain');
    expect(node.status).toBe(400);
  });

  it('remove refuses an undrained node with 409 and removes with force=true', async () => {
    const refused = await request('DELETE', '/admin/v1/nodes/2');
    expect(refused.status).toBe(409);
    expect(await errorOf(refused)).toMatchObject({ code: 'FailedPrecondition' });
    expect((await request('DELETE', '/admin/v1/nodes/node-2?force=true')).status).toBe(204);
    expect(maintenance.members.has(2)).toBe(false);
    const gone = await request('DELETE', '/admin/v1/nodes/2?force=true');
    expect(gone.status).toBe(404);
    const recovery = (await (await request('GET', '/admin/v1/recovery')).json()) as { nodes: number[] };
    expect(recovery.nodes).toEqual([2]);
  });

  it('rebalance, rebalance status and storage status', async () => {
    expect(await (await request('POST', '/admin/v1/rebalance')).json()).toMatchObject({ state: 'running' });
    expect(await (await request('GET', '/admin/v1/rebalance')).json()).toMatchObject({ state: 'running' });
    expect(await (await request('GET', '/admin/v1/rebalance')).json()).toMatchObject({ state: 'done' });
    const storage = (await (await request('GET', '/admin/v1/storage')).json()) as { nodes: unknown[]; buckets: number };
    expect(storage.buckets).toBe(2);
    expect(storage.nodes.length).toBeGreaterThan(0);
  });

  it('maps a NotLeader from maintenance to 421 with the leader header', async () => {
    maintenance.failures.set('rebalanceStatus', new StrataError('NotLeader', 'not the leader', { details: { leaderId: 2, leaderUrl: 'http://127.0.0.2:9090' } }));
    const res = await request('GET', '/admin/v1/rebalance');
    expect(res.status).toBe(421);
    expect(res.headers.get('x-strata-leader')).toBe('http://127.0.0.2:9090');
  });

  it('scrub start and status', async () => {
    expect(await (await request('POST', '/admin/v1/scrub')).json()).toMatchObject({ state: 'running', nodeId: 1 });
    expect(await (await request('GET', '/admin/v1/scrub')).json()).toMatchObject({ nodeId: 1 });
  });

  it('GET /admin/v1/backup streams the file with its headers', async () => {
    const res = await request('GET', '/admin/v1/backup');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('x-strata-backup-cluster-id')).toBe('c-test');
    expect(res.headers.get('x-strata-backup-raft-index')).toBe('1234');
    expect(res.headers.get('x-strata-backup-created-ms')).toBe('1700000000000');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.equals(backup.fileBytes())).toBe(true);
    expect(createHash('sha256').update(bytes.subarray(0, -32)).digest().equals(bytes.subarray(-32))).toBe(true);
  });

  it('a backup stream that breaks mid-way cuts the connection instead of ending cleanly', async () => {
    backup.failAfterBytes = 8192;
    try {
      const res = await request('GET', '/admin/v1/backup');
      expect(res.status).toBe(200);
      await expect(res.arrayBuffer()).rejects.toThrow();
    } finally {
      backup.failAfterBytes = undefined;
    }
  });

  it('POST and GET /admin/v1/backups', async () => {
    const run = await request('POST', '/admin/v1/backups', { destination: '/backup' });
    expect(await run.json()).toMatchObject({ ok: true, backup: { raftIndex: 1234 } });
    expect(await (await request('GET', '/admin/v1/backups')).json()).toMatchObject({ destination: '/backup', backups: [{ raftIndex: 1234 }] });
    expect((await request('POST', '/admin/v1/backups', { destination: 7 })).status).toBe(400);
  });

  it('GET /admin/v1/logs answers NDJSON filtered by level, since, filter and limit', async () => {
    logs.append({ timeMs: 1000, level: 'debug', component: 'raft', msg: 'tick' });
    logs.append({ timeMs: 2000, level: 'info', component: 's3', msg: 'put' });
    logs.append({ timeMs: 3000, level: 'error', component: 'raft', msg: 'lost leader' });
    const all = await request('GET', '/admin/v1/logs');
    expect(all.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await all.text()).trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toEqual(['tick', 'put', 'lost leader']);
    const raftErrors = await (await request('GET', '/admin/v1/logs?level=warn&filter=raft')).text();
    expect(raftErrors.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['lost leader']);
    const since = await (await request('GET', '/admin/v1/logs?since=1500&limit=1')).text();
    expect(since.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['lost leader']);
  });

  it('follow=true streams new lines until the client disconnects', async () => {
    const controller = new AbortController();
    const res = await fetch(`${server.url}/admin/v1/logs?follow=true&since=2500`, { signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += decoder.decode(value);
      }
    };
    await readUntil('lost leader');
    while (logs.followers === 0) await new Promise((r) => setTimeout(r, 5));
    logs.append({ timeMs: 4000, level: 'warn', component: 'chunks', msg: 'slow disk' });
    await readUntil('slow disk');
    controller.abort();
    for (let i = 0; i < 200 && logs.followers > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(logs.followers).toBe(0);
  });

  it('PUT /admin/v1/settings/:key changes a setting and refuses unknown keys', async () => {
    const res = await request('PUT', '/admin/v1/settings/log_level', { value: 'debug' });
    expect(await res.json()).toEqual({ key: 'log_level', value: 'debug', previous: 'info' });
    const unknown = await request('PUT', '/admin/v1/settings/colour', { value: 'blue' });
    expect(unknown.status).toBe(400);
    expect((await errorOf(unknown)).message).toContain('colour');
  });

  it('answers 501 Unavailable for each route whose service the node lacks', async () => {
    const routes: [string, string, unknown?][] = [
      ['POST', '/admin/v1/nodes/1/drain', {}],
      ['GET', '/admin/v1/nodes/1/drain'],
      ['POST', '/admin/v1/nodes/1/undrain'],
      ['POST', '/admin/v1/rebalance'],
      ['GET', '/admin/v1/rebalance'],
      ['GET', '/admin/v1/recovery'],
      ['GET', '/admin/v1/storage'],
      ['POST', '/admin/v1/scrub'],
      ['GET', '/admin/v1/scrub'],
      ['GET', '/admin/v1/backup'],
      ['POST', '/admin/v1/backups', {}],
      ['GET', '/admin/v1/backups'],
      ['GET', '/admin/v1/logs'],
      ['PUT', '/admin/v1/settings/log_level', { value: 'debug' }],
    ];
    for (const [method, path, body] of routes) {
      const res = await request(method, path, body, bare.url);
      expect({ path, status: res.status }).toEqual({ path, status: 501 });
      const error = await errorOf(res);
      expect(error.code).toBe('Unavailable');
      expect(error.message).toContain('is not available on this node');
    }
  });

  it('without maintenance, DELETE /nodes/:id still removes through the AdminService', async () => {
    expect((await request('DELETE', '/admin/v1/nodes/3', undefined, bare.url)).status).toBe(204);
    expect(bareService.calls.some((c) => c.method === 'removeNode' && c.args[0] === 3)).toBe(true);
  });
});
