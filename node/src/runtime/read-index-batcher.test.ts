import { describe, expect, it } from 'vitest';
import { StrataError } from '../platform/errors.js';
import { SimClock } from '../testing/sim-clock.js';
import { ReadIndexBatcher } from './read-index-batcher.js';

function setup(options: { refusal?: StrataError; incarnation?: number } = {}) {
  const clock = new SimClock();
  const requests: string[] = [];
  const raft = { refusal: options.refusal };
  const batcher = new ReadIndexBatcher({
    clock,
    nodeId: 7,
    incarnation: options.incarnation ?? 3,
    timeoutMs: 1_000,
    retryAfterMs: 300,
    leaderWaitMs: 500,
    requestReadIndex: (context) => {
      if (raft.refusal) throw raft.refusal;
      requests.push(new TextDecoder().decode(context));
    },
  });
  return { clock, batcher, requests, raft };
}

const noLeader = new StrataError('NotLeader', 'no leader is known', { retryable: true });

const settled = async (p: Promise<unknown>) => {
  let state = 'pending';
  p.then(() => (state = 'resolved'), () => (state = 'rejected'));
  await new Promise((r) => setImmediate(r));
  return state;
};

describe('ReadIndexBatcher', () => {
  it('serves every concurrent reader with one round, once the confirmed index is applied', async () => {
    const { batcher, requests } = setup();
    const reads = [batcher.read(), batcher.read(), batcher.read()];
    batcher.flush();
    expect(requests).toEqual(['7:3:1']);
    batcher.confirmed(new TextEncoder().encode('7:3:1'), 42);
    batcher.applied(41);
    expect(await settled(reads[0]!)).toBe('pending');
    batcher.applied(42);
    await Promise.all(reads);
  });

  it('starts no second round while one is unconfirmed; later readers join the next round', () => {
    const { batcher, requests } = setup();
    void batcher.read();
    batcher.flush();
    void batcher.read();
    batcher.flush();
    expect(requests).toEqual(['7:3:1']);
    batcher.confirmed(new TextEncoder().encode('7:3:1'), 5);
    batcher.flush();
    expect(requests).toEqual(['7:3:1', '7:3:2']);
  });

  it('retries a round that Raft dropped silently, and after a leader change', async () => {
    const { batcher, requests, clock } = setup();
    const read = batcher.read();
    batcher.flush();
    await clock.runFor(350);
    batcher.flush();
    expect(requests).toEqual(['7:3:1', '7:3:2']);
    batcher.leaderChanged();
    batcher.flush();
    expect(requests).toEqual(['7:3:1', '7:3:2', '7:3:3']);
    batcher.confirmed(new TextEncoder().encode('7:3:3'), 1);
    batcher.applied(1);
    await read;
  });

  it('keeps readers refused for want of a leader queued, and serves them once a leader takes the round', async () => {
    const { batcher, requests, clock, raft } = setup({ refusal: noLeader });
    const read = batcher.read();
    batcher.flush();
    await clock.runFor(200);
    batcher.flush();
    expect(await settled(read)).toBe('pending');
    raft.refusal = undefined; // a leader is known again
    batcher.flush();
    expect(requests).toEqual(['7:3:3']);
    batcher.confirmed(new TextEncoder().encode('7:3:3'), 9);
    batcher.applied(9);
    await read;
  });

  it('fails a reader with the refusal once it has waited leaderWaitMs for a leader, and at once for other refusals', async () => {
    const { batcher, clock } = setup({ refusal: noLeader });
    const read = batcher.read();
    batcher.flush();
    await clock.runFor(499);
    batcher.flush();
    expect(await settled(read)).toBe('pending');
    await clock.runFor(1);
    batcher.flush();
    await expect(read).rejects.toMatchObject({ code: 'NotLeader' });

    const stopped = setup({ refusal: new StrataError('Stopped', 'node-7 is stopping', { retryable: true }) });
    const refused = stopped.batcher.read();
    stopped.batcher.flush();
    await expect(refused).rejects.toMatchObject({ code: 'Stopped' });
  });

  it('times out readers never confirmed', async () => {
    const { batcher, clock } = setup();
    const slow = batcher.read();
    batcher.flush();
    const outcome = expect(slow).rejects.toMatchObject({ code: 'Timeout' });
    await clock.runFor(1_001);
    await outcome;
  });

  it('ignores the answer to a round of an earlier process of this node (same node id, other incarnation)', async () => {
    const before = setup({ incarnation: 3 });
    void before.batcher.read();
    before.batcher.flush();
    const after = setup({ incarnation: 4 });
    const read = after.batcher.read();
    after.batcher.flush();
    expect(after.requests).not.toEqual(before.requests);
    // The leader answers the dead process's round at an index older than the new read: no effect.
    after.batcher.confirmed(new TextEncoder().encode(before.requests[0]!), 1);
    after.batcher.applied(1);
    expect(await settled(read)).toBe('pending');
    after.batcher.confirmed(new TextEncoder().encode(after.requests[0]!), 9);
    after.batcher.applied(9);
    await read;
  });
});
