import { describe, expect, it } from 'vitest';
import { SimClock } from '../testing/sim-clock.js';
import { newIncarnation, nextSeq, unwrapCommand, wrapCommand } from './command-envelope.js';
import { ProposalTracker } from './proposal-tracker.js';

describe('command envelope', () => {
  it('round-trips the proposer, its incarnation, the sequence and the payload', () => {
    const payload = new Uint8Array([1, 2, 3]);
    const id = { nodeId: 9, incarnation: 0xffff_fffe, seq: 2 ** 32 - 1 };
    expect(unwrapCommand(wrapCommand(id, payload))).toEqual({ id, payload });
    expect(unwrapCommand(new Uint8Array(3))).toBeUndefined();
  });

  it('reads an entry written before incarnations existed as incarnation 0, which no process uses', () => {
    const legacy = new Uint8Array([0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 5, 7]);
    expect(unwrapCommand(legacy)).toEqual({ id: { nodeId: 9, incarnation: 0, seq: 5 }, payload: new Uint8Array([7]) });
    const zeroRandom = { int: () => 0 };
    const maxRandom = { int: (bound: number) => bound - 1 };
    expect(newIncarnation(zeroRandom)).toBe(1);
    expect(newIncarnation(maxRandom)).toBe(2 ** 32 - 1);
  });

  it('wraps the sequence within 32 bits and skips 0', () => {
    expect(nextSeq(1)).toBe(2);
    expect(nextSeq(2 ** 32 - 1)).toBe(1);
  });
});

describe('ProposalTracker', () => {
  it('resolves the matching proposal only, and reports how long it took', async () => {
    const clock = new SimClock();
    const tracker = new ProposalTracker(clock, { nodeId: 9, incarnation: 77 });
    const a = tracker.register(1_000);
    const b = tracker.register(1_000);
    await clock.runFor(20);
    expect(tracker.resolve(b.id, 'B')).toBe(20);
    expect(tracker.resolve(b.id, 'again')).toBeUndefined();
    await expect(b.done).resolves.toBe('B');
    expect(tracker.pending).toBe(1);
    tracker.resolve(a.id, 'A');
    await expect(a.done).resolves.toBe('A');
  });

  it('times out with a retryable Timeout, after which a late result is ignored', async () => {
    const clock = new SimClock();
    const tracker = new ProposalTracker(clock, { nodeId: 9, incarnation: 77 });
    const p = tracker.register(100);
    const outcome = expect(p.done).rejects.toMatchObject({ code: 'Timeout', retryable: true });
    await clock.runFor(101);
    await outcome;
    expect(tracker.resolve(p.id, 'late')).toBeUndefined();
  });

  it('answers only proposals of its own process: an earlier incarnation of the node reuses the same sequence numbers', async () => {
    const clock = new SimClock();
    const before = new ProposalTracker(clock, { nodeId: 9, incarnation: 77 });
    const after = new ProposalTracker(clock, { nodeId: 9, incarnation: 78 });
    const old = before.register(1_000);
    const mine = after.register(1_000);
    expect(mine.id.seq).toBe(old.id.seq);
    void old.done.catch(() => undefined);
    // The entry the dead process proposed is applied now: it must not answer the new proposal.
    expect(after.isOwn(old.id)).toBe(false);
    expect(after.resolve(old.id, 'result of another command')).toBeUndefined();
    after.reject(old.id, new Error('not mine'));
    expect(after.pending).toBe(1);
    expect(after.resolve(mine.id, 'mine')).toBeDefined();
    await expect(mine.done).resolves.toBe('mine');
  });
});

describe('ProposalTracker.renew', () => {
  it('files a refused proposal under a fresh id with its deadline: the old id answers nothing any more', async () => {
    const clock = new SimClock();
    const tracker = new ProposalTracker(clock, { nodeId: 1, incarnation: 7 });
    const { id, done } = tracker.register(1_000);
    const outcome = done.then(
      (value) => ({ value }),
      (err: unknown) => ({ err }),
    );
    await clock.runFor(400);
    const renewed = tracker.renew(id)!;
    expect(renewed).toMatchObject({ nodeId: 1, incarnation: 7 });
    expect(renewed.seq).not.toBe(id.seq);
    expect(tracker.renew(id)).toBeUndefined(); // a duplicated refusal of the old attempt
    expect(tracker.resolve(id, 'stale')).toBeUndefined();
    expect(tracker.pending).toBe(1);
    await clock.runFor(700); // the original deadline (1 000 ms) still holds
    expect(await outcome).toMatchObject({ err: { code: 'Timeout' } });
    expect(tracker.pending).toBe(0);
    expect(tracker.renew(renewed)).toBeUndefined();
  });

  it('a renewed proposal is answered under its new id', async () => {
    const tracker = new ProposalTracker(new SimClock(), { nodeId: 1, incarnation: 7 });
    const { id, done } = tracker.register(1_000);
    const renewed = tracker.renew(id)!;
    expect(tracker.resolve(renewed, 'applied')).toBeDefined();
    expect(await done).toBe('applied');
    expect(tracker.renew({ nodeId: 2, incarnation: 7, seq: renewed.seq })).toBeUndefined(); // not ours
  });
});
