import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { adminClientFactory } from './strata-admin.js';

/** A stand-in admin port: records requests and answers the contract's routes with canned JSON. */
async function fakeAdminPort(leaderId: number) {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url}${body === '' ? '' : ` ${body}`}`);
      const json = (value: unknown, status = 200) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      const url = req.url ?? '';
      if (url === '/admin/v1/cluster') return json({ clusterId: 'c', nodeId: leaderId, leaderId, term: 2, commitIndex: 9, appliedIndex: 9, nodes: [] });
      if (url === '/admin/v1/nodes/5/drain' && req.method === 'POST') return json({ nodeId: 5, feasible: true, chunks: 3, bytes: 30, targets: [] });
      if (url === '/admin/v1/nodes/6/drain') return json({ error: { code: 'FailedPrecondition', message: 'not enough capacity', details: {} } }, 409);
      if (url === '/admin/v1/storage') return json({ nodes: [], usedBytes: 0, availableBytes: 0, buckets: 0, objects: 0, degradedChunks: 2 });
      if (url === '/admin/v1/leadership/transfer') return json({ leader: 2 });
      if (url === '/admin/v1/backups') return json({ startedMs: 1, finishedMs: 2, ok: true, backup: { file: 'b.snap' } });
      json({ error: { code: 'NotFound', message: url, details: {} } }, 404);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, requests, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('AdminClientStrataAdmin', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('speaks the admin routes of the contract', async () => {
    const port = await fakeAdminPort(1);
    server = port.server;
    const admin = adminClientFactory({ retries: 0 })([port.url]);
    expect(await admin.drain(5)).toMatchObject({ feasible: true, chunks: 3 });
    await expect(admin.drain(6)).rejects.toMatchObject({ code: 'FailedPrecondition' });
    expect((await admin.storageStatus()).degradedChunks).toBe(2);
    expect(await admin.transferLeadership(1)).toBe(2);
    expect(await admin.backupToDestination('/var/lib/strata-backup/x')).toMatchObject({ ok: true });
    expect(port.requests).toEqual([
      'POST /admin/v1/nodes/5/drain {"dryRun":false}',
      'POST /admin/v1/nodes/6/drain {"dryRun":false}',
      'GET /admin/v1/storage',
      'GET /admin/v1/cluster',
      'POST /admin/v1/leadership/transfer {}',
      'POST /admin/v1/backups {"destination":"/var/lib/strata-backup/x"}',
    ]);
  });

  it('does not move leadership off a node that no longer leads', async () => {
    const port = await fakeAdminPort(3);
    server = port.server;
    const admin = adminClientFactory({ retries: 0 })([port.url]);
    expect(await admin.transferLeadership(1)).toBe(3);
    expect(port.requests).toEqual(['GET /admin/v1/cluster']);
  });
});
