/**
 * Turns the Raft benchmark's measurements into its output: one JSON object per line per figure (stable
 * field names so runs can be compared across machines), then a table for people. Pure: no I/O.
 *
 * Targets (from the issue): at 64 proposers Strata's commit rate >= 1.0x etcd's and its p99 <= etcd's;
 * with 1 proposer Strata's p50 commit latency <= 2x the disk's median fdatasync.
 */
export interface RunFigures {
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Requests the system acknowledged over the whole run, and how many of them it holds afterwards. */
  acknowledged?: number;
  found?: number;
  /** Rate of each round, in round order, when the figures pool several rounds. */
  roundOpsPerSecond?: number[];
}

/** A system's result at one concurrency, or why there is none. */
export type SystemRun = { ok: true; figures: RunFigures } | { ok: false; reason: string };

export interface RaftBenchMeasurements {
  /** Measured seconds of one run; each system ran `rounds` runs per concurrency, interleaved. */
  durationSeconds: number;
  rounds: number;
  warmupSeconds: number;
  /** Pooled over all probes of the run; `probeP50sMs` shows how much the disk moved during it. */
  fdatasync: { p50Ms: number; p99Ms: number; iterations: number; blockSizeBytes: number; probeP50sMs: number[] };
  etcdVersion: string;
  /** Keyed by concurrency. */
  strata: Map<number, SystemRun>;
  etcd: Map<number, SystemRun>;
}

export type FigureLine = Record<string, string | number | boolean | null>;

const RATE_TARGET = 1.0;
const P99_TARGET = 1.0;
const FSYNC_MULTIPLE_TARGET = 2.0;
const HIGH_CONCURRENCY = 64;

const round = (v: number, digits = 2): number | null => (Number.isFinite(v) ? Number(v.toFixed(digits)) : null);
const ratio = (a: number | undefined, b: number | undefined): number | null =>
  a === undefined || b === undefined || !(b > 0) ? null : round(a / b, 3);
const figures = (run: SystemRun | undefined): RunFigures | undefined => (run?.ok ? run.figures : undefined);
const reasonOf = (run: SystemRun | undefined): string | null =>
  run === undefined ? 'not run' : run.ok ? null : run.reason;

function targetFields(r: number | null, target: string, met: (r: number) => boolean): FigureLine {
  return { target, met: r === null ? null : met(r) };
}

export function buildFigureLines(m: RaftBenchMeasurements): FigureLine[] {
  const lines: FigureLine[] = [];
  lines.push({
    bench: 'raft', metric: 'fdatasync_ms', value: round(m.fdatasync.p50Ms, 3), unit: 'ms',
    p50Ms: round(m.fdatasync.p50Ms, 3), p99Ms: round(m.fdatasync.p99Ms, 3),
    iterations: m.fdatasync.iterations, blockSizeBytes: m.fdatasync.blockSizeBytes,
    probeP50sMs: m.fdatasync.probeP50sMs.map((v) => round(v, 3)).join(','),
  });
  const concurrencies = [...new Set([...m.strata.keys(), ...m.etcd.keys()])].sort((a, b) => a - b);
  for (const c of concurrencies) {
    const s = figures(m.strata.get(c));
    const e = figures(m.etcd.get(c));
    const common = {
      concurrency: c, durationSeconds: m.durationSeconds, rounds: m.rounds, etcdVersion: m.etcdVersion,
      strataError: reasonOf(m.strata.get(c)), etcdError: reasonOf(m.etcd.get(c)),
    };
    const rateRatio = ratio(s?.opsPerSecond, e?.opsPerSecond);
    // Paired by round (the systems ran back to back), so their spread shows how noisy the machine was.
    const roundRatios = (s?.roundOpsPerSecond ?? []).map((v, i) => ratio(v, e?.roundOpsPerSecond?.[i]));
    lines.push({
      bench: 'raft', metric: 'commits_per_s', value: round(s?.opsPerSecond ?? NaN, 1), unit: '1/s',
      baseline: 'etcd', baselineValue: round(e?.opsPerSecond ?? NaN, 1), ratio: rateRatio,
      p50Ms: round(s?.p50Ms ?? NaN, 3), p99Ms: round(s?.p99Ms ?? NaN, 3),
      baselineP50Ms: round(e?.p50Ms ?? NaN, 3), baselineP99Ms: round(e?.p99Ms ?? NaN, 3),
      errors: s?.errors ?? null, baselineErrors: e?.errors ?? null,
      acknowledged: s?.acknowledged ?? null, found: s?.found ?? null,
      baselineAcknowledged: e?.acknowledged ?? null, baselineFound: e?.found ?? null,
      ratioPerRound: roundRatios.length > 0 && roundRatios.every((r) => r !== null) ? roundRatios.join(',') : null,
      ...(c >= HIGH_CONCURRENCY ? targetFields(rateRatio, `>=${RATE_TARGET}`, (r) => r >= RATE_TARGET) : {}),
      ...common,
    });
    const p99Ratio = ratio(s?.p99Ms, e?.p99Ms);
    lines.push({
      bench: 'raft', metric: 'commit_p99_ms', value: round(s?.p99Ms ?? NaN, 3), unit: 'ms',
      baseline: 'etcd', baselineValue: round(e?.p99Ms ?? NaN, 3), ratio: p99Ratio,
      ...(c >= HIGH_CONCURRENCY ? targetFields(p99Ratio, `<=${P99_TARGET}`, (r) => r <= P99_TARGET) : {}),
      ...common,
    });
    if (c === 1) {
      const fsyncRatio = ratio(s?.p50Ms, m.fdatasync.p50Ms);
      lines.push({
        bench: 'raft', metric: 'commit_p50_ms', value: round(s?.p50Ms ?? NaN, 3), unit: 'ms',
        baseline: 'fdatasync_p50', baselineValue: round(m.fdatasync.p50Ms, 3), ratio: fsyncRatio,
        etcdP50Ms: round(e?.p50Ms ?? NaN, 3), etcdRatio: ratio(e?.p50Ms, m.fdatasync.p50Ms),
        ...targetFields(fsyncRatio, `<=${FSYNC_MULTIPLE_TARGET}`, (r) => r <= FSYNC_MULTIPLE_TARGET),
        ...common,
      });
    }
  }
  return lines;
}

