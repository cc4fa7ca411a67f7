import { afterEach, describe, expect, it } from 'vitest';
import { isStrataError, StrataError } from '../../platform/errors.js';
import { GrpcTransport, type GrpcTransportOptions } from './grpc-transport.js';
import { recordingLogger, RecordingHandler, waitFor, type LogLine } from './test-harness.js';
import { seqMessage } from './test-messages.js';

const running: GrpcTransport[] = [];

async function node(id: number, clusterId: string, handler: RecordingHandler, options: Partial<GrpcTransportOptions> = {}): Promise<GrpcTransport> {
  const transport = new GrpcTransport({ nodeId: id, listenAddress: '127.0.0.1:0', clusterId, reconnectInitialMs: 20, reconnectMaxMs: 100, ...options });
  await transport.start(handler);
  running.push(transport);
  return transport;
}

async function rejection(promise: Promise<unknown>): Promise<StrataError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof StrataError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.stop()));
});

describe('GrpcTransport cluster ID', () => {
  it('refuses messages from another cluster; the sender logs both IDs and reports unreachable', async () => {
    const senderLog: LogLine[] = [];
    const receiverLog: LogLine[] = [];
    const ha = new RecordingHandler();
    const hb = new RecordingHandler();
    const a = await node(1, 'alpha', ha, { logger: recordingLogger(senderLog) });
    const b = await node(2, 'beta', hb, { logger: recordingLogger(receiverLog) });
    a.setPeer({ id: 2, address: b.address });
    a.send([seqMessage(1, 2, 1)]);
    await waitFor('unreachable report', () => ha.unreachable.includes(2));
    const refused = senderLog.find((l) => l.level === 'error');
    expect(refused?.msg).toMatch(/node-2 refused our Raft messages: cluster ID mismatch/);
    expect(refused?.msg).toContain("'alpha'");
    expect(refused?.msg).toContain("'beta'");
    expect(receiverLog.some((l) => l.level === 'warn' && /refused Raft messages/.test(l.msg))).toBe(true);
    expect(hb.messages).toEqual([]);
    expect(b.stats().received.messages).toBe(0);
  });

  it('lets a node without a cluster ID talk to anyone, and refuses once the IDs differ', async () => {
    const ha = new RecordingHandler();
    const hb = new RecordingHandler();
    const a = await node(1, 'alpha', ha);
    const b = await node(2, '', hb);
    a.setPeer({ id: 2, address: b.address });
    a.send([seqMessage(1, 2, 1)]);
    await waitFor('delivery to a fresh node', () => hb.messages.length === 1);

    // The open stream is checked again per batch: a changed cluster ID takes effect at once.
    b.setClusterId('beta');
    a.send([seqMessage(1, 2, 2)]);
    await waitFor('refusal after setClusterId', () => ha.unreachable.includes(2));
    expect(hb.messages.map((m) => m.index)).toEqual([1]);

    // And agreeing again lets messages through (after the backoff).
    b.setClusterId('alpha');
    let seq = 3;
    await waitFor('delivery after agreeing', () => {
      a.send([seqMessage(1, 2, seq++)]);
      return hb.messages.length > 1;
    });
  });
});

describe('GrpcTransport join', () => {
  it('joins: the request reaches onJoin with the caller identity, and the response comes back', async () => {
    const hb = new RecordingHandler();
    hb.joinAnswer = async (request) => ({ clusterId: 'beta', members: [{ id: 2, address: 'b:9000' }, { id: request.nodeId, address: request.address }] });
    const b = await node(2, 'beta', hb);
    const a = await node(5, '', new RecordingHandler());
    const response = await a.join(b.address, { nodeId: 5, address: a.address, clusterId: '' });
    expect(response).toEqual({ clusterId: 'beta', members: [{ id: 2, address: 'b:9000' }, { id: 5, address: a.address }] });
    expect(hb.joins).toEqual([{ nodeId: 5, address: a.address, clusterId: '' }]);
  });

  it('carries a StrataError code, message, retryable flag and details back to the caller', async () => {
    const hb = new RecordingHandler();
    const b = await node(2, 'beta', hb);
    const a = await node(5, '', new RecordingHandler());

    hb.joinAnswer = async () => {
      throw new StrataError('DuplicateNodeId', 'node-5 is already a member at 10.0.0.5:9000');
    };
    const duplicate = await rejection(a.join(b.address, { nodeId: 5, address: a.address, clusterId: '' }));
    expect(duplicate.code).toBe('DuplicateNodeId');
    expect(duplicate.message).toBe('node-5 is already a member at 10.0.0.5:9000');
    expect(duplicate.retryable).toBe(false);

    hb.joinAnswer = async () => {
      throw new StrataError('NotLeader', 'node-2 is not the leader', { retryable: true, details: { leader: 3, leaderAddress: '127.0.0.3:9000' } });
    };
    const notLeader = await rejection(a.join(b.address, { nodeId: 5, address: a.address, clusterId: '' }));
    expect(isStrataError(notLeader, 'NotLeader')).toBe(true);
    expect(notLeader.retryable).toBe(true);
    expect(notLeader.details).toEqual({ leader: 3, leaderAddress: '127.0.0.3:9000' });

    // A plain Error in the handler is an Internal error with its text.
    hb.joinAnswer = async () => {
      throw new Error('boom');
    };
    const internal = await rejection(a.join(b.address, { nodeId: 5, address: a.address, clusterId: '' }));
    expect(internal.code).toBe('Internal');
    expect(internal.message).toBe('boom');
  });

  it('refuses a join from a node of another cluster, naming both IDs, without asking the handler', async () => {
    const hb = new RecordingHandler();
    hb.joinAnswer = async () => ({ clusterId: 'beta', members: [] });
    const b = await node(2, 'beta', hb);
    const log: LogLine[] = [];
    const a = await node(5, 'gamma', new RecordingHandler(), { logger: recordingLogger(log) });
    const err = await rejection(a.join(b.address, { nodeId: 5, address: a.address, clusterId: 'gamma' }));
    expect(err.code).toBe('ClusterMismatch');
    expect(err.message).toContain("'beta'");
    expect(err.message).toContain("'gamma'");
    expect(hb.joins).toEqual([]);
    expect(log.some((l) => l.level === 'error' && /join refused: cluster ID mismatch/.test(l.msg))).toBe(true);

    // The request's own cluster ID counts even when the metadata's is empty.
    const fresh = await node(6, '', new RecordingHandler());
    const err2 = await rejection(fresh.join(b.address, { nodeId: 6, address: fresh.address, clusterId: 'delta' }));
    expect(err2.code).toBe('ClusterMismatch');
    expect(err2.message).toContain("'delta'");
  });

  it('rejects with Unavailable when nobody listens', async () => {
    const a = await node(5, '', new RecordingHandler());
    const err = await rejection(a.join('127.0.0.1:1', { nodeId: 5, address: a.address, clusterId: '' }));
    expect(err.code).toBe('Unavailable');
    expect(err.retryable).toBe(true);
  });
});
