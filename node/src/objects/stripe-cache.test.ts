import { describe, expect, it } from 'vitest';
import type { MetricsSink } from '../platform/metrics.js';
import { StripeCache } from './stripe-cache.js';

function countingMetrics(): { sink: MetricsSink; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const sink: MetricsSink = {
    counter: (name) => ({ inc: (n = 1) => counts.set(name, (counts.get(name) ?? 0) + n) }),
    gauge: (name) => ({ set: (v) => counts.set(name, v) }),
    histogram: () => ({ observe() {} }),
  };
  return { sink, counts };
}

const stripe = (fill: number, shardBytes = 100, k = 2): Uint8Array[] => Array.from({ length: k }, () => new Uint8Array(shardBytes).fill(fill));

/** Offers a stripe twice: the second offer keeps it. */
function keep(cache: StripeCache, key: string, shards: Uint8Array[]): void {
  cache.set(key, shards);
  cache.set(key, shards);
}

describe('StripeCache', () => {
  it('returns what was stored and counts hits and misses', () => {
    const { sink, counts } = countingMetrics();
    const cache = new StripeCache({ capacityBytes: 1000, metrics: sink });
    expect(cache.get('a#0')).toBeUndefined();
    keep(cache, 'a#0', stripe(7));
    expect(cache.get('a#0')?.map((s) => s[0])).toEqual([7, 7]);
    expect(counts.get('strata_data_cache_hits_total')).toBe(1);
    expect(counts.get('strata_data_cache_misses_total')).toBe(1);
    expect(counts.get('strata_data_cache_bytes')).toBe(200);
  });

  it('stays within its capacity, evicting the least recently used', () => {
    const cache = new StripeCache({ capacityBytes: 600 });
    keep(cache, 'a#0', stripe(1));
    keep(cache, 'a#1', stripe(2));
    keep(cache, 'a#2', stripe(3));
    expect(cache.sizeBytes).toBe(600);
    cache.get('a#0'); // now a#1 is the oldest
    keep(cache, 'b#0', stripe(4));
    expect(cache.sizeBytes).toBeLessThanOrEqual(600);
    expect(cache.get('a#1')).toBeUndefined();
    expect(cache.get('a#0')).toBeDefined();
    expect(cache.get('a#2')).toBeDefined();
    expect(cache.get('b#0')).toBeDefined();
    for (let i = 0; i < 100; i++) keep(cache, `c#${i}`, stripe(i));
    expect(cache.sizeBytes).toBeLessThanOrEqual(600);
    expect(cache.entryCount).toBe(3);
  });

  it('does not keep a stripe bigger than the whole cache', () => {
    const cache = new StripeCache({ capacityBytes: 150 });
    keep(cache, 'a#0', stripe(1));
    expect(cache.entryCount).toBe(0);
    expect(cache.get('a#0')).toBeUndefined();
  });

  it('copies views of bigger buffers so it holds only its own bytes', () => {
    const cache = new StripeCache({ capacityBytes: 1000 });
    const big = new Uint8Array(10_000).fill(9);
    keep(cache, 'a#0', [big.subarray(0, 100), big.subarray(100, 200)]);
    const got = cache.get('a#0')!;
    expect(got.every((s) => s.buffer.byteLength === 100)).toBe(true);
    big.fill(0);
    expect(got[0][0]).toBe(9);
  });

  it('keeps a view that nearly fills its buffer without a copy, counting the whole buffer', () => {
    const cache = new StripeCache({ capacityBytes: 1000 });
    const frame = new Uint8Array(105).fill(7);
    const view = frame.subarray(5);
    keep(cache, 'a#0', [view]);
    expect(cache.get('a#0')![0]).toBe(view);
    expect(cache.sizeBytes).toBe(105);
  });

  it('replacing a key does not count it twice', () => {
    const cache = new StripeCache({ capacityBytes: 1000 });
    keep(cache, 'a#0', stripe(1));
    cache.set('a#0', stripe(2));
    expect(cache.sizeBytes).toBe(200);
    expect(cache.get('a#0')![0][0]).toBe(2);
  });

  it('size 0 turns it off: nothing kept, nothing counted', () => {
    const { sink, counts } = countingMetrics();
    const cache = new StripeCache({ capacityBytes: 0, metrics: sink });
    keep(cache, 'a#0', stripe(1));
    expect(cache.get('a#0')).toBeUndefined();
    expect(counts.get('strata_data_cache_misses_total')).toBeUndefined();
  });

  it('keeps a stripe on its second offer, not its first', () => {
    const cache = new StripeCache({ capacityBytes: 1000 });
    cache.set('a#0', stripe(1));
    expect(cache.get('a#0')).toBeUndefined();
    expect(cache.sizeBytes).toBe(0);
    cache.set('a#0', stripe(1));
    expect(cache.get('a#0')?.[0][0]).toBe(1);
  });

  it('forgets a first offer once as many bytes as it holds were offered once after it', () => {
    // Stripes of 200 bytes, capacity 600: the notes reach back three stripes.
    const cache = new StripeCache({ capacityBytes: 600 });
    cache.set('a#0', stripe(1));
    for (let i = 0; i < 2; i++) cache.set(`n#${i}`, stripe(2));
    cache.set('a#0', stripe(1));
    expect(cache.get('a#0')).toBeDefined(); // still noted: kept
    cache.set('b#0', stripe(3));
    for (let i = 0; i < 3; i++) cache.set(`m#${i}`, stripe(4));
    cache.set('b#0', stripe(3));
    expect(cache.get('b#0')).toBeUndefined(); // its note had aged out: noted anew, not kept
    cache.set('b#0', stripe(3));
    expect(cache.get('b#0')).toBeDefined();
  });

  it('keeps at most 1,024 notes (or one per 4 KiB of capacity), however small the stripes', () => {
    const cache = new StripeCache({ capacityBytes: 1024 * 1024 });
    cache.set('a#0', stripe(1, 8));
    for (let i = 0; i < 1023; i++) cache.set(`t#${i}`, stripe(2, 8));
    cache.set('a#0', stripe(1, 8));
    expect(cache.get('a#0')).toBeDefined(); // the 1,024th note: still there
    cache.set('b#0', stripe(1, 8));
    for (let i = 0; i < 1024; i++) cache.set(`u#${i}`, stripe(2, 8));
    cache.set('b#0', stripe(1, 8));
    expect(cache.get('b#0')).toBeUndefined(); // 1,025 notes: the oldest aged out
  });

  it('admits objects of at most 1/16 of its capacity, none when off', () => {
    const cache = new StripeCache({ capacityBytes: 64 * 1024 * 1024 });
    expect(cache.admits(4 * 1024 * 1024)).toBe(true);
    expect(cache.admits(4 * 1024 * 1024 + 1)).toBe(false);
    expect(new StripeCache({ capacityBytes: 0 }).admits(1)).toBe(false);
  });

  it('refuses a negative capacity', () => {
    expect(() => new StripeCache({ capacityBytes: -1 })).toThrow(/capacityBytes/);
  });
});
