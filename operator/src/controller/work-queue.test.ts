import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.testkit.js';
import { WorkQueue } from './work-queue.js';

describe('WorkQueue', () => {
  it('de-duplicates a key added many times', async () => {
    const q = new WorkQueue({ clock: new ManualClock() });
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.length).toBe(2);
    expect(await q.next()).toBe('a');
    expect(await q.next()).toBe('b');
  });

  it('never hands one key to two workers; an add during processing runs again after done', async () => {
    const q = new WorkQueue({ clock: new ManualClock() });
    q.add('a');
    const key = await q.next();
    q.add('a');
    expect(q.length).toBe(0);
    q.done(key!);
    expect(q.length).toBe(1);
    expect(await q.next()).toBe('a');
  });

  it('wakes a waiting worker', async () => {
    const q = new WorkQueue({ clock: new ManualClock() });
    const pending = q.next();
    q.add('x');
    expect(await pending).toBe('x');
  });

  it('backs off exponentially per key, capped, and forget() starts over', () => {
    const q = new WorkQueue({ clock: new ManualClock(), baseDelayMs: 100, maxDelayMs: 1_000 });
    const delays = Array.from({ length: 6 }, () => q.addRateLimited('k'));
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(q.addRateLimited('other')).toBe(100);
    q.forget('k');
    expect(q.addRateLimited('k')).toBe(100);
  });

  it('delayed adds fire at the earliest requested time', () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock });
    q.addAfter('k', 1_000);
    q.addAfter('k', 300);
    q.addAfter('k', 5_000);
    clock.advance(299);
    expect(q.length).toBe(0);
    clock.advance(1);
    expect(q.length).toBe(1);
    clock.advance(10_000);
    expect(q.length).toBe(1);
  });

  it('an immediate add supersedes a pending delayed one', () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock });
    q.addAfter('k', 1_000);
    q.add('k');
    expect(q.length).toBe(1);
    clock.advance(2_000);
    expect(q.length).toBe(1);
  });

  it('shutdown releases waiting workers', async () => {
    const q = new WorkQueue({ clock: new ManualClock() });
    const pending = q.next();
    q.shutdown();
    expect(await pending).toBeUndefined();
    q.add('late');
    expect(await q.next()).toBeUndefined();
  });
});
