import { Writable } from 'node:stream';
import type { Clock } from '../platform/clock.js';
import { StrataError } from '../platform/errors.js';
import type { LogAdmin, LogQuery, LogRecord } from '../ports/log-admin.js';
import { logMatcher, parseLogLine } from './log-record-parse.js';

export interface LogRingOptions {
  /** Most lines kept (oldest dropped first). Default 10 000. */
  maxLines?: number;
  /** Most bytes of line text kept. Default 8 MiB. */
  maxBytes?: number;
  /** Lines a follower may fall behind before its oldest unread ones are dropped. Default 10 000. */
  maxFollowBacklog?: number;
  /** Default number of lines recentLogs returns. Default 1000. */
  defaultLimit?: number;
  /** Time of a line that has no `time` field. */
  clock?: Pick<Clock, 'wallMs'>;
}

export type ResolvedLogRingOptions = Required<LogRingOptions>;

export function resolveLogRingOptions(options: LogRingOptions = {}): ResolvedLogRingOptions {
  const resolved = {
    maxLines: options.maxLines ?? 10_000,
    maxBytes: options.maxBytes ?? 8 * 1024 * 1024,
    maxFollowBacklog: options.maxFollowBacklog ?? 10_000,
    defaultLimit: options.defaultLimit ?? 1000,
    clock: options.clock ?? { wallMs: () => Date.now() },
  };
  for (const name of ['maxLines', 'maxBytes', 'maxFollowBacklog', 'defaultLimit'] as const) {
    if (!Number.isSafeInteger(resolved[name]) || resolved[name] < 1) throw new StrataError('InvalidConfig', `log ring: ${name} must be an integer >= 1, got ${resolved[name]}`);
  }
  return resolved;
}

interface Entry {
  record: LogRecord;
  line: string;
}

interface Follower {
  accept(entry: Entry): void;
}

/**
 * The node's recent structured log lines in memory, bounded by lines and bytes, fed by pino through
 * `stream` (createPinoLogger's extraStreams). Serves `strata logs` through the admin API.
 */
export class LogRing implements LogAdmin {
  private readonly o: ResolvedLogRingOptions;
  private entries: Entry[] = [];
  /** entries[head..] are live; the front is dropped lazily so eviction is O(1). */
  private head = 0;
  private bytes = 0;
  private partial = '';
  private readonly components = new Set<string>();
  private readonly followers = new Set<Follower>();
  /** The Writable pino writes to (one JSON line per write; partial lines are joined). */
  readonly stream: Writable;

  constructor(options: LogRingOptions = {}) {
    this.o = resolveLogRingOptions(options);
    this.stream = new Writable({
      decodeStrings: false,
      write: (chunk: Buffer | string, _encoding, callback) => {
        this.write(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
        callback();
      },
    });
  }

  /** Lines kept now. */
  get size(): number {
    return this.entries.length - this.head;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Text as a stream delivers it: complete lines are kept, a trailing partial line waits for its end. */
  write(text: string): void {
    const joined = this.partial + text;
    const lines = joined.split('\n');
    this.partial = lines.pop() ?? '';
    if (this.partial.length > this.o.maxBytes) this.partial = ''; // a runaway line without an end
    for (const line of lines) if (line.trim() !== '') this.append(line);
  }

  /** One complete line. Lines that are not JSON objects are kept as info lines with the text as msg. */
  append(line: string): void {
    const now = this.o.clock.wallMs();
    const record = parseLogLine(line, now) ?? { timeMs: now, level: 'info', msg: line, fields: { msg: line } };
    const entry = { record, line };
    if (record.component !== undefined) this.components.add(record.component);
    this.entries.push(entry);
    this.bytes += line.length;
    while (this.size > this.o.maxLines || (this.bytes > this.o.maxBytes && this.size > 1)) {
      this.bytes -= this.entries[this.head].line.length;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    for (const follower of this.followers) follower.accept(entry);
  }

  async recentLogs(query: LogQuery): Promise<LogRecord[]> {
    const limit = checkLimit(query.limit) ?? this.o.defaultLimit;
    const matches = logMatcher(query, this.components);
    const out: LogRecord[] = [];
    // Newest first, so a small limit stops early; returned oldest first.
    for (let i = this.entries.length - 1; i >= this.head && out.length < limit; i--) {
      const entry = this.entries[i];
      if (matches(entry.record, entry.line)) out.push(entry.record);
    }
    return out.reverse();
  }

  /**
   * Lines written from now on that match, until `signal` aborts (the iterable then ends). `limit` is
   * ignored here. A follower that falls more than maxFollowBacklog lines behind loses its oldest ones.
   */
  followLogs(query: LogQuery, signal: AbortSignal): AsyncIterable<LogRecord> {
    checkLimit(query.limit);
    const matches = logMatcher(query, this.components);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const ring = this;
    return {
      [Symbol.asyncIterator](): AsyncIterator<LogRecord> {
        const queue: LogRecord[] = [];
        let wake: (() => void) | undefined;
        const follower: Follower = {
          accept(entry) {
            if (!matches(entry.record, entry.line)) return;
            queue.push(entry.record);
            if (queue.length > ring.o.maxFollowBacklog) queue.shift();
            wake?.();
          },
        };
        const onAbort = (): void => wake?.();
        const stop = (): void => {
          ring.followers.delete(follower);
          signal.removeEventListener('abort', onAbort);
        };
        if (!signal.aborted) {
          ring.followers.add(follower);
          signal.addEventListener('abort', onAbort);
        }
        return {
          async next(): Promise<IteratorResult<LogRecord>> {
            while (queue.length === 0 && !signal.aborted) {
              await new Promise<void>((resolve) => (wake = resolve));
              wake = undefined;
            }
            if (signal.aborted) {
              stop();
              return { done: true, value: undefined };
            }
            return { done: false, value: queue.shift()! };
          },
          async return(): Promise<IteratorResult<LogRecord>> {
            stop();
            return { done: true, value: undefined };
          },
        };
      },
    };
  }

  /** Followers currently attached (tests: a finished follow leaves none behind). */
  get followerCount(): number {
    return this.followers.size;
  }
}

function checkLimit(limit: number | undefined): number | undefined {
  if (limit === undefined) return undefined;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new StrataError('InvalidArgument', `limit must be an integer >= 1, got ${limit}`);
  return limit;
}
