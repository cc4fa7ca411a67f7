import type { LogLevel } from '../platform/logger.js';

/** One structured log line as the node wrote it (pino's JSON), with the fields the CLI filters on. */
export interface LogRecord {
  timeMs: number;
  level: LogLevel;
  /** The `component` binding (raft, s3, chunks, ...), when the line has one. */
  component?: string;
  msg: string;
  /** The whole line as written. */
  fields: Record<string, unknown>;
}

export interface LogQuery {
  /** Minimum level. */
  level?: LogLevel;
  sinceMs?: number;
  /** Matches the component exactly, or else any substring of the line. */
  filter?: string;
  /** Newest lines kept, default 1000. */
  limit?: number;
}

/** The node's recent logs, kept in memory (a ring), for `strata logs`. */
export interface LogAdmin {
  recentLogs(query: LogQuery): Promise<LogRecord[]>;
  /** Lines as they are written, until `signal` aborts. */
  followLogs(query: LogQuery, signal: AbortSignal): AsyncIterable<LogRecord>;
}

/** Settings that change at run time on this node (`strata config set KEY VALUE`), e.g. log_level. */
export interface SettingsAdmin {
  /** Refused with InvalidArgument naming the key when it is unknown, invalid, or only read at start. */
  setSetting(key: string, value: string): Promise<{ key: string; value: string; previous: string }>;
}
