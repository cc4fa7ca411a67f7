import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
// Test-only: the client is checked against the real HTTP layer with an in-memory service behind it.
import { AdminServer } from '../admin/admin-server.js';
import { FakeAdminService } from '../admin/fake-admin-service.js';
import { PromMetricsSink } from '../admin/prom-metrics-sink.js';
import { StrataError, isStrataError } from '../platform/errors.js';
import { SeededRandom } from '../platform/random.js';
import { AdminClient, type AdminClientOptions } from './admin-client.js';

interface Node {
  service: FakeAdminService;
  server: AdminServer;
}

async function startNode(nodeId: number, leaderId = nodeId): Promise<Node> {
  const service = new FakeAdminService({ nodeId, leaderId });
  const server = new AdminServer({ host: '127.0.0.1', port: 0, service, metrics: new PromMetricsSink({ collectDefaultMetrics: false }) });
  await server.start();
  return { service, server };
}

/** A URL on which nothing listens: a port that was bound and released. */
async function deadEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

async function errorOf(promise: Promise<unknown>): Promise<StrataError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof StrataError) return err;
    throw err;
  }
  throw new Error('expected a StrataError');
}

describe('AdminClient', () => {
  let leader: Node;
  let follower: Node;
  let sleeps: number[];

  const client = (endpoints: string[], extra: Partial<AdminClientOptions> = {}) =>
    new AdminClient({
      endpoints,
      timeoutMs: 2_000,
      retries: 2,
      random: new SeededRandom(1),
      sleep: async (ms) => void sleeps.push(ms),
      ...extra,
    });

  beforeAll(async () => {
    leader = await startNode(1);
    follower = await startNode(2, 1);
  });

  afterAll(async () => {
    await leader.server.stop();
    await follower.server.stop();
  });

  beforeEach(() => {
    sleeps = [];
    for (const node of [leader, follower]) {
      node.service.failures.clear();
      node.service.buckets.clear();
      node.service.calls.length = 0;
      node.service.healthReport = { ready: true, reasons: [] };
    }
    // The follower refuses writes and points at the leader, as the runtime will.
    const notLeader = new StrataError('NotLeader', 'node-2 is not the leader', { details: { leaderId: 1, leaderUrl: leader.server.url } });
    for (const method of ['createBucket', 'deleteBucket', 'listBuckets', 'removeNode', 'transferLeadership'] as const) {
      follower.service.failures.set(method, notLeader);
    }
  });

  it('calls every route and decodes the answers', async () => {
    const c = client([leader.server.url]);
    expect(await c.clusterStatus()).toEqual(leader.service.status);
    expect(await c.createBucket('photos')).toEqual({ name: 'photos', createdMs: leader.service.nowMs });
    expect(await c.listBuckets()).toEqual([{ name: 'photos', createdMs: leader.service.nowMs }]);
    await c.deleteBucket('photos');
    expect(await c.listBuckets()).toEqual([]);
    leader.service.status.nodes.push({ id: 9, name: 'node-9', address: 'x:9000', voter: false, role: 'learner', online: true, state: 'active' });
    await c.removeNode('node-9');
    expect(leader.service.status.nodes.map((n) => n.id)).toEqual([1, 2, 3]);
    expect(await c.transferLeadership(3)).toBe(3);
    leader.service.status.leaderId = 1;
    expect(await c.health()).toEqual({ ready: true, reasons: [] });
    expect(await c.live()).toBe(true);
    expect(await c.metricsText()).toContain('strata_admin_requests_total');
    expect(sleeps).toEqual([]);
  });

  it('returns a not-ready report instead of throwing', async () => {
    leader.service.healthReport = { ready: false, reasons: ['catching up'] };
    expect(await client([leader.server.url]).health()).toEqual({ ready: false, reasons: ['catching up'] });
  });

  it('asks a chosen node for health and metrics, without failing over', async () => {
    const dead = await deadEndpoint();
    const c = client([leader.server.url, follower.server.url], { retries: 0 });
    follower.service.healthReport = { ready: false, reasons: ['follower view'] };
    expect(await c.health({ endpoint: follower.server.url })).toEqual({ ready: false, reasons: ['follower view'] });
    const err = await errorOf(c.live({ endpoint: dead }));
    expect(err.code).toBe('Unavailable');
  });

  it('rethrows server errors with their code, message and details', async () => {
    const c = client([leader.server.url]);
    await c.createBucket('photos');
    const exists = await errorOf(c.createBucket('photos'));
    expect(exists.code).toBe('AlreadyExists');
    expect(exists.message).toBe('bucket photos already exists');
    expect(exists.details).toMatchObject({ bucket: 'photos', httpStatus: 409 });
    const invalid = await errorOf(c.createBucket('Not_Valid'));
    expect(invalid.code).toBe('InvalidArgument');
    expect(invalid.message).toMatch(/^invalid bucket name "Not_Valid"/);
    const missing = await errorOf(c.deleteBucket('nothing-here'));
    expect(missing.code).toBe('NotFound');
    expect(sleeps).toEqual([]);
  });

  it('follows the leader hint and then sticks to the leader', async () => {
    const c = client([follower.server.url]);
    expect((await c.createBucket('photos')).name).toBe('photos');
    expect(leader.service.buckets.has('photos')).toBe(true);
    expect(c.currentEndpoint).toBe(leader.server.url);
    const followerCalls = follower.service.calls.length;
    await c.listBuckets();
    expect(follower.service.calls.length).toBe(followerCalls);
    expect(sleeps).toEqual([]);
  });

  it('follows an id-only hint to a node it has learned from clusterStatus', async () => {
    const bystander = await startNode(3, 1);
    try {
      bystander.service.failures.set('createBucket', new StrataError('NotLeader', 'not leader', {}));
      follower.service.failures.set('createBucket', new StrataError('NotLeader', 'not leader', { details: { leaderId: 1 } }));
      // List order puts the bystander between the follower and the leader, so only the hint finds the leader directly.
      const c = client([leader.server.url, follower.server.url, bystander.server.url]);
      await c.clusterStatus();
      // Point the client at the follower by making the leader look unavailable once.
      leader.service.failures.set('clusterStatus', new StrataError('Unavailable', 'restarting'));
      await c.clusterStatus();
      expect(c.currentEndpoint).toBe(follower.server.url);
      await c.createBucket('photos');
      expect(leader.service.buckets.has('photos')).toBe(true);
      expect(c.currentEndpoint).toBe(leader.server.url);
      expect(bystander.service.calls.filter((call) => call.method === 'createBucket')).toEqual([]);
    } finally {
      await bystander.server.stop();
    }
  });

  it('fails over to the next endpoint when one cannot be reached', async () => {
    const c = client([await deadEndpoint(), leader.server.url]);
    expect((await c.clusterStatus()).nodeId).toBe(1);
    expect(c.currentEndpoint).toBe(leader.server.url);
    expect(sleeps).toEqual([]);
  });

  it('retries NoLeader with growing backoff until the cluster answers', async () => {
    let refusals = 2;
    leader.service.failures.set('listBuckets', () => (refusals-- > 0 ? new StrataError('NoLeader', 'election in progress', { retryable: true }) : undefined));
    const c = client([leader.server.url], { retries: 3, backoffBaseMs: 100, backoffMaxMs: 1_000 });
    expect(await c.listBuckets()).toEqual([]);
    expect(sleeps.length).toBe(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[1]).toBeGreaterThanOrEqual(100);
    expect(sleeps[1]).toBeLessThanOrEqual(200);
  });

  it('gives up after the retry budget with the last error', async () => {
    leader.service.failures.set('listBuckets', new StrataError('Timeout', 'commit timed out', { retryable: true }));
    const c = client([leader.server.url], { retries: 2 });
    const err = await errorOf(c.listBuckets());
    expect(err.code).toBe('Timeout');
    expect(err.message).toBe('commit timed out');
    expect(err.retryable).toBe(true);
    expect(leader.service.calls.filter((call) => call.method === 'listBuckets').length).toBe(3);
    expect(sleeps.length).toBe(2);
  });

  it('reports Unavailable when no endpoint answers', async () => {
    const c = client([await deadEndpoint(), await deadEndpoint()], { retries: 1 });
    const err = await errorOf(c.clusterStatus());
    expect(err.code).toBe('Unavailable');
    expect(err.message).toMatch(/cannot reach the node \(ECONNREFUSED\)/);
    expect(sleeps.length).toBe(1);
  });

  it('rejects endpoints that are not http URLs, and accepts bare host:port', () => {
    expect(() => new AdminClient({ endpoints: [] })).toThrow(/at least one endpoint/);
    expect(() => new AdminClient({ endpoints: ['ftp://x:1'] })).toThrow(/must be http or https/);
    expect(new AdminClient({ endpoints: ['127.0.0.1:9090/'] }).currentEndpoint).toBe('http://127.0.0.1:9090');
  });
});

