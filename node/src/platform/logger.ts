/** The logging shape the code depends on (pino's, reduced to what we use). pino itself lives in real/. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface Logger {
  trace(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  /** A logger whose lines carry these fields, e.g. `{ component: 'raft' }`. */
  child(bindings: Record<string, unknown>): Logger;
}

/** Discards everything; for pure tests and the simulator. */
export const silentLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
