import { describe, expect, it } from 'vitest';
import { parseSeeds } from './sim-main.js';
import { runScenario } from './sim-scenario.js';

// A few fixed seeds through the whole simulation (faults, workload, every checker), kept short so the
// unit tier stays fast; `npm run sim` runs the long version.
describe('deterministic simulation', () => {
  for (const [seed, nodes] of [
    [11, 3],
    [12, 5],
  ] as const) {
    it(`seed ${seed} with ${nodes} nodes passes every checker`, async () => {
      const r = await runScenario({ seed, nodes, faultMs: 2_500 });
      if (!r.ok) console.log([...r.violations.map((v) => `[${v.checker}] ${v.message}`), ...r.trace].join('\n'));
      expect(r.violations).toEqual([]);
      expect(r.stats.faults).toBeGreaterThan(0);
      expect(r.stats.acked).toBeGreaterThan(0);
    });
  }

  it('catches stale reads end to end: gets that skip ReadIndex are not linearizable', async () => {
    const r = await runScenario({ seed: 2, nodes: 3, faultMs: 2_500, unsafeLocalReads: true });
    expect(r.ok).toBe(false);
    expect(r.violations.length).toBeGreaterThan(0);
    expect(r.violations.every((v) => v.checker === 'linearizability')).toBe(true);
  });

  it('catches double-applied proposals when the network duplicates forwarded proposals', async () => {
    const r = await runScenario({ seed: 1, nodes: 4, faultMs: 2_500, duplicateProposals: true });
    expect(r.violations.some((v) => v.checker === 'exactly-once')).toBe(true);
  });

  it('replays a seed exactly', async () => {
    const a = await runScenario({ seed: 13, nodes: 3, faultMs: 1_000 });
    const b = await runScenario({ seed: 13, nodes: 3, faultMs: 1_000 });
    expect(b.stats).toEqual(a.stats);
    expect(b.trace).toEqual(a.trace);
  });
});

describe('parseSeeds', () => {
  it('reads "seed [nodes]" lines and skips comments', () => {
    expect(parseSeeds('# c\n1\n\n 7 5 # five nodes\n')).toEqual([{ seed: 1 }, { seed: 7, nodes: 5 }]);
  });
});
