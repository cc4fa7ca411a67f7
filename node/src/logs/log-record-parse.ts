import type { LogLevel } from '../platform/logger.js';
import type { LogQuery, LogRecord } from '../ports/log-admin.js';

/** pino's numeric levels, in order. */
const LEVEL_NUMBERS: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
export const LOG_LEVELS = Object.keys(LEVEL_NUMBERS) as LogLevel[];

export function levelNumber(level: LogLevel): number {
  return LEVEL_NUMBERS[level];
}

/** The name of a pino level number (between two names: the lower one, so nothing is hidden). */
export function levelName(value: unknown): LogLevel {
  if (typeof value === 'string' && value in LEVEL_NUMBERS) return value as LogLevel;
  const n = typeof value === 'number' ? value : 30;
  let name: LogLevel = 'trace';
  for (const level of LOG_LEVELS) if (LEVEL_NUMBERS[level] <= n) name = level;
  return name;
}

/** One JSON line as pino wrote it -> a LogRecord; undefined for a line that is not a JSON object. */
export function parseLogLine(line: string, fallbackTimeMs: number): LogRecord | undefined {
  let fields: unknown;
  try {
    fields = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return undefined;
  const f = fields as Record<string, unknown>;
  const record: LogRecord = {
    timeMs: typeof f.time === 'number' ? f.time : fallbackTimeMs,
    level: levelName(f.level),
    msg: typeof f.msg === 'string' ? f.msg : '',
    fields: f,
  };
  if (typeof f.component === 'string') record.component = f.component;
  return record;
}

/**
 * How a query selects lines. `filter` names a component exactly when some line of this node carried
 * that component (so `--filter raft` is not also `raft-log`); any other filter is a substring of the line.
 */
export interface LogMatcher {
  (record: LogRecord, line: string): boolean;
}

export function logMatcher(query: LogQuery, knownComponents: ReadonlySet<string>): LogMatcher {
  const minLevel = query.level === undefined ? 0 : levelNumber(query.level);
  const since = query.sinceMs ?? -Infinity;
  const filter = query.filter === undefined || query.filter === '' ? undefined : query.filter;
  const byComponent = filter !== undefined && knownComponents.has(filter);
  return (record, line) => {
    if (levelNumber(record.level) < minLevel) return false;
    if (record.timeMs < since) return false;
    if (filter === undefined) return true;
    return byComponent ? record.component === filter : line.includes(filter);
  };
}