describe('AdminClient against misbehaving servers', () => {
  let server: Server;
  let url: string;
  let handler: (res: import('node:http').ServerResponse) => void;

  beforeAll(async () => {
    server = createServer((_req, res) => handler(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(() => {
    server.closeAllConnections();
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const quick = () => new AdminClient({ endpoints: [url], retries: 0, timeoutMs: 150 });

  it('turns a non-JSON 502 into Unavailable', async () => {
    handler = (res) => res.writeHead(502).end('Bad Gateway');
    const err = await errorOf(quick().clusterStatus());
    expect(err.code).toBe('Unavailable');
    expect(err.message).toBe(`${url} answered HTTP 502: Bad Gateway`);
  });

  it('maps an unknown server code to Internal and keeps it in details', async () => {
    handler = (res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"Mystery","message":"m","details":{}}}');
    const err = await errorOf(quick().clusterStatus());
    expect(err.code).toBe('Internal');
    expect(err.details.serverCode).toBe('Mystery');
  });

  it('times out a server that never answers', async () => {
    handler = () => {};
    const err = await errorOf(quick().clusterStatus());
    expect(isStrataError(err, 'Timeout')).toBe(true);
    expect(err.message).toMatch(/no answer within 150ms/);
  });

  it('reports a success with a body that is not JSON as Internal', async () => {
    handler = (res) => res.writeHead(200).end('<html>');
    const err = await errorOf(quick().listBuckets());
    expect(err.code).toBe('Internal');
  });
});
