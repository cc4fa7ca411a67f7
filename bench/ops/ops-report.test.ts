import { describe, expect, it } from 'vitest';
import { MiB, summarizePhase, type PhaseLatency, type RequestSample } from './ops-figures.js';
import { buildFigureLines, renderTable, type ClusterRun, type OpsMeasurements } from './ops-report.js';

function phase(latencyMs: number, seconds = 9): PhaseLatency {
  const samples: RequestSample[] = Array.from({ length: seconds * 20 }, (_, i) => ({ endMs: i * 50, latencyMs, ok: true }));
  return summarizePhase(samples, 0, seconds * 1000, { windowMs: 3000 });
}

function run(label: ClusterRun['label'], extra: Partial<ClusterRun> = {}): ClusterRun {
  return {
    label, throttleMbPerSec: label === 'throttled' ? 64 : 100_000, objects: 200, filledBytes: 500 * MiB, fillSeconds: 25,
    lostNodeChunks: 150, recovery: { bytes: 120 * MiB, chunks: 150, wallMs: 4000 }, rebalance: { bytes: 90 * MiB, chunks: 100, wallMs: 6000 },
    verified: 128, bad: [], unrecoverable: 0, ...extra,
  };
}

function measurements(runs: ClusterRun[]): OpsMeasurements {
  return {
    machine: { cores: 2, memTotalMiB: 24105, cpuModel: 'test cpu', loadAvgStart: [1, 2, 3], loadAvgEnd: [4, 5, 6] },
    sizes: { erasure: '2+1', stripeSizeBytes: MiB, objectSizesMiB: [1, 4, 2, 3], fillTargetMiB: 512, getObjectBytes: MiB, getConcurrency: 8, windowSeconds: 3, readCacheBytes: 0 },
    limits: { diskWriteMiBps: 200, diskReadMiBps: 800, loopbackMiBps: 1000, diskWriteMiB: 512, fsyncEveryMiB: 16, diskReadMode: 'direct', loopbackSeconds: 3 },
    runs,
  };
}

const find = (lines: ReturnType<typeof buildFigureLines>, metric: string, key: string, value: string) =>
  lines.find((l) => l.metric === metric && l[key] === value);

describe('buildFigureLines', () => {
  it('holds recovery against the slowest limit, with the 0.5x target on the unthrottled run only', () => {
    const lines = buildFigureLines(measurements([run('unthrottled'), run('throttled', { recovery: { bytes: 60 * MiB, chunks: 150, wallMs: 4000 } })]));
    const fast = find(lines, 'recovery_mib_per_s', 'run', 'unthrottled')!;
    expect(fast).toMatchObject({ bench: 'ops', value: 30, unit: 'MiB/s', baseline: 'limit_disk_write', baselineValue: 200, ratio: 0.15, target: '>=0.5x limit', met: false });
    const slow = find(lines, 'recovery_mib_per_s', 'run', 'throttled')!;
    expect(slow.value).toBe(15);
    expect(slow.target).toBeUndefined();
    expect(find(lines, 'rebalance_mib_per_s', 'run', 'unthrottled')!.value).toBe(15);
    for (const line of lines) expect(line.bench).toBe('ops');
  });

  it('compares GET p99 during recovery and rebalance with p99 at rest, target 1.25x', () => {
    const lines = buildFigureLines(measurements([run('throttled', {
      foreground: { rest4: phase(10), recovery: phase(12), rest3: phase(10), rebalance: phase(20) },
    })]));
    expect(find(lines, 'get_p99_ms', 'phase', 'recovery')).toMatchObject({ value: 12, baselineValue: 10, ratio: 1.2, met: true, windows: 3 });
    expect(find(lines, 'get_p99_ms', 'phase', 'rebalance')).toMatchObject({ value: 20, ratio: 2, met: false });
    expect(find(lines, 'get_p99_ms', 'phase', 'rest-4-nodes')!.target).toBeUndefined();
    const failing = { ...phase(12), errors: 40 };
    const withErrors = buildFigureLines(measurements([run('throttled', { foreground: { rest4: phase(10), recovery: failing, rest3: phase(10), rebalance: phase(11) } })]));
    expect(find(withErrors, 'get_p99_ms', 'phase', 'recovery')).toMatchObject({ ratio: 1.2, met: false });
    expect(String(find(withErrors, 'get_p99_ms', 'phase', 'recovery')!.note)).toContain('40 GETs failed');
    expect(find(lines, 'recovery_mib_per_s', 'run', 'throttled')).toMatchObject({ p50Ms: 12, p99Ms: 12 });
  });

  it('notes a recovery whose progress counted fewer chunks than node-4 held', () => {
    const lines = buildFigureLines(measurements([run('unthrottled', { lostNodeChunks: 310, recovery: { bytes: 100 * MiB, chunks: 115, wallMs: 9000 } })]));
    expect(String(find(lines, 'recovery_mib_per_s', 'run', 'unthrottled')!.note)).toContain('115 of the 310 chunks');
    const whole = buildFigureLines(measurements([run('unthrottled')]));
    expect(find(whole, 'recovery_mib_per_s', 'run', 'unthrottled')!.note).toBeUndefined();
  });

  it('gives an unfinished move no rate and no verdict, and names why', () => {
    const lines = buildFigureLines(measurements([run('unthrottled', { recovery: { bytes: 10 * MiB, chunks: 3, wallMs: 300_000, error: 'not done after 300 s' } })]));
    expect(find(lines, 'recovery_mib_per_s', 'run', 'unthrottled')).toMatchObject({ value: null, ratio: null, met: null, error: 'not done after 300 s' });
  });
});

describe('renderTable', () => {
  it('states machine and sizes, and shows verdicts and misread objects', () => {
    const m = measurements([run('unthrottled', { bad: ['ops/000001 via x: sha256 mismatch'] })]);
    const text = renderTable(m, buildFigureLines(m));
    expect(text).toContain('2 cores (test cpu), 24105 MiB RAM');
    expect(text).toContain('erasure 2+1, stripe 1024 KiB');
    expect(text).toMatch(/recovery \(unthrottled\) \/ limit_disk_write\s+0\.15x\s+target >=0\.5x limit: NOT met/);
    expect(text).toContain('unthrottled: 128 objects read back by SHA-256, 1 bad');
  });
});
