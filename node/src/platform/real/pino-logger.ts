import { pino, type Logger as PinoLogger } from 'pino';
import type { LogLevel, Logger } from '../logger.js';

export interface PinoLoggerOptions {
  level: LogLevel;
  /** Where lines go besides stdout (e.g. the admin API's recent-log ring). */
  extraStreams?: NodeJS.WritableStream[];
  base?: Record<string, unknown>;
}

/** A pino logger whose level can change at run time (`strata config set log_level debug`). */
export function createPinoLogger(options: PinoLoggerOptions): { logger: Logger; setLevel(level: LogLevel): void } {
  const streams = [{ stream: process.stdout, level: 'trace' as const }, ...(options.extraStreams ?? []).map((stream) => ({ stream, level: 'trace' as const }))];
  const root: PinoLogger = pino({ level: options.level, base: options.base ?? {} }, pino.multistream(streams));
  return {
    logger: root as unknown as Logger,
    setLevel(level: LogLevel) {
      root.level = level;
    },
  };
}
