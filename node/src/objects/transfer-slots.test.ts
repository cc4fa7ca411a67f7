import { describe, expect, it } from 'vitest';
import { isStrataError } from '../platform/errors.js';
import { noopMetrics } from '../platform/metrics.js';
import { SimClock } from '../testing/sim-clock.js';
import { releasingAtEnd, TransferSlots, type ReleaseSlot } from './transfer-slots.js';

function gaugesOf() {
  const values = new Map<string, number>();
  const metrics = { ...noopMetrics, gauge: (name: string) => ({ set: (v: number) => void values.set(name, v) }) };
  return { metrics, values };
}

/** Resolves once the promise settled (or not), without awaiting it forever. */
async function settled<T>(promise: Promise<T>): Promise<{ done: boolean; value?: T; error?: unknown }> {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  promise.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return state;
}

describe('TransferSlots', () => {
  it('runs at most `limit` transfers; the next in line gets a freed slot, first come first served', async () => {
    const clock = new SimClock();
    const { metrics, values } = gaugesOf();
    const slots = new TransferSlots({ limit: 2, waitMs: 1_000, clock, metrics });
    const a = await slots.acquire();
    const b = await slots.acquire();
    const c = slots.acquire();
    const d = slots.acquire();
    expect((await settled(c)).done).toBe(false);
    expect(slots.running).toBe(2);
    expect(slots.waiting).toBe(2);
    expect(values.get('strata_s3_transfers_active')).toBe(2);
    expect(values.get('strata_s3_transfers_waiting')).toBe(2);

    b();
    b(); // a second release gives nothing back
    expect((await settled(c)).done).toBe(true);
    expect((await settled(d)).done).toBe(false);
    expect(slots.running).toBe(2);
    expect(values.get('strata_s3_transfers_waiting')).toBe(1);

    a();
    const released = (await settled(d)).value as ReleaseSlot;
    released();
    ((await c) as ReleaseSlot)();
    expect(slots.running).toBe(0);
    expect(values.get('strata_s3_transfers_active')).toBe(0);
  });

  it('refuses a transfer that waited longer than waitMs with a retryable Overloaded, and forgets it', async () => {
    const clock = new SimClock();
    const slots = new TransferSlots({ limit: 1, waitMs: 500, clock });
    const held = await slots.acquire();
    const late = slots.acquire();
    late.catch(() => undefined);
    await clock.runFor(499);
    expect((await settled(late)).done).toBe(false);
    await clock.runFor(2);
    const outcome = await settled(late);
    expect(isStrataError(outcome.error, 'Overloaded')).toBe(true);
    expect((outcome.error as Error).message).toContain('max_concurrent_transfers');
    expect(slots.waiting).toBe(0);
    held();
    // The refused one does not take the freed slot: a new transfer gets it at once.
    expect(slots.running).toBe(0);
    expect((await settled(slots.acquire())).done).toBe(true);
  });
});

describe('releasingAtEnd', () => {
  async function* pieces(n: number, failAt?: number): AsyncGenerator<number> {
    for (let i = 0; i < n; i++) {
      if (i === failAt) throw new Error('read failed');
      yield i;
    }
  }

  it('gives the slot back when the body ends', async () => {
    let releases = 0;
    const body = releasingAtEnd(() => releases++, pieces(3));
    const got: number[] = [];
    for await (const p of body) {
      expect(releases).toBe(0);
      got.push(p);
    }
    expect(got).toEqual([0, 1, 2]);
    expect(releases).toBe(1);
  });

  it('gives it back when the body fails', async () => {
    let releases = 0;
    const body = releasingAtEnd(() => releases++, pieces(3, 1));
    await expect(async () => {
      for await (const _ of body) void _;
    }).rejects.toThrow('read failed');
    expect(releases).toBe(1);
  });

  it('gives it back when the body is abandoned, even before its first piece', async () => {
    let releases = 0;
    const unread = releasingAtEnd(() => releases++, pieces(3));
    await unread.return!();
    expect(releases).toBe(1);

    const thrown = releasingAtEnd(() => releases++, pieces(3));
    await expect(thrown.throw!(new Error('client went away'))).rejects.toThrow('client went away');
    expect(releases).toBe(2);

    const half = releasingAtEnd(() => releases++, pieces(3));
    for await (const p of half) if (p === 1) break;
    expect(releases).toBe(3);
  });
});
