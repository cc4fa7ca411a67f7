import dns from 'node:dns';
import { createServer, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FsChunkStore } from '../../storage/fs/fs-chunk-store.js';
import { ChunkServiceServer } from './chunk-service-server.js';
import { GrpcTransport } from './grpc-transport.js';
import { RemoteChunkStore } from './remote-chunk-store.js';
import { RecordingHandler } from './test-harness.js';

// A peer dialled by name that comes back at another address, as a StatefulSet pod does after a restart.
// The name resolves through dns.promises.lookup, which grpc-js calls for every resolution.
const NAME = 'peer-0.strata-nodes.test';
const realLookup = dns.promises.lookup;
let addressOfName = '127.0.0.61';
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  dns.promises.lookup = realLookup;
});

async function servePeer(host: string, port: number): Promise<GrpcTransport> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-reconnect-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const store = await FsChunkStore.open({ dir, syncWrites: false });
  const transport = new GrpcTransport({
    nodeId: 1,
    listenAddress: `${host}:${port}`,
    clusterId: 'c1',
    services: [new ChunkServiceServer({ store, nodeId: 1, clusterId: () => 'c1' })],
  });
  await transport.start(new RecordingHandler());
  return transport;
}

function resolveNameThroughAddressOfName(): void {
  dns.promises.lookup = (async (hostname: string, options: dns.LookupAllOptions) =>
    hostname === NAME ? [{ address: addressOfName, family: 4 }] : realLookup(hostname, options)) as typeof dns.promises.lookup;
}

/** Asks for the peer's usage until it answers; false when it did not within `ms`. */
async function answersWithin(remote: RemoteChunkStore, ms: number): Promise<boolean> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await remote.usage().then(() => true, () => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

describe('a peer restarted at a new address under the same name', () => {
  it('is reached again within seconds (grpc-js alone waits 30 s between DNS lookups)', async () => {
    resolveNameThroughAddressOfName();
    const first = await servePeer('127.0.0.61', 0);
    const port = Number(first.address.split(':').pop());
    const remote = new RemoteChunkStore({ address: `${NAME}:${port}`, selfId: 2, clusterId: () => 'c1', callTimeoutMs: 1_000 });
    cleanups.push(() => remote.close());
    expect((await remote.usage()).availableBytes).toBeGreaterThan(0);

    await first.stop();
    await expect(remote.usage()).rejects.toThrow();
    addressOfName = '127.0.0.62';
    const second = await servePeer('127.0.0.62', port);
    cleanups.push(() => second.stop());

    expect(await answersWithin(remote, 15_000), 'the peer at its new address answered within 15 s').toBe(true);
  }, 30_000);

  it('is reached when the old address swallows the connect: the stuck channel is replaced after connectTimeoutMs', async () => {
    // What a vanished pod IP does to a connect: no answer. A TCP server that accepts and never speaks HTTP/2
    // holds grpc-js in CONNECTING the same way (it has no connect timeout of its own).
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen({ host: '127.0.0.63', port: 0 }, resolve));
    cleanups.push(() => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      silent.close(() => resolve());
    }));
    const port = (silent.address() as { port: number }).port;
    addressOfName = '127.0.0.63';
    resolveNameThroughAddressOfName();
    const remote = new RemoteChunkStore({ address: `${NAME}:${port}`, selfId: 2, clusterId: () => 'c1', callTimeoutMs: 500, connectTimeoutMs: 1_000 });
    cleanups.push(() => remote.close());
    await expect(remote.usage()).rejects.toThrow();

    addressOfName = '127.0.0.64';
    const peer = await servePeer('127.0.0.64', port);
    cleanups.push(() => peer.stop());
    expect(await answersWithin(remote, 15_000), 'the peer at its new address answered within 15 s').toBe(true);
  }, 30_000);
});
