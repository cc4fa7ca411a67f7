/**
 * Pure arithmetic of the cluster-operations benchmark: transfer rates, foreground latency summarised over
 * repeated windows of a phase, and the figures (recovery/rebalance rate against the machine's limits,
 * GET p99 against rest). No I/O, so it is unit-tested on its own.
 */
import { percentile } from '../load/latency-summary.js';

export const MiB = 1024 * 1024;

/** MiB per second of `bytes` moved in `ms`; NaN when nothing can be said (no time or no bytes known). */
export function rateMiBPerSec(bytes: number, ms: number): number {
  if (!(ms > 0) || !Number.isFinite(bytes) || bytes < 0) return Number.NaN;
  return bytes / MiB / (ms / 1000);
}

/** Median of the finite values (mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** One foreground request: when it completed (ms on one monotonic clock), how long it took, whether it worked. */
export interface RequestSample {
  endMs: number;
  latencyMs: number;
  ok: boolean;
}

export interface WindowSummary {
  fromMs: number;
  toMs: number;
  count: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
}

export interface PhaseLatency {
  /** Successful requests completed in the phase. */
  count: number;
  errors: number;
  /** Over every successful request of the phase. */
  p50Ms: number;
  p99Ms: number;
  /** Windows with enough requests to have a percentile (see summarizePhase's minPerWindow). */
  windows: WindowSummary[];
  /** Median over the windows' p99s (and p50s): the phase's figure, robust to one noisy window. */
  medianWindowP99Ms: number;
  medianWindowP50Ms: number;
  durationMs: number;
}

/**
 * Splits [fromMs, toMs) into windows of `windowMs` (a trailing piece shorter than half a window joins the
 * one before it) and summarises requests completed in each. Windows with fewer than `minPerWindow`
 * successful requests are left out of the medians (a p99 of three samples says little) but their requests
 * still count in the pooled figures.
 */
export function summarizePhase(samples: readonly RequestSample[], fromMs: number, toMs: number,
  options: { windowMs: number; minPerWindow?: number }): PhaseLatency {
  if (!(options.windowMs > 0)) throw new RangeError(`windowMs must be > 0, got ${options.windowMs}`);
  const minPerWindow = options.minPerWindow ?? 10;
  const inPhase = samples.filter((s) => s.endMs >= fromMs && s.endMs < toMs);
  const okLatencies = inPhase.filter((s) => s.ok).map((s) => s.latencyMs).sort((a, b) => a - b);
  const bounds: [number, number][] = [];
  for (let start = fromMs; start < toMs; start += options.windowMs) {
    const end = Math.min(toMs, start + options.windowMs);
    if (bounds.length > 0 && end - start < options.windowMs / 2) bounds[bounds.length - 1][1] = end;
    else bounds.push([start, end]);
  }
  const windows: WindowSummary[] = [];
  for (const [from, to] of bounds) {
    const inWindow = inPhase.filter((s) => s.endMs >= from && s.endMs < to);
    const lat = inWindow.filter((s) => s.ok).map((s) => s.latencyMs).sort((a, b) => a - b);
    if (lat.length < minPerWindow) continue;
    windows.push({ fromMs: from, toMs: to, count: lat.length, errors: inWindow.length - lat.length, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99) });
  }
  return {
    count: okLatencies.length,
    errors: inPhase.length - okLatencies.length,
    p50Ms: percentile(okLatencies, 50),
    p99Ms: percentile(okLatencies, 99),
    windows,
    medianWindowP99Ms: median(windows.map((w) => w.p99Ms)),
    medianWindowP50Ms: median(windows.map((w) => w.p50Ms)),
    durationMs: Math.max(0, toMs - fromMs),
  };
}

/** The phase's p99 figure: the median of window p99s with at least 3 windows, else the pooled p99. */
export function phaseP99(p: PhaseLatency): number {
  return p.windows.length >= 3 ? p.medianWindowP99Ms : p.p99Ms;
}

export function phaseP50(p: PhaseLatency): number {
  return p.windows.length >= 3 ? p.medianWindowP50Ms : p.p50Ms;
}

/** The machine's limits measured in the run (MiB/s; NaN = not measured). */
export interface Limits {
  diskWriteMiBps: number;
  diskReadMiBps: number;
  loopbackMiBps: number;
}

/**
 * The limit a data mover is held against: the slower of the disk and loopback. The disk's figure is the
 * slower of its fsync'd write and its read (a rebuild reads shards and writes one durably). Measured
 * figures only; NaN when none is known.
 */
export function moverLimit(l: Limits): { value: number; which: string } {
  const disk = [['disk_write', l.diskWriteMiBps], ['disk_read', l.diskReadMiBps]] as const;
  const candidates = [...disk, ['loopback', l.loopbackMiBps] as const].filter(([, v]) => Number.isFinite(v) && v > 0);
  if (candidates.length === 0) return { value: Number.NaN, which: 'none' };
  let best = candidates[0];
  for (const c of candidates) if (c[1] < best[1]) best = c;
  return { value: best[1], which: best[0] };
}

/** One data movement measured: bytes the status reported done, over the wall time to done. */
export interface MoveFigure {
  bytes: number;
  chunks: number;
  wallMs: number;
  /** The server's own span (progress.finishedMs - startedMs) when it reported one. */
  serverMs?: number;
  /** Set when the move did not finish (timed out, failed): no rate is claimed then. */
  error?: string;
  /** CPU seconds the surviving nodes spent over the move (all their work, foreground included). */
  nodesCpuSeconds?: number;
  /** How busy the whole machine was over the move (every process, other users' too), % of all cores. */
  machineBusyPct?: number;
  /** Set when the Raft leader (which runs the movers) changed during the move: `node-1 -> node-5`. */
  leaderChange?: string;
}

/** Jiffies of the machine from /proc/stat's first line: busy (not idle, not iowait) and total. */
export function parseProcStatCpu(text: string): { busy: number; total: number } {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) throw new Error('no aggregate cpu line in /proc/stat');
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const total = f.slice(0, 8).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  return { busy: total - f[3] - (f[4] ?? 0), total };
}

/** Percent busy between two /proc/stat readings. */
export function busyPct(a: { busy: number; total: number }, b: { busy: number; total: number }): number {
  const dt = b.total - a.total;
  return dt > 0 ? ((b.busy - a.busy) / dt) * 100 : Number.NaN;
}

export function moveRate(m: MoveFigure): number {
  return m.error === undefined ? rateMiBPerSec(m.bytes, m.wallMs) : Number.NaN;
}

/** Rounds for output; null for what could not be measured (never a made-up 0). */
export function round(v: number, digits = 2): number | null {
  return Number.isFinite(v) ? Number(v.toFixed(digits)) : null;
}

export function ratioOf(a: number, b: number): number | null {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? round(a / b, 3) : null;
}
