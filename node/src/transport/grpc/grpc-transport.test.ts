import { credentials, makeGenericClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../raft/types.js';
import { GrpcTransport, type GrpcTransportOptions } from './grpc-transport.js';
import { freePort, recordingLogger, recordingMetrics, RecordingHandler, waitFor } from './test-harness.js';
import { ALL_MESSAGE_TYPES, fullMessage, normalize, seqMessage } from './test-messages.js';

const running: GrpcTransport[] = [];

async function node(id: number, handler: RecordingHandler, options: Partial<GrpcTransportOptions> = {}): Promise<GrpcTransport> {
  const transport = new GrpcTransport({ nodeId: id, listenAddress: '127.0.0.1:0', clusterId: 'c1', reconnectInitialMs: 20, reconnectMaxMs: 200, ...options });
  await transport.start(handler);
  running.push(transport);
  return transport;
}

/** Two started transports that know each other. */
async function pair(options: Partial<GrpcTransportOptions> = {}) {
  const ha = new RecordingHandler();
  const hb = new RecordingHandler();
  const a = await node(1, ha, options);
  const b = await node(2, hb, options);
  a.setPeer({ id: 2, address: b.address });
  b.setPeer({ id: 1, address: a.address });
  return { a, b, ha, hb };
}

function snapMessage(from: number, to: number, sizeBytes: number): Message {
  const data = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i += 4096) data[i] = (i / 4096) & 0xff;
  data[sizeBytes - 1] = 0xab;
  return { ...fullMessage('snap', from, to), entries: [], snapshot: { metadata: { index: 500, term: 9, conf: { voters: [1, 2], learners: [3] } }, data } };
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.stop()));
});

