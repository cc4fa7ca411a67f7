/**
 * Turns the S3 benchmark's measurements into its output: one JSON object per line per figure (stable field
 * names, as bench/README.md describes), then a table for people. Pure: no I/O.
 *
 * Targets (from the issue): PUT and GET of 1 MiB >= 1.0x SeaweedFS and >= 0.6x the bare node:http
 * ceiling; 4 KiB PUT >= 1000 ops/s with p99 < 50 ms; listing >= 1.0x SeaweedFS; peak RSS of every node
 * < 512 MiB at concurrency 64.
 */
import { summarizeLatencies } from '../load/latency-summary.js';
import type { ClosedLoopResult } from './s3-load.js';

export type SystemName = 'strata' | 'seaweedfs' | 'bare';
export const SYSTEMS: readonly SystemName[] = ['strata', 'seaweedfs', 'bare'];

export interface WorkloadSpec {
  /** Stable id, e.g. put-1MiB-c16. */
  id: string;
  op: 'put' | 'get' | 'list';
  /** Object size (0 for list). */
  objectBytes: number;
  concurrency: number;
}

export interface SystemFigures {
  opsPerSecond: number;
  mibPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  errorSamples: string[];
  /** Server CPU seconds (all processes of the system) per GiB of object data moved; null for listing. */
  cpuSecondsPerGiB: number | null;
  /** Server CPU milliseconds per request (all processes). */
  cpuMsPerOp: number | null;
  /** Peak RSS per server process during the workload (VmHWM reset at its start where the kernel allows). */
  peakRss: { name: string; bytes: number }[];
  /** The load generator's CPU as % of one core over the run: near 100% means it was the bottleneck. */
  generatorCpuPct: number;
  /** Rate of each round (MiB/s, or ops/s for list and 4 KiB), in round order. */
  roundRates: number[];
  /** Measured seconds, all rounds (the window stretches for slow requests). */
  windowSeconds: number;
}

export type SystemResult = { ok: true; figures: SystemFigures } | { ok: false; reason: string };

export interface WorkloadResults {
  spec: WorkloadSpec;
  results: Partial<Record<SystemName, SystemResult>>;
}

export interface S3BenchMeasurements {
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
  seaweedfsVersion: string;
  seaweedfsReplication: string;
  seaweedfsFsync: boolean;
  listKeys: number;
  /** 0-byte PUT rate while populating the listing prefix, per system. */
  populate: Partial<Record<SystemName, { putsPerSecond: number; seconds: number; acknowledged: number } | { reason: string }>>;
  workloads: WorkloadResults[];
}

export type FigureLine = Record<string, string | number | boolean | null>;

const GIB = 1024 * 1024 * 1024;
const MIB = 1024 * 1024;
const RSS_LIMIT_BYTES = 512 * MIB;

/** Pools the rounds one system ran of one workload: rates over total time, percentiles over all samples. */
export function poolResults(spec: WorkloadSpec, runs: readonly ClosedLoopResult[]): SystemFigures {
  if (runs.length === 0) throw new RangeError('poolResults needs at least one run');
  const seconds = runs.reduce((s, r) => s + r.durationMs, 0) / 1000;
  const ops = runs.reduce((s, r) => s + r.ops, 0);
  const bytes = runs.reduce((s, r) => s + r.bytes, 0);
  const latency = summarizeLatencies(runs.flatMap((r) => r.latenciesMs));
  const serverCpu = runs.reduce((s, r) => s + r.servers.reduce((t, p) => t + p.cpuSeconds, 0), 0);
  const bytesAll = runs.reduce((s, r) => s + r.bytesAll, 0);
  const acknowledged = runs.reduce((s, r) => s + r.acknowledged, 0);
  const peak = new Map<string, number>();
  for (const r of runs) for (const p of r.servers) peak.set(p.name, Math.max(peak.get(p.name) ?? 0, p.peakRssBytes));
  const genCpu = runs.reduce((s, r) => s + r.generatorCpuSeconds, 0);
  const wall = runs.reduce((s, r) => s + r.wallSeconds, 0);
  const byOps = spec.op === 'list' || spec.objectBytes < MIB;
  const hasServers = runs.every((r) => r.servers.length > 0);
  return {
    opsPerSecond: ops / seconds,
    mibPerSecond: bytes / MIB / seconds,
    p50Ms: latency.p50Ms,
    p99Ms: latency.p99Ms,
    errors: runs.reduce((s, r) => s + r.errors, 0),
    errorSamples: [...new Set(runs.flatMap((r) => r.errorSamples))].slice(0, 5),
    cpuSecondsPerGiB: hasServers && spec.op !== 'list' && bytesAll > 0 ? serverCpu / (bytesAll / GIB) : null,
    cpuMsPerOp: hasServers && acknowledged > 0 ? (serverCpu * 1000) / acknowledged : null,
    peakRss: [...peak].map(([name, b]) => ({ name, bytes: b })),
    generatorCpuPct: wall > 0 ? (genCpu / wall) * 100 : 0,
    roundRates: runs.map((r) => (byOps ? r.opsPerSecond : r.mibPerSecond)),
    windowSeconds: seconds,
  };
}

