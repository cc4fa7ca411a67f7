import { describe, expect, it } from 'vitest';
import { SimClock } from './sim-clock.js';

describe('SimClock', () => {
  it('fires timers in (time, sequence) order and ends exactly at start + ms', async () => {
    const clock = new SimClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.nowMs()}`), 10);
    clock.setTimeout(() => fired.push(`a@${clock.nowMs()}`), 5);
    clock.setTimeout(() => fired.push(`c@${clock.nowMs()}`), 10);
    clock.setTimeout(() => fired.push('late'), 31);
    await clock.runFor(30);
    expect(fired).toEqual(['a@5', 'b@10', 'c@10']);
    expect(clock.nowMs()).toBe(30);
    await clock.runFor(1);
    expect(fired).toEqual(['a@5', 'b@10', 'c@10', 'late']);
  });

  it('runs intervals until cancelled, and cancelled timers never fire', async () => {
    const clock = new SimClock();
    const ticks: number[] = [];
    const h = clock.setInterval(() => {
      ticks.push(clock.nowMs());
      if (ticks.length === 3) h.cancel();
    }, 4);
    const never = clock.setTimeout(() => ticks.push(-1), 2);
    never.cancel();
    await clock.runFor(100);
    expect(ticks).toEqual([4, 8, 12]);
  });

  it('drains promise chains between events, so async code scheduled by a timer sees the same virtual time', async () => {
    const clock = new SimClock();
    const seen: number[] = [];
    const sleep = (ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));
    const worker = async () => {
      for (let i = 0; i < 3; i++) {
        await sleep(7);
        // A few extra awaits that do not touch the clock must still complete before time moves on.
        await Promise.resolve();
        await Promise.resolve();
        seen.push(clock.nowMs());
      }
    };
    void worker();
    await clock.runFor(100);
    expect(seen).toEqual([7, 14, 21]);
  });

  it('runUntil stops at the first event after which the predicate holds, or at the limit', async () => {
    const clock = new SimClock();
    let n = 0;
    clock.setInterval(() => n++, 10);
    expect(await clock.runUntil(() => n >= 3, 1000)).toBe(true);
    expect(clock.nowMs()).toBe(30);
    expect(await clock.runUntil(() => n >= 100, 50)).toBe(false);
    expect(clock.nowMs()).toBe(80);
  });

  it('cancelOwner stops every timer of a crashed owner and leaves the others', async () => {
    const clock = new SimClock();
    const a = clock.forOwner('a');
    const fired: string[] = [];
    a.setInterval(() => fired.push('a-int'), 5);
    a.setTimeout(() => fired.push('a-once'), 7);
    clock.setTimeout(() => fired.push('global'), 8);
    await clock.runFor(5);
    expect(clock.cancelOwner('a')).toBe(2);
    await clock.runFor(20);
    expect(fired).toEqual(['a-int', 'global']);
  });

  it('is deterministic: the same program gives the same trace', async () => {
    const trace = async () => {
      const clock = new SimClock();
      const out: string[] = [];
      for (let i = 0; i < 5; i++) {
        clock.setTimeout(async () => {
          out.push(`start${i}@${clock.nowMs()}`);
          await new Promise<void>((r) => clock.setTimeout(r, (i * 7) % 5));
          out.push(`end${i}@${clock.nowMs()}`);
        }, i % 3);
      }
      await clock.runFor(50);
      return out.join(',');
    };
    expect(await trace()).toBe(await trace());
  });
});
