import { describe, expect, it } from 'vitest';
import { fmix32, hashSeed, rendezvousDraw } from './rendezvous-hash.js';

describe('rendezvous hash', () => {
  it('matches FNV-1a 32 test vectors for ASCII seeds (high bytes are 0)', () => {
    // FNV-1a over UTF-16LE: 'a' is bytes 0x61 0x00.
    const fnv = (bytes: number[]) => bytes.reduce((h, b) => Math.imul(h ^ b, 0x01000193) >>> 0, 0x811c9dc5);
    expect(hashSeed('')).toBe(0x811c9dc5);
    expect(hashSeed('a')).toBe(fnv([0x61, 0x00]));
    expect(fnv([0x61])).toBe(0xe40c292c); // the published FNV-1a 32 value of "a"
  });

  it('fmix32 is murmur3 fmix32', () => {
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).toBe(0x514e28b7);
  });

  it('draws lie strictly inside (0, 1) and look uniform', () => {
    const buckets = new Array(10).fill(0);
    for (let s = 0; s < 2000; s++) {
      for (let id = 1; id <= 10; id++) {
        const u = rendezvousDraw(hashSeed(`s${s}`), id);
        expect(u).toBeGreaterThan(0);
        expect(u).toBeLessThan(1);
        buckets[Math.floor(u * 10)]++;
      }
    }
    for (const count of buckets) expect(Math.abs(count - 2000) / 2000).toBeLessThan(0.1);
  });

  it('separates large node ids that differ only above 32 bits', () => {
    const seed = hashSeed('x');
    expect(rendezvousDraw(seed, 5)).not.toBe(rendezvousDraw(seed, 5 + 2 ** 32));
  });
});
