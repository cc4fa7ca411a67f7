import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveHttpLoadOptions, runHttpLoad } from './http-load.js';

// A local server that answers after `delayMs` and records what it saw, so the generator's counting,
// concurrency and keep-alive use can be checked against ground truth.
async function startServer(handler: (req: http.IncomingMessage, body: string) => { status: number; delayMs: number }) {
  const seen = { requests: 0, sockets: new Set<unknown>(), inFlight: 0, maxInFlight: 0, bodies: [] as string[] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.requests++;
      seen.sockets.add(req.socket);
      seen.inFlight++;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
      if (seen.bodies.length < 10) seen.bodies.push(body);
      const { status, delayMs } = handler(req, body);
      setTimeout(() => {
        seen.inFlight--;
        res.writeHead(status, { 'content-type': 'text/plain' }).end('done');
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, seen, url: `http://127.0.0.1:${port}` };
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
});

describe('runHttpLoad', () => {
  it('runs C workers closed-loop on C keep-alive sockets and measures server latency', async () => {
    const { server, seen, url } = await startServer(() => ({ status: 201, delayMs: 20 }));
    servers.push(server);
    const result = await runHttpLoad({
      concurrency: 4,
      warmupMs: 100,
      durationMs: 500,
      makeRequest: (w, seq) => ({ method: 'PUT', url: `${url}/b/w${w}-${seq}`, body: `{"w":${w},"s":${seq}}` }),
    });
    // Closed loop: ops x mean latency = workers x window, give or take the request each worker has in
    // flight at each edge of the window. At most 4 x 500 / 20 = 100 (the server never answers sooner).
    const expected = (4 * 500) / result.meanMs;
    expect(result.ops).toBeGreaterThan(10);
    expect(result.ops).toBeLessThanOrEqual(100);
    expect(result.ops).toBeGreaterThanOrEqual(Math.floor(expected) - 8);
    expect(result.ops).toBeLessThanOrEqual(Math.ceil(expected) + 4);
    expect(result.opsPerSecond).toBeCloseTo(result.ops / 0.5);
    expect(result.latenciesMs).toHaveLength(result.ops);
    expect(result.p50Ms).toBeGreaterThanOrEqual(19);
    expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
    expect(result.errors).toBe(0);
    expect(seen.maxInFlight).toBe(4);
    expect(seen.sockets.size).toBe(4); // keep-alive: no new connection per request
    expect(seen.requests).toBeGreaterThan(result.ops); // warm-up requests were sent but not counted
    expect(result.acknowledged).toBe(seen.requests);
    expect(seen.bodies[0]).toMatch(/^\{"w":\d,"s":0\}$/);
  });

  it('counts non-2xx answers and refused connections as errors, not as operations', async () => {
    let n = 0;
    const { server, url } = await startServer(() => ({ status: n++ % 2 === 0 ? 500 : 200, delayMs: 5 }));
    servers.push(server);
    const mixed = await runHttpLoad({
      concurrency: 1,
      warmupMs: 0,
      durationMs: 300,
      errorBackoffMs: 0,
      makeRequest: () => ({ method: 'POST', url }),
    });
    expect(mixed.errors).toBeGreaterThan(5);
    expect(Math.abs(mixed.errors - mixed.ops)).toBeLessThanOrEqual(1);
    expect(mixed.errorSamples[0]).toContain('HTTP 500');

    const refused = await runHttpLoad({
      concurrency: 2,
      warmupMs: 0,
      durationMs: 200,
      makeRequest: () => ({ method: 'GET', url: 'http://127.0.0.1:1/' }),
    });
    expect(refused.ops).toBe(0);
    expect(refused.errors).toBeGreaterThan(0);
    expect(refused.p50Ms).toBeNaN();
    expect(refused.errorSamples[0]).toContain('ECONNREFUSED');
  });

  it('honours a custom success predicate on the body', async () => {
    const { server, url } = await startServer(() => ({ status: 200, delayMs: 1 }));
    servers.push(server);
    const result = await runHttpLoad({
      concurrency: 1,
      warmupMs: 0,
      durationMs: 100,
      errorBackoffMs: 0,
      isSuccess: (status, body) => status === 200 && body === 'not this',
      makeRequest: () => ({ method: 'GET', url }),
    });
    expect(result.ops).toBe(0);
    expect(result.errors).toBeGreaterThan(0);
  });

  it('validates its options', () => {
    const makeRequest = () => ({ method: 'GET', url: 'http://x' });
    expect(() => resolveHttpLoadOptions({ concurrency: 0, durationMs: 1, warmupMs: 0, makeRequest })).toThrow(RangeError);
    expect(() => resolveHttpLoadOptions({ concurrency: 1, durationMs: 0, warmupMs: 0, makeRequest })).toThrow(RangeError);
    expect(resolveHttpLoadOptions({ concurrency: 1, durationMs: 1, warmupMs: 0, makeRequest }).requestTimeoutMs).toBe(10_000);
    const explicitUndefined = resolveHttpLoadOptions({ concurrency: 1, durationMs: 1, warmupMs: 0, makeRequest, isSuccess: undefined });
    expect(explicitUndefined.isSuccess(204, '')).toBe(true);
    expect(explicitUndefined.isSuccess(307, '')).toBe(false);
  });
});
