import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StrataError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { AdminServer } from './admin-server.js';
import { FakeAdminService } from './fake-admin-service.js';
import { PromMetricsSink } from './prom-metrics-sink.js';

/** Records debug lines so the request log can be checked. */
function recordingLogger(lines: { level: string; obj: unknown }[]): Logger {
  const at = (level: string) => (obj: object | string) => void lines.push({ level, obj });
  const logger: Logger = { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

describe('AdminServer', () => {
  let service: FakeAdminService;
  let metrics: PromMetricsSink;
  let server: AdminServer;
  const logLines: { level: string; obj: unknown }[] = [];

  beforeAll(async () => {
    service = new FakeAdminService();
    metrics = new PromMetricsSink();
    server = new AdminServer({ host: '127.0.0.1', port: 0, service, metrics, logger: recordingLogger(logLines), requestTimeoutMs: 200 });
    await server.start();
  });

  afterAll(async () => {
    await server.stop();
  });

  beforeEach(() => {
    service.failures.clear();
    service.buckets.clear();
    service.healthReport = { ready: true, reasons: [] };
  });

  const request = (method: string, path: string, body?: string) =>
    fetch(`${server.url}${path}`, { method, body, headers: body === undefined ? {} : { 'content-type': 'application/json' } });

  it('binds a real port when asked for port 0', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('GET /health/live answers 200 OK', async () => {
    const res = await request('GET', '/health/live');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('OK');
  });

  it('GET /health/ready follows AdminService.health()', async () => {
    const ready = await request('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, reasons: [] });

    service.healthReport = { ready: false, reasons: ['no raft leader', 'storage not mounted'] };
    const notReady = await request('GET', '/health/ready');
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, reasons: ['no raft leader', 'storage not mounted'] });

    service.failures.set('health', new Error('disk on fire'));
    const broken = await request('GET', '/health/ready');
    expect(broken.status).toBe(503);
    expect(await broken.json()).toEqual({ ready: false, reasons: ['health check failed: disk on fire'] });
  });

  it('GET /metrics serves Prometheus text with registered and default metrics', async () => {
    metrics.gauge('strata_raft_term', 'Current Raft term').set(7);
    const res = await request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('# TYPE strata_raft_term gauge');
    expect(text).toMatch(/^strata_raft_term 7$/m);
    expect(text).toContain('process_cpu_user_seconds_total');
    // The server counts its own requests (the /health/live call above, at least).
    expect(text).toMatch(/strata_admin_requests_total\{method="GET",route="\/health\/live",status="200"\} \d+/);
  });

  it('GET /admin/v1/cluster returns ClusterStatus', async () => {
    const res = await request('GET', '/admin/v1/cluster');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(service.status);
  });

  it('bucket routes create, list and delete', async () => {
    const created = await request('PUT', '/admin/v1/buckets/photos');
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ name: 'photos', createdMs: service.nowMs });

    const again = await request('PUT', '/admin/v1/buckets/photos');
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: { code: 'AlreadyExists', message: 'bucket photos already exists', details: { bucket: 'photos' } } });

    const list = await request('GET', '/admin/v1/buckets');
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ buckets: [{ name: 'photos', createdMs: service.nowMs }] });

    const deleted = await request('DELETE', '/admin/v1/buckets/photos');
    expect(deleted.status).toBe(204);
    const missing = await request('DELETE', '/admin/v1/buckets/photos');
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('NotFound');
  });

  it.each(['ab', 'Photos', 'a_b', '-abc', 'abc-', 'a..b', '192.168.1.1', 'xn--abc', 'abc-s3alias', 'a'.repeat(64), '%E2%9C%93%E2%9C%93%E2%9C%93'])(
    'rejects bucket name %j with 400 before calling the service',
    async (name) => {
      const before = service.calls.length;
      const res = await request('PUT', `/admin/v1/buckets/${name}`);
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.error.code).toBe('InvalidArgument');
      expect(body.error.message).toMatch(/^invalid bucket name/);
      expect(service.calls.length).toBe(before);
    },
  );

  it('answers a malformed %-escape with 400, not a crash', async () => {
    const res = await request('PUT', '/admin/v1/buckets/%E0%A4%A');
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('InvalidArgument');
  });

  it('DELETE /admin/v1/nodes/:id removes a node by number or node-<id>', async () => {
    service.status.nodes.push({ id: 4, name: 'node-4', address: '127.0.0.4:9000', voter: true, role: 'follower', online: true, state: 'active' });
    service.status.nodes.push({ id: 5, name: 'node-5', address: '127.0.0.5:9000', voter: true, role: 'follower', online: true, state: 'active' });
    expect((await request('DELETE', '/admin/v1/nodes/4')).status).toBe(204);
    expect((await request('DELETE', '/admin/v1/nodes/node-5')).status).toBe(204);
    expect(service.calls.filter((c) => c.method === 'removeNode').map((c) => c.args[0])).toEqual([4, 5]);
    expect((await request('DELETE', '/admin/v1/nodes/4')).status).toBe(404);
    for (const bad of ['0', 'x', '-1', '1.5', '99999999999']) {
      const res = await request('DELETE', `/admin/v1/nodes/${bad}`);
      expect(res.status, bad).toBe(400);
    }
  });

  it('POST /admin/v1/leadership/transfer with and without a target', async () => {
    const toTwo = await request('POST', '/admin/v1/leadership/transfer', '{"to": 2}');
    expect(toTwo.status).toBe(200);
    expect(await toTwo.json()).toEqual({ leader: 2 });
    const any = await request('POST', '/admin/v1/leadership/transfer');
    expect(any.status).toBe(200);
    expect(await any.json()).toEqual({ leader: 1 });
    expect(service.calls.filter((c) => c.method === 'transferLeadership').map((c) => c.args[0])).toEqual([2, undefined]);
  });

  it.each([
    ['{"to": "two"}', /"to" must be a positive integer/],
    ['{"to": 0}', /"to" must be a positive integer/],
    ['{"to": ', /not valid JSON/],
    ['[1]', /must be a JSON object/],
    [`{"pad": "${'x'.repeat(70_000)}"}`, /larger than/],
  ])('rejects transfer body %#', async (body, message) => {
    const res = await request('POST', '/admin/v1/leadership/transfer', body);
    expect(res.status).toBe(400);
    const json = await res.json();
    expect(json.error.code).toBe('InvalidArgument');
    expect(json.error.message).toMatch(message);
  });

  it.each([
    [new StrataError('NoLeader', 'no leader elected', { retryable: true }), 503],
    [new StrataError('Timeout', 'proposal timed out', { retryable: true }), 504],
    [new StrataError('NotFound', 'nope'), 404],
    [new StrataError('AlreadyExists', 'exists'), 409],
    [new StrataError('InvalidArgument', 'bad'), 400],
    [new StrataError('CapacityExceeded', 'full', { details: { freeBytes: 0 } }), 507],
    [new StrataError('Unavailable', 'starting'), 503],
    [new StrataError('Corruption', 'bad crc'), 500],
  ])('maps %s to HTTP %d with the error body', async (err, status) => {
    service.failures.set('clusterStatus', err);
    const res = await request('GET', '/admin/v1/cluster');
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error: { code: err.code, message: err.message, details: err.details } });
  });

  it('NotLeader with a hint is 421 with x-strata-leader; without a hint 503', async () => {
    service.failures.set('createBucket', new StrataError('NotLeader', 'not the leader', { details: { leaderId: 2, leaderUrl: 'http://127.0.0.2:9090' } }));
    const hinted = await request('PUT', '/admin/v1/buckets/photos');
    expect(hinted.status).toBe(421);
    expect(hinted.headers.get('x-strata-leader')).toBe('http://127.0.0.2:9090');
    expect(await hinted.json()).toEqual({ error: { code: 'NotLeader', message: 'not the leader', details: { leaderId: 2, leaderUrl: 'http://127.0.0.2:9090' } } });

    service.failures.set('createBucket', new StrataError('NotLeader', 'not the leader', { details: { leaderId: 3 } }));
    const idOnly = await request('PUT', '/admin/v1/buckets/photos');
    expect(idOnly.status).toBe(421);
    expect(idOnly.headers.get('x-strata-leader')).toBe('3');

    service.failures.set('createBucket', new StrataError('NotLeader', 'not the leader', { details: { leaderId: 0 } }));
    const none = await request('PUT', '/admin/v1/buckets/photos');
    expect(none.status).toBe(503);
    expect(none.headers.get('x-strata-leader')).toBeNull();
  });

  it('hides unexpected errors behind 500 Internal and logs them', async () => {
    service.failures.set('listBuckets', new TypeError('cannot read properties of undefined (secret detail)'));
    const res = await request('GET', '/admin/v1/buckets');
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'Internal', message: 'internal error', details: {} } });
    expect(logLines.some((l) => l.level === 'error')).toBe(true);
  });

  it('answers 504 Timeout when the service does not answer in time', async () => {
    service.failures.set('listBuckets', () => undefined);
    const slow = service.listBuckets.bind(service);
    service.listBuckets = () => new Promise((resolve) => setTimeout(() => resolve(slow()), 1_000));
    try {
      const res = await request('GET', '/admin/v1/buckets');
      expect(res.status).toBe(504);
      expect((await res.json()).error.code).toBe('Timeout');
    } finally {
      service.listBuckets = slow;
    }
  });

  it('unknown paths are 404 and wrong methods 405, in the same JSON shape', async () => {
    const unknown = await request('GET', '/admin/v1/nothing');
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('NotFound');
    const wrongMethod = await request('POST', '/admin/v1/cluster');
    expect(wrongMethod.status).toBe(405);
    expect((await wrongMethod.json()).error.code).toBe('InvalidArgument');
  });

  it('logs each request at debug level', async () => {
    await request('GET', '/health/live');
    expect(logLines).toContainEqual({ level: 'debug', obj: expect.objectContaining({ method: 'GET', path: '/health/live', status: 200 }) });
  });
});

describe('AdminServer lifecycle', () => {
  it('stops even with idle keep-alive connections, and reports a busy port as Unavailable', async () => {
    const first = new AdminServer({ host: '127.0.0.1', port: 0, service: new FakeAdminService() });
    await first.start();
    expect((await fetch(`${first.url}/health/live`)).status).toBe(200);
    const clash = new AdminServer({ host: '127.0.0.1', port: first.port, service: new FakeAdminService() });
    await expect(clash.start()).rejects.toMatchObject({ code: 'Unavailable' });
    const url = first.url;
    await first.stop();
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  });
});
