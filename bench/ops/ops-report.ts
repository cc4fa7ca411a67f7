/**
 * The cluster-operations benchmark's output: one JSON object per line per figure (stable field names:
 * bench, metric, value, unit, baseline, baselineValue, ratio, p50Ms, p99Ms), then a table for people.
 * Pure: no I/O.
 *
 * Targets (issue 4, Speed): recovery with the throttle off at least 0.5x the slower of the disk and
 * loopback limits; foreground GET p99 during recovery and rebalance, throttle on, at most 1.25x at rest.
 */
import {
  moveRate, moverLimit, phaseP50, phaseP99, ratioOf, round, type Limits, type MoveFigure, type PhaseLatency,
} from './ops-figures.js';

export type FigureLine = Record<string, string | number | boolean | null>;

export const RECOVERY_TARGET = 0.5;
export const P99_TARGET = 1.25;

export interface MachineInfo {
  cores: number;
  memTotalMiB: number;
  cpuModel: string;
  loadAvgStart: number[];
  loadAvgEnd: number[];
}

export interface LimitsDetail extends Limits {
  diskWriteMiB: number;
  fsyncEveryMiB: number;
  /** 'direct' (O_DIRECT through dd, the device) or 'cached' (page cache: dd could not open O_DIRECT). */
  diskReadMode: string;
  loopbackSeconds: number;
}

/** Foreground GET latency in the phases of the throttled run. */
export interface ForegroundPhases {
  /** 4 nodes, nothing moving; the baseline of the recovery phase. */
  rest4: PhaseLatency;
  recovery: PhaseLatency;
  /** 3 nodes after recovery, before the new node joins; the baseline of the rebalance phase. */
  rest3: PhaseLatency;
  rebalance: PhaseLatency;
}

export interface ClusterRun {
  label: 'unthrottled' | 'throttled';
  throttleMbPerSec: number;
  objects: number;
  filledBytes: number;
  fillSeconds: number;
  /** Shard bytes and chunks the lost node held (storage status before the kill). */
  lostNodeChunks: number;
  /** What node 4 was in Raft when it was killed: 'leader', 'voter' or 'learner'. */
  lostNodeRole?: string;
  /** Seconds waited after the fill for the nodes to go quiet. */
  settleSeconds?: number;
  /** A few foreground GET failures, as the client saw them. */
  getErrorSamples?: string[];
  recovery: MoveFigure;
  rebalance: MoveFigure;
  foreground?: ForegroundPhases;
  verified: number;
  bad: string[];
  unrecoverable: number;
  /** Why the run stopped early, if it did. */
  error?: string;
}

export interface OpsMeasurements {
  machine: MachineInfo;
  sizes: {
    erasure: string;
    stripeSizeBytes: number;
    objectSizesMiB: number[];
    fillTargetMiB: number;
    getObjectBytes: number;
    getConcurrency: number;
    windowSeconds: number;
    /** `[data] cache_size` of the nodes (0: every GET reads shards). */
    readCacheBytes: number;
  };
  limits: LimitsDetail;
  runs: ClusterRun[];
}

const base = (metric: string, value: number | null, unit: string): FigureLine => ({ bench: 'ops', metric, value, unit });

function moveLine(metric: string, run: ClusterRun, move: MoveFigure, limits: Limits, during?: PhaseLatency): FigureLine {
  const rate = moveRate(move);
  const limit = moverLimit(limits);
  const line: FigureLine = {
    ...base(metric, round(rate), 'MiB/s'),
    baseline: `limit_${limit.which}`, baselineValue: round(limit.value), ratio: ratioOf(rate, limit.value),
    p50Ms: during === undefined ? null : round(phaseP50(during)), p99Ms: during === undefined ? null : round(phaseP99(during)),
    throttleMbPerSec: run.throttleMbPerSec, run: run.label,
    bytes: move.bytes, chunks: move.chunks, seconds: round(move.wallMs / 1000),
    serverSeconds: move.serverMs === undefined ? null : round(move.serverMs / 1000),
    // Percent of one core, summed over the nodes that stayed up (foreground work included).
    nodesCpuPct: move.nodesCpuSeconds === undefined || !(move.wallMs > 0) ? null : round((move.nodesCpuSeconds / (move.wallMs / 1000)) * 100, 0),
    machineBusyPct: move.machineBusyPct === undefined ? null : round(move.machineBusyPct, 0),
  };
  if (move.error !== undefined) line.error = move.error;
  if (move.leaderChange !== undefined) line.leaderChange = move.leaderChange;
  // The status's progress is the leader's; fewer chunks than the lost node held means it restarted.
  if (metric === 'recovery_mib_per_s' && run.lostNodeChunks > 0 && move.chunks < run.lostNodeChunks) {
    line.note = `progress counted ${move.chunks} of the ${run.lostNodeChunks} chunks node-4 held (restarted, e.g. on a leader change): rate understated`;
  }
  if (metric === 'recovery_mib_per_s' && run.label === 'unthrottled') {
    line.target = `>=${RECOVERY_TARGET}x limit`;
    line.met = line.ratio === null ? null : (line.ratio as number) >= RECOVERY_TARGET;
  }
  return line;
}

