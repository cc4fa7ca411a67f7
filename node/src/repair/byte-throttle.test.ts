import { describe, expect, it } from 'vitest';
import { noopMetrics } from '../platform/metrics.js';
import { SimClock } from '../testing/sim-clock.js';
import { ByteThrottle } from './byte-throttle.js';
import { ProgressTracker } from './move-progress.js';

describe('ByteThrottle', () => {
  it('lets a burst through, then holds the long-run rate', async () => {
    const clock = new SimClock();
    const throttle = new ByteThrottle({ clock, bytesPerSec: 1_000, loadSignal: false });
    const doneAt: number[] = [];
    const start = clock.nowMs();
    for (let i = 0; i < 5; i++) void throttle.take(500).then(() => doneAt.push(clock.nowMs() - start));
    await clock.runFor(5_000);
    // 1000 bytes of burst pass at once; each further 500 waits half a second.
    expect(doneAt).toEqual([0, 0, 500, 1000, 1500]);
  });

  it('passes a block bigger than the burst and makes the next caller wait it off', async () => {
    const clock = new SimClock();
    const throttle = new ByteThrottle({ clock, bytesPerSec: 1_000, loadSignal: false });
    const doneAt: number[] = [];
    const start = clock.nowMs();
    void throttle.take(3_000).then(() => doneAt.push(clock.nowMs() - start));
    void throttle.take(1).then(() => doneAt.push(clock.nowMs() - start));
    await clock.runFor(5_000);
    expect(doneAt).toEqual([0, 2001]);
  });

  it('backs off to half of what moved while the node is loaded, never below the floor, and recovers to the cap when calm', async () => {
    const clock = new SimClock();
    let busy = 0;
    const published: number[] = [];
    const metrics = { ...noopMetrics, gauge: () => ({ set: (v: number) => void published.push(v) }) };
    const throttle = new ByteThrottle({ clock, bytesPerSec: 100_000, minBytesPerSec: 1_000, adaptWindowMs: 500, loadTarget: 0.5, loadSignal: { load: () => busy }, metrics });
    // Movers run far below the cap: 2 000 bytes per 100 ms, about 20 000 B/s.
    const mover = async (until: number) => {
      while (clock.nowMs() < until) {
        await throttle.take(2_000);
        await new Promise<void>((r) => clock.setTimeout(r, 100));
      }
    };
    const start = clock.nowMs();
    void mover(start + 10_000);
    await clock.runFor(1_000);
    expect(throttle.currentBytesPerSec).toBe(100_000);
    busy = 0.9; // foreground load: a gateway has requests in flight most of the time
    await clock.runFor(600);
    // Half of what moved (about 20 000 B/s), not half of the cap.
    expect(throttle.currentBytesPerSec).toBeLessThanOrEqual(11_000);
    await clock.runFor(3_000);
    expect(throttle.currentBytesPerSec).toBe(1_000);
    expect(published.at(-1)).toBe(1_000); // strata_data_move_limit_bytes_per_second
    busy = 0.1;
    await clock.runFor(5_000);
    expect(throttle.currentBytesPerSec).toBeGreaterThan(1_000);
    expect(throttle.bytesPerSec).toBe(100_000);
  });

  it('starts moves at the floor while the foreground is busy, and at the cap once it is quiet', async () => {
    const clock = new SimClock();
    let busy = 0.9;
    const throttle = new ByteThrottle({ clock, bytesPerSec: 100_000, minBytesPerSec: 1_000, adaptWindowMs: 500, loadSignal: { load: () => busy } });
    await clock.runFor(10_000); // no move yet
    const doneAt: number[] = [];
    const start = clock.nowMs();
    for (let i = 0; i < 3; i++) void throttle.take(1_000).then(() => doneAt.push(clock.nowMs() - start));
    await clock.runFor(5_000);
    // The first take sees the busy gateways: the bucket holds one second of the floor, not of the cap.
    expect(throttle.currentBytesPerSec).toBe(1_000);
    expect(doneAt).toEqual([0, 1_000, 2_000]);
    busy = 0.1;
    await clock.runFor(10_000); // idle again, now quiet
    await throttle.take(1);
    expect(throttle.currentBytesPerSec).toBe(100_000);
  });

  it('without a load signal the limit is fixed at the cap', async () => {
    const clock = new SimClock();
    const throttle = new ByteThrottle({ clock, bytesPerSec: 1_000 });
    for (let i = 0; i < 10; i++) {
      await Promise.all([throttle.take(500), clock.runFor(600)]);
    }
    expect(throttle.currentBytesPerSec).toBe(1_000);
  });

  it('0 means unthrottled', async () => {
    const throttle = new ByteThrottle({ clock: new SimClock(), bytesPerSec: 0 });
    await throttle.take(10 ** 12);
    expect(throttle.bytesPerSec).toBe(0);
  });
});

describe('ProgressTracker', () => {
  it('reports totals, a windowed rate and an ETA', async () => {
    const clock = new SimClock();
    const progress = new ProgressTracker(clock);
    progress.start();
    progress.addWork(4, 4_000);
    await clock.runFor(1_000);
    progress.done(1_000);
    await clock.runFor(1_000);
    progress.done(1_000);
    progress.skipped(1_000);
    const snap = progress.snapshot();
    expect(snap).toMatchObject({ chunksTotal: 3, chunksDone: 2, bytesTotal: 3_000, bytesDone: 2_000, failures: 0, rateBytesPerSec: 2_000, etaSeconds: 1 });
    await clock.runFor(20_000);
    expect(progress.snapshot().rateBytesPerSec).toBe(0);
    expect(progress.snapshot().etaSeconds).toBeUndefined();
  });
});
