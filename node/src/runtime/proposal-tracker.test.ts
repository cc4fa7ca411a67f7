import { describe, expect, it } from 'vitest';
import { SimClock } from '../testing/sim-clock.js';
import { unwrapCommand, wrapCommand } from './command-envelope.js';
import { ProposalTracker } from './proposal-tracker.js';

describe('command envelope', () => {
  it('round-trips the proposer, a sequence beyond 32 bits and the payload', () => {
    const payload = new Uint8Array([1, 2, 3]);
    const wrapped = wrapCommand({ nodeId: 9, seq: 2 ** 40 + 5 }, payload);
    expect(unwrapCommand(wrapped)).toEqual({ id: { nodeId: 9, seq: 2 ** 40 + 5 }, payload });
    expect(unwrapCommand(new Uint8Array(3))).toBeUndefined();
  });
});

describe('ProposalTracker', () => {
  it('resolves the matching proposal only, and reports how long it took', async () => {
    const clock = new SimClock();
    const tracker = new ProposalTracker(clock);
    const a = tracker.register(1_000);
    const b = tracker.register(1_000);
    await clock.runFor(20);
    expect(tracker.resolve(b.seq, 'B')).toBe(20);
    expect(tracker.resolve(b.seq, 'again')).toBeUndefined();
    await expect(b.done).resolves.toBe('B');
    expect(tracker.pending).toBe(1);
    tracker.resolve(a.seq, 'A');
    await expect(a.done).resolves.toBe('A');
  });

  it('times out with a retryable Timeout, after which a late result is ignored', async () => {
    const clock = new SimClock();
    const tracker = new ProposalTracker(clock);
    const p = tracker.register(100);
    const outcome = expect(p.done).rejects.toMatchObject({ code: 'Timeout', retryable: true });
    await clock.runFor(101);
    await outcome;
    expect(tracker.resolve(p.seq, 'late')).toBeUndefined();
  });
});
