import { describe, expect, it } from 'vitest';
import { buildFigureLines, renderTable, type RaftBenchMeasurements, type SystemRun } from './raft-report.js';

const ok = (opsPerSecond: number, p50Ms: number, p99Ms: number): SystemRun =>
  ({ ok: true, figures: { opsPerSecond, p50Ms, p99Ms, errors: 0, roundOpsPerSecond: [opsPerSecond * 0.5, opsPerSecond * 1.5] } });

function measurements(strata: Map<number, SystemRun>): RaftBenchMeasurements {
  return {
    durationSeconds: 10,
    rounds: 2,
    warmupSeconds: 2,
    fdatasync: { p50Ms: 0.5, p99Ms: 2, iterations: 600, blockSizeBytes: 4096, probeP50sMs: [0.4, 0.5, 0.61234] },
    etcdVersion: '3.4.23',
    strata,
    etcd: new Map([[1, ok(500, 1.6, 6)], [64, ok(2000, 20, 40)]]),
  };
}

describe('buildFigureLines', () => {
  it('computes the three target ratios and their verdicts', () => {
    const lines = buildFigureLines(measurements(new Map([[1, ok(900, 0.9, 3)], [64, ok(3000, 15, 50)]])));
    const find = (metric: string, concurrency: number) => lines.find((l) => l.metric === metric && l.concurrency === concurrency);
    expect(lines[0]).toMatchObject({ metric: 'fdatasync_ms', value: 0.5, p99Ms: 2, iterations: 600, probeP50sMs: '0.4,0.5,0.612' });
    expect(find('commits_per_s', 64)).toMatchObject({ value: 3000, baselineValue: 2000, ratio: 1.5, target: '>=1', met: true, p99Ms: 50, ratioPerRound: '1.5,1.5', rounds: 2 });
    expect(find('commit_p99_ms', 64)).toMatchObject({ value: 50, baselineValue: 40, ratio: 1.25, target: '<=1', met: false });
    expect(find('commit_p50_ms', 1)).toMatchObject({ value: 0.9, baselineValue: 0.5, ratio: 1.8, met: true, etcdRatio: 3.2 });
    // Targets apply only where the issue sets them.
    expect(find('commits_per_s', 1)).not.toHaveProperty('target');
    expect(find('commit_p50_ms', 64)).toBeUndefined();
    for (const l of lines) expect(l.bench).toBe('raft');
  });

  it('reports a missing system as null figures with its reason, never as numbers', () => {
    const reason = 'strata-server not built yet';
    const lines = buildFigureLines(measurements(new Map([[1, { ok: false, reason }], [64, { ok: false, reason }]])));
    const rate64 = lines.find((l) => l.metric === 'commits_per_s' && l.concurrency === 64);
    expect(rate64).toMatchObject({ value: null, ratio: null, met: null, baselineValue: 2000, strataError: reason, etcdError: null });
    const table = renderTable(measurements(new Map([[1, { ok: false, reason }]])), lines);
    expect(table).toContain(`unavailable: ${reason}`);
    expect(table).toContain('2000.0');
    expect(table).toMatch(/commits\/s strata\/etcd\s+n\/a/);
  });

  it('renders every JSON line as valid JSON with finite numbers or null', () => {
    const lines = buildFigureLines(measurements(new Map([[1, ok(0.1, Number.NaN, Number.NaN)]])));
    for (const l of lines) {
      const parsed = JSON.parse(JSON.stringify(l)) as Record<string, unknown>;
      for (const v of Object.values(parsed)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
    }
    expect(lines.find((l) => l.metric === 'commit_p50_ms')?.value).toBeNull();
  });
});