describe('GrpcTransport', () => {
  it('delivers every message type with every field exactly (snapshots included)', async () => {
    const { a, hb } = await pair();
    const sent = ALL_MESSAGE_TYPES.map((type, i) => fullMessage(type, 1, 2, i));
    a.send(sent);
    await waitFor('all messages', () => hb.messages.length === sent.length);
    const plain = hb.messages.filter((m) => m.type !== 'snap');
    expect(plain.map(normalize)).toEqual(sent.filter((m) => m.type !== 'snap').map(normalize));
    expect(normalize(hb.messages.find((m) => m.type === 'snap')!)).toEqual(normalize(sent.find((m) => m.type === 'snap')!));
  });

  it('carries 10k messages sent in bursts in order, in far fewer stream writes', async () => {
    const { a, b, hb } = await pair();
    const total = 10_000;
    const burst = 250;
    const started = performance.now();
    for (let seq = 1; seq <= total; ) {
      // One burst = several send() calls in one tick (like one Ready's messages), then yield.
      for (let i = 0; i < burst; i += 50) {
        a.send(Array.from({ length: 50 }, () => seqMessage(1, 2, seq++)));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor('10k messages', () => hb.messages.length === total);
    const ms = performance.now() - started;
    expect(hb.messages.map((m) => m.index)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const sent = a.stats();
    expect(sent.messages).toBe(total);
    expect(sent.batches).toBeLessThanOrEqual(total / burst);
    expect(b.stats().received.batches).toBe(sent.batches);
    expect(hb.deliveries.length).toBe(sent.batches);
    console.log(`[grpc-transport] 10k messages in ${sent.batches} batches, ${Math.round(total / (ms / 1000))} msg/s`);
  });

  it('cuts batches at maxBatchBytes and resumes after backpressure, in order', async () => {
    const { a, hb } = await pair({ maxBatchBytes: 16 * 1024, maxQueuedMessages: 50_000 });
    const total = 20_000;
    a.send(Array.from({ length: total }, (_, i) => seqMessage(1, 2, i + 1)));
    a.send([seqMessage(1, 2, total + 1)]); // queued behind the burst
    await waitFor('all messages', () => hb.messages.length === total + 1);
    expect(hb.messages.map((m) => m.index)).toEqual(Array.from({ length: total + 1 }, (_, i) => i + 1));
    // ~140 bytes estimated per message: about 117 per batch, so well over grpc-js's 16 buffered writes.
    expect(a.stats().batches).toBeGreaterThan(150);
    expect(Math.max(...hb.deliveries)).toBeLessThanOrEqual(Math.ceil((16 * 1024) / 130));
  });

  it('sends a 20 MiB snapshot in chunks, delivers it whole and reports success', async () => {
    const { a, b, ha, hb } = await pair();
    const snap = snapMessage(1, 2, 20 * 1024 * 1024);
    a.send([snap]);
    await waitFor('snapshot status', () => ha.snapshotStatus.length === 1, 20_000);
    expect(ha.snapshotStatus).toEqual([{ peer: 2, ok: true }]);
    expect(hb.messages).toHaveLength(1);
    const got = hb.messages[0];
    expect(got.type).toBe('snap');
    expect(got.snapshot?.metadata).toEqual(snap.snapshot?.metadata);
    expect(Buffer.from(got.snapshot!.data).equals(Buffer.from(snap.snapshot!.data))).toBe(true);
    expect(a.stats().snapshotChunks).toBe(20);
    expect(b.stats().received.snapshots).toBe(1);
  });

  it('reports a failed snapshot (refused by the receiver, or peer down) as not ok', async () => {
    const ha = new RecordingHandler();
    const a = await node(1, ha);
    const b = await node(2, new RecordingHandler(), { maxSnapshotBytes: 1024 * 1024 });
    a.setPeer({ id: 2, address: b.address });
    a.setPeer({ id: 3, address: `127.0.0.1:${await freePort()}` });
    a.send([snapMessage(1, 2, 3 * 1024 * 1024), snapMessage(1, 3, 1024)]);
    await waitFor('two snapshot statuses', () => ha.snapshotStatus.length === 2);
    expect(ha.snapshotStatus.sort((x, y) => x.peer - y.peer)).toEqual([
      { peer: 2, ok: false },
      { peer: 3, ok: false },
    ]);
    // A snapshot for a node without an address fails too.
    a.send([snapMessage(1, 9, 10)]);
    await waitFor('unknown peer status', () => ha.snapshotStatus.length === 3);
    expect(ha.snapshotStatus[2]).toEqual({ peer: 9, ok: false });
  });

  it('reports an unreachable peer, then reconnects and delivers once it is up', async () => {
    const ha = new RecordingHandler();
    const a = await node(1, ha);
    const port = await freePort();
    a.setPeer({ id: 2, address: `127.0.0.1:${port}` });
    a.send([seqMessage(1, 2, 1)]);
    await waitFor('onUnreachable', () => ha.unreachable.includes(2));

    const hb = new RecordingHandler();
    await node(2, hb, { listenAddress: `127.0.0.1:${port}` });
    // Keep sending, as Raft does with heartbeats; messages flow once the backoff expires.
    let seq = 2;
    await waitFor('messages after reconnect', () => {
      a.send([seqMessage(1, 2, seq++)]);
      return hb.messages.length > 0;
    });
    const indexes = hb.messages.map((m) => m.index);
    expect(indexes).toEqual([...indexes].sort((x, y) => x - y));
  });

  it('bounds the queue of an unreachable peer: drops the oldest and reports it', async () => {
    const ha = new RecordingHandler();
    const a = await node(1, ha, { maxQueuedMessages: 100, reconnectInitialMs: 5_000, reconnectMaxMs: 5_000 });
    const port = await freePort();
    a.setPeer({ id: 2, address: `127.0.0.1:${port}` });
    a.send([seqMessage(1, 2, 0)]);
    await waitFor('first failure', () => ha.unreachable.length > 0);
    ha.unreachable.length = 0;
    // Now backing off for 5 s: 250 more messages overflow a queue of 100.
    a.send(Array.from({ length: 250 }, (_, i) => seqMessage(1, 2, i + 1)));
    await waitFor('overflow report', () => ha.unreachable.length > 0);
    expect(a.stats().dropped).toBe(150);
    expect(ha.unreachable).toEqual([2]);
  });

  it('reports messages to a node without an address as unreachable', async () => {
    const ha = new RecordingHandler();
    const a = await node(1, ha);
    a.send([seqMessage(1, 7, 1)]);
    expect(ha.unreachable).toEqual([]); // never synchronously, from inside send()
    await waitFor('unreachable 7', () => ha.unreachable.includes(7));
  });

  it('drops a stream to a removed peer and follows a peer to its new address', async () => {
    const { a, ha } = await pair();
    const hc = new RecordingHandler();
    const c = await node(2, hc);
    a.setPeer({ id: 2, address: c.address });
    a.send([seqMessage(1, 2, 1)]);
    await waitFor('message at the new address', () => hc.messages.length === 1);
    a.removePeer(2);
    a.send([seqMessage(1, 2, 2)]);
    await waitFor('removed peer unreachable', () => ha.unreachable.includes(2));
    expect(hc.messages).toHaveLength(1);
  });

  it('stops promptly with open streams and ignores send() afterwards', async () => {
    const lines = recordingLogger();
    const { a, b, hb } = await pair({ logger: lines });
    a.send([seqMessage(1, 2, 1)]);
    await waitFor('delivery', () => hb.messages.length === 1);
    const started = performance.now();
    await Promise.all([a.stop(), b.stop()]);
    expect(performance.now() - started).toBeLessThan(2000);
    a.send([seqMessage(1, 2, 2)]); // after stop: ignored, no throw
    expect(lines.lines.some((l) => l.msg === 'cluster transport listening')).toBe(true);
  });

  it('starts and stops many transports quickly and frees their ports', async () => {
    const started = performance.now();
    const port = await freePort();
    for (let i = 0; i < 10; i++) {
      const t = new GrpcTransport({ nodeId: 1, listenAddress: `127.0.0.1:${port}` });
      await t.start(new RecordingHandler());
      await t.stop();
    }
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('refuses inbound connections beyond maxConnections', async () => {
    const hb = new RecordingHandler();
    const b = await node(2, hb, { maxConnections: 1 });
    const h1 = new RecordingHandler();
    const h3 = new RecordingHandler();
    const a1 = await node(1, h1);
    const a3 = await node(3, h3);
    a1.setPeer({ id: 2, address: b.address });
    a3.setPeer({ id: 2, address: b.address });
    a1.send([seqMessage(1, 2, 1)]);
    await waitFor('first connection delivers', () => hb.messages.length === 1);
    a3.send([{ ...seqMessage(3, 2, 2) }]);
    await waitFor('second connection refused', () => h3.unreachable.includes(2));
    expect(hb.messages.map((m) => m.from)).toEqual([1]);
  });

  it('serves additional services on the same port (room for the data path)', async () => {
    const json = { serialize: (v: unknown) => Buffer.from(JSON.stringify(v)), deserialize: (b: Buffer) => JSON.parse(b.toString()) as unknown };
    const definition: ServiceDefinition = {
      ping: { path: '/strata.test.Echo/Ping', requestStream: false, responseStream: false, requestSerialize: json.serialize, requestDeserialize: json.deserialize, responseSerialize: json.serialize, responseDeserialize: json.deserialize },
    };
    const implementation = { ping: (call: { request: { n: number } }, callback: (err: null, value: { n: number }) => void) => callback(null, { n: call.request.n + 1 }) };
    const b = await node(2, new RecordingHandler(), { services: [{ definition, implementation }] });
    const Echo = makeGenericClientConstructor(definition, 'Echo');
    const client = new Echo(b.address, credentials.createInsecure());
    const answer = await new Promise((resolve, reject) => (client as unknown as Record<string, Function>).ping({ n: 41 }, (err: Error | null, value: unknown) => (err ? reject(err) : resolve(value))));
    client.close();
    expect(answer).toEqual({ n: 42 });
  });

  it('mirrors its counts to the MetricsSink', async () => {
    const ma = recordingMetrics();
    const mb = recordingMetrics();
    const ha = new RecordingHandler();
    const a = await node(1, ha, { metrics: ma });
    const b = await node(2, new RecordingHandler(), { metrics: mb });
    a.setPeer({ id: 2, address: b.address });
    a.send([seqMessage(1, 2, 1), seqMessage(1, 2, 2), seqMessage(1, 9, 3)]);
    a.send([snapMessage(1, 2, 1000)]);
    await waitFor('snapshot status', () => ha.snapshotStatus.length === 1);
    await waitFor('received counts', () => mb.values.get('strata_transport_received_messages_total') === 2);
    expect(ma.values.get('strata_transport_sent_messages_total{peer=2}')).toBe(2);
    expect(ma.values.get('strata_transport_sent_batches_total{peer=2}')).toBe(1);
    expect(ma.values.get('strata_transport_dropped_messages_total{peer=9}')).toBe(1);
    expect(ma.values.get('strata_transport_snapshots_sent_total{peer=2,result=ok}')).toBe(1);
    expect(mb.values.get('strata_transport_received_snapshots_total')).toBe(1);
  });

  it('fails start() on a port in use, naming the address', async () => {
    const a = await node(1, new RecordingHandler());
    const clash = new GrpcTransport({ nodeId: 2, listenAddress: a.address });
    await expect(clash.start(new RecordingHandler())).rejects.toThrow(new RegExp(`cannot listen on ${a.address}`));
  });
});
