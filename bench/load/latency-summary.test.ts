import { describe, expect, it } from 'vitest';
import { percentile, summarizeLatencies } from './latency-summary.js';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('picks the k-th smallest sample', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
  });

  it('rejects out-of-range p and returns NaN for no samples', () => {
    expect(() => percentile(hundred, 0)).toThrow(RangeError);
    expect(() => percentile(hundred, 101)).toThrow(RangeError);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('summarizeLatencies', () => {
  it('sorts numerically, not as strings', () => {
    const s = summarizeLatencies([10, 9, 100, 1, 2]);
    expect(s).toMatchObject({ count: 5, p50Ms: 9, p99Ms: 100, maxMs: 100 });
    expect(s.meanMs).toBeCloseTo(24.4);
  });
});
