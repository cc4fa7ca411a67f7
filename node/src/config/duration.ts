/**
 * Go-style durations ("100ms", "1.5s", "1h30m", "168h"), the syntax the seed guide uses in its TOML.
 * Config keeps durations as milliseconds; sub-millisecond units give fractional milliseconds.
 */
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // micro sign, as Go accepts
  'μs': 1e-3, // Greek mu
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

// Longest units first so "ms" is not read as "m" followed by garbage.
const PART = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;

/** Milliseconds, or undefined when the text is not a non-negative Go duration. */
export function parseDurationMs(text: string): number | undefined {
  const input = text.trim();
  if (input === '0') return 0;
  if (input === '') return undefined;
  let rest = input;
  let totalMs = 0;
  while (rest.length > 0) {
    const match = PART.exec(rest);
    if (match === null) return undefined;
    totalMs += Number(match[1]) * UNIT_MS[match[2]];
    rest = rest.slice(match[0].length);
  }
  if (!Number.isFinite(totalMs)) return undefined;
  // Strip binary floating-point noise ("0.1s" is 100ms, not 100.00000000000001ms).
  return Math.round(totalMs * 1e6) / 1e6;
}

/** The shortest readable form, for messages and docs: 600000 -> "10m", 1500 -> "1.5s", 75 -> "75ms". */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s';
  const units: [string, number][] = [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ];
  for (const [unit, size] of units) {
    if (ms >= size && Number.isInteger(ms / size)) return `${ms / size}${unit}`;
  }
  if (ms >= 1_000) return `${ms / 1_000}s`;
  return `${ms}ms`;
}
