import { StrataError } from '../platform/errors.js';
import type { LogLevel } from '../platform/logger.js';
import type { LogAdmin, LogQuery, LogRecord, SettingsAdmin } from '../ports/log-admin.js';
import { FakeCalls } from './fake-calls.js';

const RANK: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** Whether a record passes a query's level, time and filter (the LogQuery rules). */
export function matchesLogQuery(record: LogRecord, query: LogQuery): boolean {
  if (query.level !== undefined && RANK[record.level] < RANK[query.level]) return false;
  if (query.sinceMs !== undefined && record.timeMs < query.sinceMs) return false;
  if (query.filter !== undefined && record.component !== query.filter && !JSON.stringify(record.fields).includes(query.filter)) return false;
  return true;
}

/** An in-memory LogAdmin for tests: `append` writes a line, followers see it as it comes. */
export class FakeLogAdmin extends FakeCalls<keyof LogAdmin> implements LogAdmin {
  readonly records: LogRecord[] = [];
  private readonly listeners = new Set<(r: LogRecord) => void>();

  append(record: Omit<LogRecord, 'fields'> & { fields?: Record<string, unknown> }): LogRecord {
    const full: LogRecord = {
      ...record,
      fields: record.fields ?? { time: record.timeMs, level: record.level, msg: record.msg, ...(record.component === undefined ? {} : { component: record.component }) },
    };
    this.records.push(full);
    for (const listener of this.listeners) listener(full);
    return full;
  }

  /** Followers currently attached (a test waits for one before appending). */
  get followers(): number {
    return this.listeners.size;
  }

  async recentLogs(query: LogQuery): Promise<LogRecord[]> {
    this.enter('recentLogs', query);
    const matching = this.records.filter((r) => matchesLogQuery(r, query));
    return matching.slice(Math.max(0, matching.length - (query.limit ?? 1000)));
  }

  followLogs(query: LogQuery, signal: AbortSignal): AsyncIterable<LogRecord> {
    this.enter('followLogs', query);
    const queue: LogRecord[] = [];
    let wake: (() => void) | undefined;
    const listener = (r: LogRecord) => {
      if (!matchesLogQuery(r, query)) return;
      queue.push(r);
      wake?.();
    };
    const onAbort = () => wake?.();
    this.listeners.add(listener);
    signal.addEventListener('abort', onAbort);
    const listeners = this.listeners;
    return (async function* () {
      try {
        while (!signal.aborted) {
          const next = queue.shift();
          if (next !== undefined) {
            yield next;
            continue;
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      } finally {
        listeners.delete(listener);
        signal.removeEventListener('abort', onAbort);
      }
    })();
  }
}

/** An in-memory SettingsAdmin knowing `log_level` only, as a node does today. */
export class FakeSettingsAdmin extends FakeCalls<keyof SettingsAdmin> implements SettingsAdmin {
  readonly values = new Map<string, string>([['log_level', 'info']]);

  async setSetting(key: string, value: string): Promise<{ key: string; value: string; previous: string }> {
    this.enter('setSetting', key, value);
    const previous = this.values.get(key);
    if (previous === undefined) throw new StrataError('InvalidArgument', `unknown setting ${JSON.stringify(key)} (known: ${[...this.values.keys()].join(', ')})`, { details: { key } });
    if (key === 'log_level' && !Object.hasOwn(RANK, value)) {
      throw new StrataError('InvalidArgument', `log_level must be one of ${Object.keys(RANK).join(', ')}, got ${JSON.stringify(value)}`, { details: { key } });
    }
    this.values.set(key, value);
    return { key, value, previous };
  }
}
