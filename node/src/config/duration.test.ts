import { describe, expect, it } from 'vitest';
import { formatDurationMs, parseDurationMs } from './duration.js';

describe('parseDurationMs', () => {
  it.each([
    ['100ms', 100],
    ['1.5s', 1500],
    ['168h', 168 * 3_600_000],
    ['1h30m', 90 * 60_000],
    ['2m3.5s', 123_500],
    ['0', 0],
    ['0s', 0],
    ['250us', 0.25],
    ['250µs', 0.25],
    ['1000000ns', 1],
    ['.5s', 500],
    ['0.1s', 100],
    [' 30ms ', 30],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', '150', '-1s', '1d', '1 s', 'ms', '1s2', '1.2.3s', 's1', '1sec', '1H', 'NaN'])('rejects %j', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });

  it.each([
    [75, '75ms'],
    [1500, '1.5s'],
    [600_000, '10m'],
    [168 * 3_600_000, '168h'],
    [0, '0s'],
  ])('formats %d ms as %j', (ms, text) => {
    expect(formatDurationMs(ms)).toBe(text);
    expect(parseDurationMs(text)).toBe(ms);
  });
});