const round = (v: number | null | undefined, digits = 2): number | null =>
  v === null || v === undefined || !Number.isFinite(v) ? null : Number(v.toFixed(digits));
const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined || b === null || b === undefined || !(b > 0) || !Number.isFinite(a) ? null : round(a / b, 3);
const figuresOf = (r: SystemResult | undefined): SystemFigures | undefined => (r?.ok ? r.figures : undefined);
const reasonOf = (r: SystemResult | undefined): string | null => (r === undefined ? 'not run' : r.ok ? null : r.reason);
const maxRss = (f: SystemFigures | undefined): number | null =>
  f === undefined || f.peakRss.length === 0 ? null : Math.max(...f.peakRss.map((p) => p.bytes));
const allMet = (...checks: (boolean | null)[]): boolean | null => (checks.some((c) => c === null) ? null : checks.every((c) => c === true));
const atLeast = (r: number | null, t: number): boolean | null => (r === null ? null : r >= t);

/** Which throughput a workload is judged by: MiB/s for big objects, ops/s for 4 KiB, pages/s for list. */
function rateOf(spec: WorkloadSpec, f: SystemFigures | undefined): { metric: string; unit: string; value: number | null } {
  if (spec.op === 'list') return { metric: 'pages_per_s', unit: '1/s', value: f?.opsPerSecond ?? null };
  if (spec.objectBytes < MIB) return { metric: 'ops_per_s', unit: '1/s', value: f?.opsPerSecond ?? null };
  return { metric: 'mib_per_s', unit: 'MiB/s', value: f?.mibPerSecond ?? null };
}

function targetsFor(spec: WorkloadSpec, s: SystemFigures | undefined, vsBaseline: number | null, vsCeiling: number | null): FigureLine {
  if (spec.op !== 'list' && spec.objectBytes === MIB && spec.concurrency === 16) {
    return { target: '>=1.0x seaweedfs and >=0.6x bare', met: allMet(atLeast(vsBaseline, 1), atLeast(vsCeiling, 0.6)) };
  }
  if (spec.op === 'put' && spec.objectBytes === 4096) {
    return { target: '>=1000 ops/s and p99 <50 ms', met: s === undefined ? null : s.opsPerSecond >= 1000 && s.p99Ms < 50 };
  }
  if (spec.op === 'list') return { target: '>=1.0x seaweedfs', met: atLeast(vsBaseline, 1) };
  return {};
}

