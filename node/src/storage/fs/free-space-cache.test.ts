import { describe, expect, it } from 'vitest';
import type { Clock } from '../../platform/clock.js';
import { FreeSpaceCache } from './free-space-cache.js';

function manualClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  return {
    nowMs: () => now,
    wallMs: () => now,
    setTimeout: () => ({ cancel() {} }),
    setInterval: () => ({ cancel() {} }),
    advance: (ms) => void (now += ms),
  };
}

describe('FreeSpaceCache', () => {
  it('measures at most once per max age, subtracting what was written since', async () => {
    const clock = manualClock();
    let measures = 0;
    let free = 1000;
    let written = 0;
    const cache = new FreeSpaceCache(async () => (measures++, { totalBytes: 10_000, freeBytes: free }), () => written, clock, 500);
    expect(await Promise.all([cache.freeBytes(), cache.freeBytes()])).toEqual([1000, 1000]);
    written = 300;
    free = 700;
    clock.advance(499);
    expect(await cache.freeBytes()).toBe(700);
    expect(measures).toBe(1);
    clock.advance(1);
    free = 650; // freed or used by someone else: seen at the next reading
    expect(await cache.freeBytes()).toBe(650);
    expect(measures).toBe(2);
  });

  it('measureNow always measures, and a failed measurement is not kept', async () => {
    const clock = manualClock();
    let fail = true;
    const cache = new FreeSpaceCache(
      async () => (fail ? Promise.reject(new Error('statfs failed')) : { totalBytes: 10, freeBytes: 5 }),
      () => 0,
      clock,
    );
    await expect(cache.freeBytes()).rejects.toThrow('statfs failed');
    fail = false;
    expect(await cache.freeBytes()).toBe(5);
    expect(await cache.measureNow()).toEqual({ totalBytes: 10, freeBytes: 5 });
  });
});
