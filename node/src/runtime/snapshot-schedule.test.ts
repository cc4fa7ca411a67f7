import { describe, expect, it } from 'vitest';
import { snapshotDue, snapshotPhase } from './snapshot-schedule.js';

/** The indexes at which a node applying entries one by one from 0 takes its snapshots. */
function snapshotIndexes(nodeId: number, every: number, upTo: number): number[] {
  const phase = snapshotPhase(nodeId, every);
  const taken: number[] = [];
  let last = 0;
  for (let applied = 1; applied <= upTo; applied++) {
    if (!snapshotDue(applied, last, every, phase)) continue;
    taken.push(applied);
    last = applied;
  }
  return taken;
}

describe('snapshot schedule', () => {
  it('spreads the snapshots of nodes 1-4 a quarter of the interval apart, each node every interval', () => {
    expect(snapshotIndexes(1, 10_000, 40_000)).toEqual([7_500, 17_500, 27_500, 37_500]);
    expect(snapshotIndexes(2, 10_000, 40_000)).toEqual([5_000, 15_000, 25_000, 35_000]);
    expect(snapshotIndexes(3, 10_000, 40_000)).toEqual([2_500, 12_500, 22_500, 32_500]);
    expect(snapshotIndexes(4, 10_000, 40_000)).toEqual([10_000, 20_000, 30_000, 40_000]);
  });

  it('takes a snapshot at once when one was missed (a slow snapshot, one installed from the leader)', () => {
    const phase = snapshotPhase(1, 100);
    expect(snapshotDue(180, 60, 100, phase)).toBe(true); // 175 was crossed while the last one was written
    expect(snapshotDue(170, 160, 100, phase)).toBe(false);
    expect(snapshotDue(175, 160, 100, phase)).toBe(true);
  });

  it('never lets more than the interval pass between two snapshots, whatever the phase', () => {
    for (const nodeId of [1, 2, 3, 4, 5, 17]) {
      for (const every of [1, 3, 7, 100]) {
        const taken = [0, ...snapshotIndexes(nodeId, every, 20 * every)];
        for (let i = 1; i < taken.length; i++) expect(taken[i]! - taken[i - 1]!).toBeLessThanOrEqual(every);
      }
    }
  });
});