export function buildFigureLines(m: S3BenchMeasurements): FigureLine[] {
  const lines: FigureLine[] = [];
  for (const w of m.workloads) {
    const [s, b, c] = SYSTEMS.map((n) => figuresOf(w.results[n]));
    const common: FigureLine = {
      workload: w.spec.id, op: w.spec.op, objectBytes: w.spec.objectBytes, concurrency: w.spec.concurrency,
      durationSeconds: m.durationSeconds, rounds: m.rounds,
      strataError: reasonOf(w.results.strata), seaweedfsError: reasonOf(w.results.seaweedfs),
      bareError: w.spec.op === 'list' ? null : reasonOf(w.results.bare),
    };
    const rate = rateOf(w.spec, s);
    const baseRate = rateOf(w.spec, b).value;
    const ceilRate = w.spec.op === 'list' ? null : rateOf(w.spec, c).value;
    const vsBaseline = ratio(rate.value, baseRate);
    const vsCeiling = ratio(rate.value, ceilRate);
    lines.push({
      bench: 's3', metric: rate.metric, value: round(rate.value, 1), unit: rate.unit,
      baseline: 'seaweedfs', baselineValue: round(baseRate, 1), ratio: vsBaseline,
      ceiling: w.spec.op === 'list' ? null : 'bare_http', ceilingValue: round(ceilRate, 1), ceilingRatio: vsCeiling,
      opsPerS: round(s?.opsPerSecond, 1), baselineOpsPerS: round(b?.opsPerSecond, 1), ceilingOpsPerS: round(c?.opsPerSecond, 1),
      p50Ms: round(s?.p50Ms, 3), p99Ms: round(s?.p99Ms, 3),
      baselineP50Ms: round(b?.p50Ms, 3), baselineP99Ms: round(b?.p99Ms, 3),
      ceilingP50Ms: round(c?.p50Ms, 3), ceilingP99Ms: round(c?.p99Ms, 3),
      errors: s?.errors ?? null, baselineErrors: b?.errors ?? null, ceilingErrors: c?.errors ?? null,
      windowSeconds: round(s?.windowSeconds, 1), baselineWindowSeconds: round(b?.windowSeconds, 1),
      ceilingWindowSeconds: round(c?.windowSeconds, 1),
      generatorCpuPct: round(s?.generatorCpuPct, 1), baselineGeneratorCpuPct: round(b?.generatorCpuPct, 1),
      ceilingGeneratorCpuPct: round(c?.generatorCpuPct, 1),
      ratioPerRound: s !== undefined && b !== undefined && s.roundRates.length === b.roundRates.length
        ? s.roundRates.map((v, i) => ratio(v, b.roundRates[i])).join(',') : null,
      ...targetsFor(w.spec, s, vsBaseline, vsCeiling),
      ...common,
    });
    if (w.spec.op !== 'list') {
      lines.push({
        bench: 's3', metric: 'cpu_s_per_gib', value: round(s?.cpuSecondsPerGiB, 2), unit: 's/GiB',
        baseline: 'seaweedfs', baselineValue: round(b?.cpuSecondsPerGiB, 2), ratio: ratio(s?.cpuSecondsPerGiB, b?.cpuSecondsPerGiB),
        ceiling: 'bare_http', ceilingValue: round(c?.cpuSecondsPerGiB, 2), ceilingRatio: ratio(s?.cpuSecondsPerGiB, c?.cpuSecondsPerGiB),
        cpuMsPerOp: round(s?.cpuMsPerOp, 3), baselineCpuMsPerOp: round(b?.cpuMsPerOp, 3), ceilingCpuMsPerOp: round(c?.cpuMsPerOp, 3),
        ...common,
      });
    }
    const rss = maxRss(s);
    const perNode = (f: SystemFigures | undefined) =>
      f === undefined ? null : f.peakRss.map((p) => `${p.name}=${(p.bytes / MIB).toFixed(0)}`).join(',');
    lines.push({
      bench: 's3', metric: 'peak_rss_mib', value: round(rss === null ? null : rss / MIB, 1), unit: 'MiB',
      baseline: 'seaweedfs', baselineValue: round((maxRss(b) ?? NaN) / MIB, 1), ratio: ratio(rss, maxRss(b)),
      perNode: perNode(s), baselinePerProcess: perNode(b),
      ...(w.spec.concurrency >= 64 ? { target: '<512 MiB per node', met: rss === null ? null : rss < RSS_LIMIT_BYTES } : {}),
      ...common,
    });
  }
  for (const name of ['strata', 'seaweedfs'] as const) {
    const p = m.populate[name];
    if (p === undefined) continue;
    lines.push({
      bench: 's3', metric: 'populate_puts_per_s', system: name, unit: '1/s', keys: m.listKeys,
      value: 'putsPerSecond' in p ? round(p.putsPerSecond, 1) : null,
      seconds: 'seconds' in p ? round(p.seconds, 1) : null, error: 'reason' in p ? p.reason : null,
    });
  }
  return lines;
}

