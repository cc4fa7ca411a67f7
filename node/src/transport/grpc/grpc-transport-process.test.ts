import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Message } from '../../raft/types.js';
import { GrpcTransport } from './grpc-transport.js';
import { freePort, RecordingHandler, waitFor } from './test-harness.js';
import { ALL_MESSAGE_TYPES, fullMessage, normalize } from './test-messages.js';

const here = dirname(fileURLToPath(import.meta.url));
const children: ChildProcess[] = [];
const transports: GrpcTransport[] = [];

/** Starts the echo peer in its own Node process; resolves once it listens. */
function spawnPeer(listenAddress: string, parentAddress: string, clusterId: string): Promise<{ child: ChildProcess; lines: string[] }> {
  // node --import tsx (not the tsx CLI, which forks a grandchild that kill -9 would not reach).
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'peer-process-fixture.ts'), listenAddress, parentAddress, clusterId], {
    stdio: ['pipe', 'pipe', 'inherit'], // stdin: the child exits when it closes (if this worker dies)
  });
  children.push(child);
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (data: Buffer) => {
      buffered += data.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (line.includes('"ready"')) resolve({ child, lines });
      }
    });
    child.once('exit', (code) => reject(new Error(`peer process exited early (${code})`)));
  });
}

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(transports.map((t) => t.stop()));
});

describe('GrpcTransport between two processes', () => {
  it('exchanges messages, snapshots and a join with a peer process; survives its restart', async () => {
    const handler = new RecordingHandler();
    const parent = new GrpcTransport({ nodeId: 1, listenAddress: '127.0.0.1:0', clusterId: 'proc', reconnectInitialMs: 20, reconnectMaxMs: 200 });
    transports.push(parent);
    await parent.start(handler);
    const peerAddress = `127.0.0.1:${await freePort()}`;
    const first = await spawnPeer(peerAddress, parent.address, 'proc');
    parent.setPeer({ id: 2, address: peerAddress });

    // 1000 messages with every field, plus a 5 MiB snapshot: each comes back with from/to swapped.
    const sent: Message[] = [];
    for (let i = 0; i < 1000; i++) sent.push(fullMessage(ALL_MESSAGE_TYPES.filter((t) => t !== 'snap')[i % 18], 1, 2, i));
    const snapData = Uint8Array.from({ length: 5 * 1024 * 1024 }, (_, i) => (i * 7) & 0xff);
    const snap: Message = { ...fullMessage('snap', 1, 2), snapshot: { metadata: { index: 77, term: 3, conf: { voters: [1, 2], learners: [] } }, data: snapData } };
    parent.send(sent);
    parent.send([snap]);
    await waitFor('1000 echoes and the snapshot', () => handler.messages.length === 1001, 20_000);
    const echoed = handler.messages.filter((m) => m.type !== 'snap');
    expect(echoed.map(normalize)).toEqual(sent.map((m) => normalize({ ...m, from: 2, to: 1 })));
    const snapBack = handler.messages.find((m) => m.type === 'snap')!;
    expect(Buffer.from(snapBack.snapshot!.data).equals(Buffer.from(snapData))).toBe(true);
    await waitFor('snapshot acknowledged', () => handler.snapshotStatus.length === 1);
    expect(handler.snapshotStatus).toEqual([{ peer: 2, ok: true }]);
    await waitFor('the peer saw its own snapshot acknowledged', () => first.lines.some((l) => l.includes('"snapshotStatus":{"peer":1,"ok":true}')));

    const joined = await parent.join(peerAddress, { nodeId: 1, address: parent.address, clusterId: 'proc' });
    expect(joined).toEqual({ clusterId: 'proc', members: [{ id: 2, address: peerAddress }, { id: 1, address: parent.address }] });

    // kill -9: the parent notices; a new process on the same address gets traffic again.
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    handler.messages.length = 0;
    await waitFor('unreachable after kill', () => {
      parent.send([fullMessage('heartbeat', 1, 2)]);
      return handler.unreachable.includes(2);
    });
    await spawnPeer(peerAddress, parent.address, 'proc');
    await waitFor('echo from the restarted peer', () => {
      parent.send([fullMessage('heartbeat', 1, 2)]);
      return handler.messages.length > 0;
    }, 20_000);
    expect(handler.messages[0].type).toBe('heartbeat');
  });
});
