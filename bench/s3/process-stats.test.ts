import { describe, expect, it } from 'vitest';
import { parseCpuSeconds, parseStatusBytes, readCpuSeconds, readPeakRssBytes, watchProcesses } from './process-stats.js';

describe('parseCpuSeconds', () => {
  it('adds utime and stime (fields 14 and 15) even when comm has spaces and parentheses', () => {
    const stat = '4242 (weed (s3) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 12 0 1000 2000000 500';
    expect(parseCpuSeconds(stat)).toBeCloseTo(3.25, 6);
  });

  it('rejects text that is not a stat line', () => {
    expect(() => parseCpuSeconds('garbage')).toThrow(/unparsable/);
  });
});

describe('parseStatusBytes', () => {
  it('reads VmHWM and VmRSS in bytes', () => {
    const status = 'Name:\tnode\nVmPeak:\t  900 kB\nVmHWM:\t  123456 kB\nVmRSS:\t  100000 kB\n';
    expect(parseStatusBytes(status, 'VmHWM')).toBe(123456 * 1024);
    expect(parseStatusBytes(status, 'VmRSS')).toBe(100000 * 1024);
  });
});

describe('on this process', () => {
  it('sees CPU time grow with work and a peak RSS at least as large as a buffer it touched', () => {
    const watch = watchProcesses([{ name: 'self', pid: process.pid }]);
    const before = readCpuSeconds(process.pid);
    const buf = Buffer.alloc(64 * 1024 * 1024, 1);
    let x = 0;
    const until = Date.now() + 150;
    while (Date.now() < until) x += buf[x % buf.length];
    const [usage] = watch.finish();
    expect(readCpuSeconds(process.pid)).toBeGreaterThan(before);
    expect(usage.cpuSeconds).toBeGreaterThan(0.05);
    expect(usage.peakRssBytes).toBeGreaterThanOrEqual(64 * 1024 * 1024);
    expect(readPeakRssBytes(process.pid)).toBeGreaterThanOrEqual(usage.peakRssBytes);
  });
});
