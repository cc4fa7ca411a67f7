import { describe, expect, it } from 'vitest';
import {
  MiB, busyPct, median, parseProcStatCpu, moveRate, moverLimit, phaseP99, rateMiBPerSec, ratioOf, round, summarizePhase, type RequestSample,
} from './ops-figures.js';

/** `n` successful samples spread evenly over [from, to), latency from `lat(i)`. */
function spread(from: number, to: number, n: number, lat: (i: number) => number): RequestSample[] {
  return Array.from({ length: n }, (_, i) => ({ endMs: from + ((to - from) * i) / n, latencyMs: lat(i), ok: true }));
}

describe('rateMiBPerSec', () => {
  it('is MiB over seconds', () => {
    expect(rateMiBPerSec(300 * MiB, 2000)).toBe(150);
    expect(rateMiBPerSec(MiB / 2, 250)).toBe(2);
  });

  it('says nothing (NaN) without time or with a broken byte count', () => {
    expect(rateMiBPerSec(MiB, 0)).toBeNaN();
    expect(rateMiBPerSec(Number.NaN, 1000)).toBeNaN();
    expect(rateMiBPerSec(-1, 1000)).toBeNaN();
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the middle two, ignoring non-finite values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN, 7])).toBe(7);
    expect(median([])).toBeNaN();
  });
});

describe('summarizePhase', () => {
  it('cuts the phase into windows and takes the median of their p99s', () => {
    // Three 1 s windows of 100 requests; one window has a slow tail.
    const samples = [
      ...spread(0, 1000, 100, () => 10),
      ...spread(1000, 2000, 100, (i) => (i >= 96 ? 500 : 10)),
      ...spread(2000, 3000, 100, (i) => (i >= 98 ? 20 : 10)),
    ];
    const p = summarizePhase(samples, 0, 3000, { windowMs: 1000 });
    expect(p.windows.map((w) => w.p99Ms)).toEqual([10, 500, 20]);
    expect(p.medianWindowP99Ms).toBe(20);
    expect(p.count).toBe(300);
    expect(p.p99Ms).toBe(500);
    expect(phaseP99(p)).toBe(20);
  });

  it('counts only requests completed inside the phase, and failures apart', () => {
    const samples: RequestSample[] = [
      ...spread(0, 1000, 50, () => 1),
      { endMs: 500, latencyMs: 9999, ok: false },
      ...spread(1000, 2000, 50, () => 100),
    ];
    const p = summarizePhase(samples, 0, 1000, { windowMs: 1000 });
    expect(p.count).toBe(50);
    expect(p.errors).toBe(1);
    expect(p.p99Ms).toBe(1);
    expect(p.durationMs).toBe(1000);
  });

  it('joins a short trailing piece to the window before and leaves thin windows out of the medians', () => {
    const samples = [...spread(0, 1000, 20, () => 5), ...spread(1000, 1200, 20, () => 50), ...spread(1200, 2200, 3, () => 70)];
    const p = summarizePhase(samples, 0, 2200, { windowMs: 1000, minPerWindow: 10 });
    // [0,1000) and [1000,2200): the 200 ms tail joined the second window.
    expect(p.windows.map((w) => [w.fromMs, w.toMs])).toEqual([[0, 1000], [1000, 2200]]);
    const thin = summarizePhase(spread(0, 3000, 15, () => 5), 0, 3000, { windowMs: 1000, minPerWindow: 10 });
    expect(thin.windows).toHaveLength(0);
    expect(thin.count).toBe(15);
  });

  it('falls back to the pooled p99 with fewer than 3 windows', () => {
    const samples = spread(0, 1000, 100, (i) => (i === 99 ? 300 : 10));
    const p = summarizePhase(samples, 0, 1000, { windowMs: 1000 });
    expect(p.windows).toHaveLength(1);
    expect(phaseP99(p)).toBe(p.p99Ms);
  });

  it('rejects a window of no length', () => {
    expect(() => summarizePhase([], 0, 10, { windowMs: 0 })).toThrow(RangeError);
  });
});

describe('moverLimit', () => {
  it('is the slowest measured of disk write, disk read and loopback', () => {
    expect(moverLimit({ diskWriteMiBps: 300, diskReadMiBps: 900, loopbackMiBps: 1500 })).toEqual({ value: 300, which: 'disk_write' });
    expect(moverLimit({ diskWriteMiBps: 300, diskReadMiBps: 900, loopbackMiBps: 200 })).toEqual({ value: 200, which: 'loopback' });
  });

  it('ignores what was not measured and says so when nothing was', () => {
    expect(moverLimit({ diskWriteMiBps: Number.NaN, diskReadMiBps: 800, loopbackMiBps: Number.NaN })).toEqual({ value: 800, which: 'disk_read' });
    expect(moverLimit({ diskWriteMiBps: Number.NaN, diskReadMiBps: Number.NaN, loopbackMiBps: Number.NaN }).which).toBe('none');
  });
});

describe('moveRate, round, ratioOf', () => {
  it('claims no rate for a move that did not finish', () => {
    expect(moveRate({ bytes: 100 * MiB, chunks: 10, wallMs: 4000 })).toBe(25);
    expect(moveRate({ bytes: 100 * MiB, chunks: 10, wallMs: 4000, error: 'not done after 300 s' })).toBeNaN();
  });

  it('rounds to null rather than inventing a number', () => {
    expect(round(1.23456, 2)).toBe(1.23);
    expect(round(Number.NaN)).toBeNull();
    expect(ratioOf(10, 4)).toBe(2.5);
    expect(ratioOf(10, 0)).toBeNull();
    expect(ratioOf(Number.NaN, 4)).toBeNull();
  });
});

describe('parseProcStatCpu, busyPct', () => {
  it('counts everything but idle and iowait as busy', () => {
    const a = parseProcStatCpu('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\n');
    expect(a).toEqual({ busy: 150, total: 1000 });
    const b = parseProcStatCpu('cpu  250 0 100 850 50 0 0 0 0 0\n');
    expect(busyPct(a, b)).toBe(80);
    expect(busyPct(a, a)).toBeNaN();
    expect(() => parseProcStatCpu('intr 1 2 3')).toThrow(/no aggregate cpu line/);
  });
});