function latencyLine(phase: string, p: PhaseLatency, rest?: PhaseLatency): FigureLine {
  const value = phaseP99(p);
  const line: FigureLine = {
    ...base('get_p99_ms', round(value), 'ms'), phase,
    baseline: rest === undefined ? null : 'get_p99_at_rest', baselineValue: rest === undefined ? null : round(phaseP99(rest)),
    ratio: rest === undefined ? null : ratioOf(value, phaseP99(rest)),
    p50Ms: round(phaseP50(p)), p99Ms: round(p.p99Ms), pooledP99Ms: round(p.p99Ms),
    windows: p.windows.length, windowP99sMs: p.windows.map((w) => round(w.p99Ms, 1)).join(','),
    requests: p.count, errors: p.errors, seconds: round(p.durationMs / 1000),
  };
  if (rest !== undefined) {
    line.target = `<=${P99_TARGET}x rest`;
    line.met = line.ratio === null ? null : (line.ratio as number) <= P99_TARGET;
    // Percentiles are of successful GETs: a phase whose GETs failed cannot meet a latency target.
    if (p.errors > 0) {
      line.met = false;
      line.note = `${p.errors} GETs failed in the phase (p99 is of the ${p.count} that succeeded)`;
    }
  }
  return line;
}

export function buildFigureLines(m: OpsMeasurements): FigureLine[] {
  const l = m.limits;
  const lines: FigureLine[] = [
    { ...base('machine', m.machine.cores, 'cores'), memTotalMiB: m.machine.memTotalMiB, cpuModel: m.machine.cpuModel,
      loadAvgStart: m.machine.loadAvgStart.map((v) => round(v)).join(','), loadAvgEnd: m.machine.loadAvgEnd.map((v) => round(v)).join(','),
      erasure: m.sizes.erasure, stripeSizeBytes: m.sizes.stripeSizeBytes, objectSizesMiB: m.sizes.objectSizesMiB.join(','),
      fillTargetMiB: m.sizes.fillTargetMiB, getObjectBytes: m.sizes.getObjectBytes, getConcurrency: m.sizes.getConcurrency,
      windowSeconds: m.sizes.windowSeconds, readCacheBytes: m.sizes.readCacheBytes },
    { ...base('disk_write_mib_per_s', round(l.diskWriteMiBps), 'MiB/s'), blockBytes: 1048576, bytes: l.diskWriteMiB * 1048576, fsyncEveryMiB: l.fsyncEveryMiB },
    { ...base('disk_read_mib_per_s', round(l.diskReadMiBps), 'MiB/s'), mode: l.diskReadMode },
    { ...base('loopback_tcp_mib_per_s', round(l.loopbackMiBps), 'MiB/s'), seconds: l.loopbackSeconds },
  ];
  for (const run of m.runs) {
    const f = run.foreground;
    lines.push({ ...base('fill_mib_per_s', round(run.filledBytes / 1048576 / run.fillSeconds), 'MiB/s'), run: run.label,
      objects: run.objects, bytes: run.filledBytes, seconds: round(run.fillSeconds), lostNodeChunks: run.lostNodeChunks,
      lostNodeRole: run.lostNodeRole ?? null, settleSeconds: run.settleSeconds === undefined ? null : round(run.settleSeconds, 1) });
    lines.push(moveLine('recovery_mib_per_s', run, run.recovery, l, f?.recovery));
    lines.push(moveLine('rebalance_mib_per_s', run, run.rebalance, l, f?.rebalance));
    if (f !== undefined) {
      lines.push(latencyLine('rest-4-nodes', f.rest4));
      lines.push(latencyLine('recovery', f.recovery, f.rest4));
      lines.push(latencyLine('rest-3-nodes', f.rest3));
      lines.push(latencyLine('rebalance', f.rebalance, f.rest3));
    }
    lines.push({ ...base('objects_verified', run.verified, 'objects'), run: run.label, bad: run.bad.length,
      badSamples: run.bad.slice(0, 3).join(' | '), unrecoverable: run.unrecoverable,
      getErrorSamples: (run.getErrorSamples ?? []).slice(0, 3).join(' | '), ...(run.error === undefined ? {} : { error: run.error }) });
  }
  return lines;
}

