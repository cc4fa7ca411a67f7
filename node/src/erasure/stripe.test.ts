import { describe, expect, it } from 'vitest';
import { joinStripe, shardSizeBytes, splitStripe, stripeDataViews } from './stripe.js';

function bytes(length: number, salt = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 13 + salt) & 0xff);
}

describe('shardSizeBytes', () => {
  it.each([
    [0, 1, 8],
    [1, 1, 8],
    [8, 1, 8],
    [9, 1, 16],
    [1_048_576, 4, 262_144],
    [1_048_576, 3, 349_528], // 349525.33 -> 349526 -> next multiple of 8
    [1_048_577, 4, 262_152],
    [100, 8, 16],
    [17, 2, 16],
    [33, 2, 24],
  ])('%i bytes over %i data shards -> %i', (stripeBytes, k, expected) => {
    expect(shardSizeBytes(stripeBytes, k)).toBe(expected);
  });

  it('always fits the stripe, in multiples of 8', () => {
    for (let k = 1; k <= 10; k++) {
      for (let size = 0; size < 300; size++) {
        const shard = shardSizeBytes(size, k);
        expect(shard % 8).toBe(0);
        expect(shard * k).toBeGreaterThanOrEqual(size);
        expect((shard - 8) * k).toBeLessThan(Math.max(size, 1)); // no whole spare unit per shard
      }
    }
  });
});

describe('splitStripe / joinStripe', () => {
  it('returns views of the input when it fills the shards exactly (no copy)', () => {
    const data = bytes(64);
    const shards = splitStripe(data, 4, 16);
    expect(shards).toHaveLength(4);
    shards.forEach((shard, i) => {
      expect(shard.buffer).toBe(data.buffer);
      expect(shard.byteOffset).toBe(data.byteOffset + i * 16);
      expect(shard.byteLength).toBe(16);
    });
  });

  it('zero-pads a short stripe into one contiguous buffer', () => {
    const data = bytes(37, 5);
    const shards = splitStripe(data, 3, shardSizeBytes(37, 3));
    expect(shards.map((s) => s.byteLength)).toEqual([16, 16, 16]);
    expect(new Set(shards.map((s) => s.buffer)).size).toBe(1);
    expect(shards[1].byteOffset).toBe(shards[0].byteOffset + 16);
    expect(shards[2].byteOffset).toBe(shards[0].byteOffset + 32);
    expect(Array.from(shards[2].subarray(5))).toEqual(new Array(11).fill(0));
    expect(Array.from(joinStripe(shards, 3, 37))).toEqual(Array.from(data));
  });

  it('splits an empty stripe into zero shards of the minimum size', () => {
    const shards = splitStripe(new Uint8Array(0), 2, 8);
    expect(shards.map((s) => Array.from(s))).toEqual([new Array(8).fill(0), new Array(8).fill(0)]);
    expect(joinStripe(shards, 2, 0).byteLength).toBe(0);
  });

  it('joins contiguous shards as a view and scattered ones as one copy of only the data bytes', () => {
    const data = bytes(100, 1);
    const shards = splitStripe(data, 4, shardSizeBytes(100, 4));
    const joined = joinStripe(shards, 4, 100);
    expect(joined.buffer).toBe(shards[0].buffer);
    const loose = shards.map((s) => Uint8Array.from(s));
    const copied = joinStripe([...loose, new Uint8Array(32)], 4, 100);
    expect(copied.buffer).not.toBe(loose[0].buffer);
    expect(copied.byteLength).toBe(100);
    expect(Array.from(copied)).toEqual(Array.from(data));
  });

  it('copies shards of one buffer that are out of order instead of taking a wrong view', () => {
    const backing = bytes(48, 7);
    const shards = [backing.subarray(32, 48), backing.subarray(16, 32), backing.subarray(0, 16)];
    const expected = [...shards[0], ...shards[1], ...shards[2]];
    expect(Array.from(joinStripe(shards, 3, 40))).toEqual(expected.slice(0, 40));
  });

  it('returns a view of the first shard when the data fits in it', () => {
    const loose = [bytes(16, 2), bytes(16, 3)];
    const joined = joinStripe(loose, 2, 10);
    expect(joined.buffer).toBe(loose[0].buffer);
    expect(Array.from(joined)).toEqual(Array.from(loose[0].subarray(0, 10)));
  });

  it('round-trips every length over several shard counts', () => {
    for (let k = 1; k <= 6; k++) {
      for (let length = 0; length <= 130; length += 7) {
        const data = bytes(length, k);
        const shards = splitStripe(data, k, shardSizeBytes(length, k));
        expect(Array.from(joinStripe(shards.map((s) => Uint8Array.from(s)), k, length))).toEqual(Array.from(data));
      }
    }
  });

  it('refuses shapes that are bugs', () => {
    expect(() => splitStripe(bytes(65), 4, 16)).toThrow(/does not fit/);
    expect(() => splitStripe(bytes(8), 1, 12)).toThrow(/multiple of 8/);
    expect(() => joinStripe([bytes(16), bytes(8)], 2, 10)).toThrow(/differ in size/);
    expect(() => joinStripe([bytes(16)], 1, 17)).toThrow(/do not fit/);
  });
});

describe('stripeDataViews', () => {
  const concat = (views: Uint8Array[]): number[] => views.flatMap((v) => Array.from(v));

  it('gives every range of the data as views of the shards, in order', () => {
    for (const k of [1, 2, 3, 4]) {
      const length = 13 * k + 5;
      const data = bytes(length, k);
      const shards = splitStripe(data, k, shardSizeBytes(length, k)).map((s) => Uint8Array.from(s)); // apart in memory
      for (let from = 0; from <= length; from += 3) {
        for (let to = from; to <= length; to += 5) {
          const views = stripeDataViews(shards, k, from, to);
          expect(concat(views)).toEqual(Array.from(data.subarray(from, to)));
          for (const v of views) expect(shards.some((s) => s.buffer === v.buffer)).toBe(true);
        }
      }
    }
  });

  it('touches only the shards the range needs', () => {
    const shards = [bytes(16), bytes(16, 1), bytes(16, 2)];
    expect(stripeDataViews(shards, 2, 0, 16)).toHaveLength(1);
    expect(stripeDataViews(shards, 2, 16, 32)).toHaveLength(1);
    expect(stripeDataViews(shards, 2, 15, 17).map((v) => v.byteLength)).toEqual([1, 1]);
  });

  it('refuses a range outside the data shards', () => {
    expect(() => stripeDataViews([bytes(16), bytes(16)], 2, 0, 33)).toThrow(/bad range/);
    expect(() => stripeDataViews([bytes(16), bytes(16)], 2, 5, 4)).toThrow(/bad range/);
  });
});
