import { UsageError } from './usage-error.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `--since` as people write it: a duration back from now (`90s`, `15m`, `1h`, `2d`, `1h30m`) or an
 * ISO 8601 time (`2026-01-01T10:00:00Z`). Returns epoch ms.
 */
export function parseSince(text: string, nowMs: number): number {
  const trimmed = text.trim();
  if (/^(\d+(ms|s|m|h|d|w))+$/.test(trimmed)) {
    let total = 0;
    for (const [, amount, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) total += Number(amount) * UNIT_MS[unit];
    return nowMs - total;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (Number.isFinite(ms)) return ms;
  }
  throw new UsageError(`--since must be a duration like 15m, 1h, 2d or an ISO time like 2026-01-01T10:00:00Z, got ${JSON.stringify(text)}`);
}
