/**
 * Quick loopback measurement of one peer stream: `npx tsx node/src/transport/grpc/throughput-probe.ts`.
 * The receiver runs in a second Node process (this file with argument `sink`), which acknowledges each
 * batch with one message carrying its running count. Prints one JSON line per figure, like bench/ does.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Message } from '../../raft/types.js';
import type { TransportHandler } from '../../ports/transport.js';
import { GrpcTransport } from './grpc-transport.js';

const noop = (): void => {};
const refuseJoin = (): Promise<never> => Promise.reject(new Error('no joins here'));

function app(from: number, to: number, index: number, data: Uint8Array): Message {
  return { type: 'app', from, to, term: 5, logTerm: 5, index, entries: data.byteLength === 0 ? [] : [{ term: 5, index: index + 1, type: 'normal', data }], commit: index, reject: false, rejectHint: 0 };
}

async function sink(parentAddress: string): Promise<void> {
  let count = 0;
  const transport: GrpcTransport = new GrpcTransport({ nodeId: 2, listenAddress: '127.0.0.1:0', clusterId: 'probe' });
  await transport.start({
    onMessages(messages) {
      count += messages.length;
      transport.send([{ ...app(2, 1, count, new Uint8Array(0)), type: 'appResp' }]);
    },
    onUnreachable: noop,
    onSnapshotStatus: noop,
    onJoin: refuseJoin,
  });
  transport.setPeer({ id: 1, address: parentAddress });
  process.stdout.write(`${transport.address}\n`);
  process.on('SIGTERM', () => void transport.stop().then(() => process.exit(0)));
  process.stdin.on('end', () => process.exit(0)); // the parent is gone
  process.stdin.resume();
}

async function main(): Promise<void> {
  let acked = 0;
  let snapshotDone: (ok: boolean) => void = noop;
  const handler: TransportHandler = {
    onMessages: (messages) => void (acked = Math.max(acked, ...messages.map((m) => m.index))),
    onUnreachable: noop,
    onSnapshotStatus: (_peer, ok) => snapshotDone(ok),
    onJoin: refuseJoin,
  };
  const sender = new GrpcTransport({ nodeId: 1, listenAddress: '127.0.0.1:0', clusterId: 'probe' });
  await sender.start(handler);
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'sink', sender.address], { stdio: ['pipe', 'pipe', 'inherit'] });
  const sinkAddress = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
  sender.setPeer({ id: 2, address: sinkAddress });

  for (const [entryBytes, total] of [[0, 300_000], [128, 300_000], [4096, 60_000], [65536, 6_000]] as const) {
    const data = new Uint8Array(entryBytes).fill(7);
    // At most 4000 messages or 32 MiB in flight.
    const windowMessages = Math.max(200, Math.min(4000, Math.floor((32 << 20) / Math.max(1, entryBytes))));
    acked = 0;
    sender.send([app(1, 2, 0, data)]); // warm-up message, counted by the sink
    while (acked < 1) await new Promise((r) => setTimeout(r, 1));
    const base = acked;
    const batchesBefore = sender.stats().batches;
    const started = performance.now();
    let sent = 0;
    while (acked - base < total) {
      // A bounded window in flight (below the send queue bound), as Raft's inflight limit would keep.
      while (sent < total && sent - (acked - base) < windowMessages) {
        sender.send(Array.from({ length: 200 }, (_, i) => app(1, 2, sent + i, data)));
        sent += 200;
      }
      await new Promise((r) => setImmediate(r));
    }
    const seconds = (performance.now() - started) / 1000;
    const batches = sender.stats().batches - batchesBefore;
    console.log(JSON.stringify({ bench: 'grpc-transport', metric: 'messages_per_s', entryBytes, value: Math.round(total / seconds), unit: '1/s', mbPerS: Math.round((total * entryBytes) / seconds / 1e6), messages: total, batches }));
  }

  const sizeBytes = 256 * 1024 * 1024;
  for (let run = 0; run < 2; run++) {
    const ok = new Promise<boolean>((resolve) => (snapshotDone = resolve));
    const snapshot = { metadata: { index: 1, term: 1, conf: { voters: [1, 2], learners: [] } }, data: new Uint8Array(sizeBytes).fill(3) };
    const started = performance.now();
    sender.send([{ ...app(1, 2, 0, new Uint8Array(0)), type: 'snap', snapshot }]);
    if (!(await ok)) throw new Error('snapshot failed');
    const seconds = (performance.now() - started) / 1000;
    console.log(JSON.stringify({ bench: 'grpc-transport', metric: 'snapshot_mb_per_s', sizeBytes, value: Math.round(sizeBytes / seconds / 1e6), unit: 'MB/s' }));
  }
  child.kill('SIGTERM');
  await sender.stop();
}

if (process.argv[2] === 'sink') await sink(process.argv[3]);
else await main();