const num = (v: unknown, width: number): string => (typeof v === 'number' ? String(v) : '-').padStart(width);

/** The human-readable table after the JSON lines. */
export function renderTable(m: OpsMeasurements, lines: FigureLine[]): string {
  const out: string[] = [];
  const s = m.sizes;
  out.push(`machine: ${m.machine.cores} cores (${m.machine.cpuModel}), ${m.machine.memTotalMiB} MiB RAM, load average ${m.machine.loadAvgStart.map((v) => v.toFixed(1)).join(' ')} at start, ${m.machine.loadAvgEnd.map((v) => v.toFixed(1)).join(' ')} at end`);
  out.push(`sizes: erasure ${s.erasure}, stripe ${s.stripeSizeBytes / 1024} KiB, objects of ${s.objectSizesMiB.join('/')} MiB up to ${s.fillTargetMiB} MiB per cluster; GET ${s.getObjectBytes / 1048576} MiB objects, ${s.getConcurrency} in flight, windows of ${s.windowSeconds} s, read cache ${s.readCacheBytes === 0 ? 'off' : `${s.readCacheBytes / 1048576} MiB`}`);
  out.push('');
  out.push('limits');
  for (const line of lines.filter((x) => /^(disk|loopback)/.test(String(x.metric)))) {
    out.push(`  ${String(line.metric).padEnd(24)} ${num(line.value, 9)} MiB/s${line.mode === undefined ? '' : `  (${String(line.mode)})`}`);
  }
  out.push('');
  out.push('run          throttle  what        MiB/s    vs limit  bytes MiB  chunks  seconds  node cpu%  machine busy%  GET p50 ms  GET p99 ms');
  for (const line of lines.filter((x) => x.metric === 'recovery_mib_per_s' || x.metric === 'rebalance_mib_per_s')) {
    const what = line.metric === 'recovery_mib_per_s' ? 'recovery' : 'rebalance';
    const mib = typeof line.bytes === 'number' ? round(line.bytes / 1048576, 1) : null;
    out.push(`${String(line.run).padEnd(12)} ${num(line.throttleMbPerSec, 8)}  ${what.padEnd(10)} ${num(line.value, 7)}  ${num(line.ratio, 9)}x ${num(mib, 9)} ${num(line.chunks, 7)} ${num(line.seconds, 8)} ${num(line.nodesCpuPct, 10)} ${num(line.machineBusyPct, 14)}  ${num(line.p50Ms, 10)}  ${num(line.p99Ms, 10)}${line.error === undefined ? '' : `  (${String(line.error)})`}`);
  }
  const p99 = lines.filter((x) => x.metric === 'get_p99_ms');
  if (p99.length > 0) {
    out.push('');
    out.push('foreground GET (throttled run)  p99 ms  (median of windows; per window)            p50 ms  requests  errors');
    for (const line of p99) {
      out.push(`  ${String(line.phase).padEnd(14)} ${num(line.value, 22)}  (${String(line.windowP99sMs).slice(0, 40).padEnd(40)}) ${num(line.p50Ms, 7)} ${num(line.requests, 9)} ${num(line.errors, 7)}`);
    }
  }
  out.push('');
  out.push('ratios (targets from the issue):');
  for (const line of lines.filter((x) => x.target !== undefined)) {
    const what = line.metric === 'get_p99_ms' ? `GET p99 during ${String(line.phase)} / at rest` : `recovery (${String(line.run)}) / ${String(line.baseline)}`;
    const verdict = line.met === null ? 'n/a' : line.met ? 'met' : 'NOT met';
    out.push(`  ${what.padEnd(44)} ${num(line.ratio, 7)}x  target ${String(line.target)}: ${verdict}${line.note === undefined ? '' : `  (${String(line.note)})`}`);
  }
  for (const line of lines.filter((x) => x.metric === 'objects_verified')) {
    out.push(`  ${String(line.run)}: ${String(line.value)} objects read back by SHA-256, ${String(line.bad)} bad, ${String(line.unrecoverable)} unrecoverable chunks${line.error === undefined ? '' : `; ${String(line.error)}`}`);
    if (line.getErrorSamples !== '') out.push(`    foreground GET failures, e.g.: ${String(line.getErrorSamples).slice(0, 300)}`);
  }
  return out.join('\n');
}
