import { StrataError } from '../platform/errors.js';
import type { LogLevel } from '../platform/logger.js';

/** Node ids as numbers or as people write them (`node-4`). */
export function parseNodeId(raw: unknown, what: string): number {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.replace(/^node-/, '') : '';
  if (/^[1-9]\d{0,9}$/.test(text) && Number(text) <= 2 ** 31 - 1) return Number(text);
  throw new StrataError('InvalidArgument', `${what} must be a positive integer or node-<id>, got ${JSON.stringify(raw) ?? String(raw)}`, {
    details: { field: what },
  });
}

/** An optional boolean body field: absent or null means the default; anything but a boolean is refused. */
export function optionalBoolean(body: Record<string, unknown>, field: string, defaultValue: boolean): boolean {
  const value = body[field];
  if (value === undefined || value === null) return defaultValue;
  if (typeof value !== 'boolean') throw fieldError(field, 'must be true or false', value);
  return value;
}

export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') throw fieldError(field, 'must be a non-empty string', value);
  return value;
}

export function requiredString(body: Record<string, unknown>, field: string): string {
  const value = optionalString(body, field);
  if (value === undefined) throw new StrataError('InvalidArgument', `"${field}" is required`, { details: { field } });
  return value;
}

/** A query flag: absent, `true` or `false` (`1`/`0` too). */
export function queryBoolean(value: string | string[] | undefined, field: string): boolean {
  const one = single(value, field);
  if (one === undefined || one === '' || one === 'false' || one === '0') return false;
  if (one === 'true' || one === '1') return true;
  throw fieldError(field, 'must be true or false', one);
}

/** A non-negative integer query value, or undefined when absent. */
export function queryInteger(value: string | string[] | undefined, field: string, options: { min: number; max: number }): number | undefined {
  const one = single(value, field);
  if (one === undefined || one === '') return undefined;
  const n = /^\d{1,16}$/.test(one) ? Number(one) : NaN;
  if (!Number.isSafeInteger(n) || n < options.min || n > options.max) {
    throw fieldError(field, `must be an integer from ${options.min} to ${options.max}`, one);
  }
  return n;
}

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export function queryLogLevel(value: string | string[] | undefined, field: string): LogLevel | undefined {
  const one = single(value, field);
  if (one === undefined || one === '') return undefined;
  if (!(LOG_LEVELS as readonly string[]).includes(one)) throw fieldError(field, `must be one of ${LOG_LEVELS.join(', ')}`, one);
  return one as LogLevel;
}

export function queryString(value: string | string[] | undefined, field: string): string | undefined {
  const one = single(value, field);
  return one === undefined || one === '' ? undefined : one;
}

function single(value: string | string[] | undefined, field: string): string | undefined {
  if (Array.isArray(value)) throw fieldError(field, 'must be given once', value);
  return value;
}

function fieldError(field: string, problem: string, value: unknown): StrataError {
  return new StrataError('InvalidArgument', `"${field}" ${problem}, got ${JSON.stringify(value) ?? String(value)}`, { details: { field } });
}