const fmt = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
const verdict = (met: unknown): string => (met === true ? 'met' : met === false ? 'NOT met' : 'n/a');

export function renderTable(m: RaftBenchMeasurements, lines: FigureLine[]): string {
  const out: string[] = [];
  out.push(`Raft metadata commits: 3 nodes on loopback, fsync on; ${m.rounds} interleaved round(s) of ${m.durationSeconds} s ` +
    `per system and concurrency, each after ${m.warmupSeconds} s warm-up`);
  out.push(`disk: ${m.fdatasync.blockSizeBytes} B append + fdatasync p50 ${fmt(m.fdatasync.p50Ms, 3)} ms, p99 ${fmt(m.fdatasync.p99Ms, 3)} ms ` +
    `(${m.fdatasync.iterations} samples; p50 per probe: ${m.fdatasync.probeP50sMs.map((v) => fmt(v, 3)).join(', ')} ms)`);
  out.push('');
  const header = ['proposers', 'system', 'commits/s', 'p50 ms', 'p99 ms', 'errors'];
  const rows: { cells: string[]; note: string }[] = [];
  const concurrencies = [...new Set([...m.strata.keys(), ...m.etcd.keys()])].sort((a, b) => a - b);
  for (const c of concurrencies) {
    for (const [name, run] of [['strata', m.strata.get(c)], [`etcd ${m.etcdVersion}`, m.etcd.get(c)]] as const) {
      const f = figures(run);
      rows.push(f === undefined
        ? { cells: [String(c), name, '-', '-', '-', '-'], note: `  unavailable: ${reasonOf(run)}` }
        : { cells: [String(c), name, fmt(f.opsPerSecond), fmt(f.p50Ms, 2), fmt(f.p99Ms, 2), String(f.errors)], note: '' });
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i].length)));
  const pad = (r: string[]) => r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  out.push(pad(header));
  for (const r of rows) out.push(pad(r.cells) + r.note);
  out.push('');
  out.push('ratios (targets from the issue):');
  const x = (v: unknown) => (typeof v === 'number' ? `${v.toFixed(2)}x` : 'n/a');
  const target = (l: FigureLine) => (l.target === undefined ? '' : `  target ${l.target}: ${verdict(l.met)}`);
  for (const l of lines) {
    const who = `${String(l.concurrency).padStart(3)} proposer${l.concurrency === 1 ? ' ' : 's'}`;
    if (l.metric === 'commits_per_s') {
      const perRound = typeof l.ratioPerRound === 'string' && l.rounds !== 1 ? `  (per round: ${l.ratioPerRound})` : '';
      out.push(`  ${who}  commits/s strata/etcd   ${x(l.ratio).padStart(7)}${target(l)}${perRound}`);
    }
    else if (l.metric === 'commit_p99_ms') out.push(`  ${who}  p99 strata/etcd         ${x(l.ratio).padStart(7)}${target(l)}`);
    else if (l.metric === 'commit_p50_ms') {
      out.push(`  ${who}  p50 / fdatasync p50     ${x(l.ratio).padStart(7)}${target(l)}  (etcd: ${x(l.etcdRatio)})`);
    }
  }
  return out.join('\n');
}
