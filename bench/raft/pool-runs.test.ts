import { describe, expect, it } from 'vitest';
import { poolRounds, type RoundResult } from './pool-runs.js';

const round = (ops: number, durationMs: number, latenciesMs: number[], found?: number): RoundResult => ({
  durationMs, ops, opsPerSecond: ops / (durationMs / 1000), errors: 1, acknowledged: ops + 2, latenciesMs, found,
});

describe('poolRounds', () => {
  it('rates over total time and takes percentiles over all samples', () => {
    const pooled = poolRounds([
      round(100, 1000, Array.from({ length: 50 }, () => 1), 102),
      round(300, 1000, Array.from({ length: 50 }, () => 9), 302),
    ]);
    expect(pooled.opsPerSecond).toBe(200);
    expect(pooled.roundOpsPerSecond).toEqual([100, 300]);
    expect(pooled.p50Ms).toBe(1);
    expect(pooled.p99Ms).toBe(9);
    expect(pooled).toMatchObject({ errors: 2, acknowledged: 404, found: 404 });
  });

  it('leaves found undefined when any round could not be read back', () => {
    expect(poolRounds([round(1, 1000, [1], 3), round(1, 1000, [1])]).found).toBeUndefined();
    expect(() => poolRounds([])).toThrow(RangeError);
  });
});
