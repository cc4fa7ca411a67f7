import { describe, expect, it } from 'vitest';
import type { ClosedLoopResult } from './s3-load.js';
import { buildFigureLines, poolResults, renderTable, type S3BenchMeasurements, type WorkloadSpec } from './s3-report.js';

const MiB = 1024 * 1024;
const put1m: WorkloadSpec = { id: 'put-1MiB-c16', op: 'put', objectBytes: MiB, concurrency: 16 };
const put4k: WorkloadSpec = { id: 'put-4KiB-c32', op: 'put', objectBytes: 4096, concurrency: 32 };
const get16c64: WorkloadSpec = { id: 'get-16MiB-c64', op: 'get', objectBytes: 16 * MiB, concurrency: 64 };
const list: WorkloadSpec = { id: 'list-1000-c1', op: 'list', objectBytes: 0, concurrency: 1 };

/** A run of `ops` requests of `size` bytes in 10 s, latencies 1..ops ms, servers using `cpu` s each. */
function run(ops: number, size: number, cpu = 1, rssMiB = [100, 200, 300]): ClosedLoopResult {
  const latenciesMs = Array.from({ length: ops }, (_, i) => i + 1);
  return {
    concurrency: 16, durationMs: 10_000, ops, acknowledged: ops, bytes: ops * size, opsPerSecond: ops / 10,
    mibPerSecond: (ops * size) / MiB / 10, p50Ms: 0, p99Ms: 0, maxMs: ops, errors: 0, errorSamples: [], latenciesMs,
    generatorCpuSeconds: 2, wallSeconds: 12,
    servers: rssMiB.map((r, i) => ({ name: `node-${i + 1}`, cpuSeconds: cpu, peakRssBytes: r * MiB, peakIsPerWorkload: true })),
    bytesAll: ops * size,
  };
}

function measurements(workloads: S3BenchMeasurements['workloads']): S3BenchMeasurements {
  return {
    durationSeconds: 10, warmupSeconds: 2, rounds: 1, seaweedfsVersion: '4.01', seaweedfsReplication: '001',
    seaweedfsFsync: false, listKeys: 100_000, populate: { strata: { putsPerSecond: 2000, seconds: 50, acknowledged: 100_000 } }, workloads,
  };
}

describe('poolResults', () => {
  it('pools two rounds: rate over total time, percentiles over all samples, CPU per GiB of all bytes', () => {
    const f = poolResults(put1m, [run(1000, MiB), run(3000, MiB)]);
    expect(f.mibPerSecond).toBeCloseTo(4000 / 20, 6);
    expect(f.opsPerSecond).toBeCloseTo(200, 6);
    expect(f.p50Ms).toBe(1000); // samples 1..1000 and 1..3000: the 2000th smallest of 4000
    expect(f.cpuSecondsPerGiB).toBeCloseTo((3 + 3) / (4000 / 1024), 6);
    expect(f.peakRss.map((p) => p.bytes / MiB)).toEqual([100, 200, 300]);
    expect(f.generatorCpuPct).toBeCloseTo((4 / 24) * 100, 6);
    expect(f.roundRates).toEqual([100, 300]);
    expect(f.windowSeconds).toBe(20);
  });
});

describe('buildFigureLines', () => {
  it('judges 1 MiB PUT against both seaweedfs and the bare ceiling', () => {
    const lines = buildFigureLines(measurements([{
      spec: put1m,
      results: {
        strata: { ok: true, figures: poolResults(put1m, [run(2000, MiB)]) },
        seaweedfs: { ok: true, figures: poolResults(put1m, [run(1600, MiB)]) },
        bare: { ok: true, figures: poolResults(put1m, [run(4000, MiB)]) },
      },
    }]));
    const rate = lines.find((l) => l.metric === 'mib_per_s');
    expect(rate).toMatchObject({ bench: 's3', value: 200, baselineValue: 160, ratio: 1.25, ceilingValue: 400, ceilingRatio: 0.5, met: false });
    expect(lines.find((l) => l.metric === 'cpu_s_per_gib')).toMatchObject({ unit: 's/GiB' });
  });

  it('checks the 4 KiB target on ops/s and p99, and reports an unavailable system with its reason', () => {
    const lines = buildFigureLines(measurements([{
      spec: put4k,
      results: {
        strata: { ok: false, reason: 'strata-server does not start an S3 gateway yet' },
        seaweedfs: { ok: true, figures: poolResults(put4k, [run(20_000, 4096)]) },
      },
    }]));
    const rate = lines.find((l) => l.metric === 'ops_per_s');
    expect(rate).toMatchObject({ value: null, baselineValue: 2000, ratio: null, met: null, strataError: 'strata-server does not start an S3 gateway yet' });
  });

  it('holds every node under 512 MiB at concurrency 64, and judges listing by pages/s', () => {
    const lines = buildFigureLines(measurements([
      { spec: get16c64, results: { strata: { ok: true, figures: poolResults(get16c64, [run(100, 16 * MiB, 1, [300, 600, 200])]) } } },
      {
        spec: list,
        results: {
          strata: { ok: true, figures: poolResults(list, [run(500, 0)]) },
          seaweedfs: { ok: true, figures: poolResults(list, [run(400, 0)]) },
        },
      },
    ]));
    expect(lines.find((l) => l.metric === 'peak_rss_mib' && l.workload === 'get-16MiB-c64')).toMatchObject({ value: 600, met: false });
    expect(lines.find((l) => l.metric === 'pages_per_s')).toMatchObject({ value: 50, baselineValue: 40, ratio: 1.25, met: true, ceiling: null });
    expect(lines.some((l) => l.metric === 'cpu_s_per_gib' && l.workload === 'list-1000-c1')).toBe(false);
    expect(lines.find((l) => l.metric === 'populate_puts_per_s')).toMatchObject({ system: 'strata', value: 2000 });
  });
});

describe('renderTable', () => {
  it('has a row per system, the unavailable reason, and the verdicts', () => {
    const m = measurements([{
      spec: put1m,
      results: {
        strata: { ok: false, reason: 'failed to start: no S3' },
        seaweedfs: { ok: true, figures: poolResults(put1m, [run(1600, MiB)]) },
        bare: { ok: true, figures: poolResults(put1m, [run(4000, MiB)]) },
      },
    }]);
    const table = renderTable(m, buildFigureLines(m));
    expect(table).toMatch(/put-1MiB-c16\s+strata .*unavailable: failed to start: no S3/);
    expect(table).toMatch(/put-1MiB-c16\s+seaweedfs\s+160\.0\s+160\.0/);
    expect(table).toMatch(/target >=1.0x seaweedfs and >=0.6x bare: n\/a/);
  });
});