const fmt = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
const verdict = (met: unknown): string => (met === true ? 'met' : met === false ? 'NOT met' : 'n/a');

export function renderTable(m: S3BenchMeasurements, lines: FigureLine[]): string {
  const out: string[] = [];
  out.push(`S3 on loopback: ${m.rounds} round(s) per system and workload, each >= ${m.warmupSeconds} s warm-up (until every worker finished a request) ` +
    `then >= ${m.durationSeconds} s measured (at least 5 median latencies); ` +
    `strata = 3 nodes (erasure 2+1), seaweedfs ${m.seaweedfsVersion} = weed server -s3 + 2 volume servers ` +
    `(replication ${m.seaweedfsReplication}, fsync ${m.seaweedfsFsync ? 'on' : 'off'}), bare = node:http that only drains/sends bytes`);
  out.push('');
  const header = ['workload', 'system', 'MiB/s', 'ops/s', 'p50 ms', 'p99 ms', 'errors', 'cpu s/GiB', 'cpu ms/op', 'peak RSS MiB (per process)', 'gen cpu%'];
  const rows: { cells: string[]; note: string }[] = [];
  for (const w of m.workloads) {
    for (const name of SYSTEMS) {
      const r = w.results[name];
      if (r === undefined) continue;
      const f = figuresOf(r);
      if (f === undefined) {
        rows.push({ cells: [w.spec.id, name, ...header.slice(2).map(() => '-')], note: `  unavailable: ${reasonOf(r)}` });
        continue;
      }
      rows.push({
        cells: [w.spec.id, name, w.spec.op === 'list' ? '-' : fmt(f.mibPerSecond), fmt(f.opsPerSecond), fmt(f.p50Ms, 2), fmt(f.p99Ms, 2),
          String(f.errors), fmt(f.cpuSecondsPerGiB, 2), fmt(f.cpuMsPerOp, 3),
          f.peakRss.map((p) => (p.bytes / MIB).toFixed(0)).join('/'), fmt(f.generatorCpuPct, 0)],
        note: f.errors > 0 && f.errorSamples.length > 0 ? `  e.g. ${f.errorSamples[0].slice(0, 120)}` : '',
      });
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i].length)));
  const pad = (r: string[]) => r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  out.push(pad(header));
  for (const r of rows) out.push(pad(r.cells) + r.note);
  out.push('');
  out.push('ratios (strata / seaweedfs, strata / bare; targets from the issue):');
  const x = (v: unknown) => (typeof v === 'number' ? `${v.toFixed(2)}x` : 'n/a');
  for (const l of lines) {
    const target = l.target === undefined ? '' : `  target ${l.target}: ${verdict(l.met)}`;
    const id = String(l.workload ?? '').padEnd(16);
    if (l.metric === 'mib_per_s' || l.metric === 'ops_per_s' || l.metric === 'pages_per_s') {
      out.push(`  ${id} ${String(l.metric).padEnd(12)} vs seaweedfs ${x(l.ratio).padStart(7)}  vs bare ${x(l.ceilingRatio).padStart(7)}${target}`);
    } else if (l.metric === 'peak_rss_mib' && l.target !== undefined) {
      out.push(`  ${id} peak RSS     max node ${fmt(l.value as number | null)} MiB (${l.perNode ?? '-'})${target}`);
    }
  }
  for (const l of lines.filter((x) => x.metric === 'populate_puts_per_s')) {
    out.push(`  populate ${m.listKeys} keys (0-byte PUT): ${l.system} ${fmt(l.value as number | null)} PUT/s${l.error === null ? '' : ` (${l.error})`}`);
  }
  return out.join('\n');
}
