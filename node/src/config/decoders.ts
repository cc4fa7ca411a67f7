import { isIP } from 'node:net';
import { parseDurationMs } from './duration.js';
import { parseSizeBytes } from './size.js';
import { cronShapeProblem } from './cron-shape.js';

/**
 * A decoder turns a raw TOML (or flag) value into a typed one, or says what it expected, so every
 * message reads "<source>: <key>: expected <what>, got <value>".
 */
export type Decoded<T> = { ok: true; value: T } | { ok: false; expected: string };
export type Decoder<T> = (raw: unknown) => Decoded<T>;

const ok = <T>(value: T): Decoded<T> => ({ ok: true, value });
const fail = <T>(expected: string): Decoded<T> => ({ ok: false, expected });

/** How a raw value is shown in a message: strings quoted, tables and arrays summarized. */
export function describeValue(raw: unknown): string {
  if (typeof raw === 'string') return JSON.stringify(raw);
  if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint') return String(raw);
  if (Array.isArray(raw)) return `an array [${raw.map(describeValue).join(', ')}]`;
  if (raw instanceof Date) return `a date ${raw.toISOString()}`;
  if (raw === null || raw === undefined) return 'nothing';
  return 'a table';
}

export const boolean: Decoder<boolean> = (raw) => (typeof raw === 'boolean' ? ok(raw) : fail('true or false'));

export function integer(min: number, max = Number.MAX_SAFE_INTEGER, what?: string): Decoder<number> {
  const expected = what ?? (max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in ${min}..${max}`);
  return (raw) => (typeof raw === 'number' && Number.isInteger(raw) && raw >= min && raw <= max ? ok(raw) : fail(expected));
}

export const positiveNumber: Decoder<number> = (raw) =>
  typeof raw === 'number' && Number.isFinite(raw) && raw > 0 ? ok(raw) : fail('a number > 0');

/** `example` shows the syntax in the message, e.g. "150ms". */
export function duration(example: string, minMs = 0): Decoder<number> {
  const expected = `a duration like "${example}"`;
  return (raw) => {
    if (typeof raw !== 'string') return fail(expected);
    const ms = parseDurationMs(raw);
    if (ms === undefined) return fail(`${expected} (units ns, us, ms, s, m, h)`);
    if (ms < minMs) return fail(`a duration of at least ${minMs}ms`);
    return ok(ms);
  };
}

export const size: Decoder<number> = (raw) => {
  const bytes = parseSizeBytes(raw);
  return bytes === undefined ? fail('a size in bytes like 1073741824 or "1GiB"') : ok(bytes);
};

export function oneOf<T extends string>(values: readonly T[]): Decoder<T> {
  return (raw) => (typeof raw === 'string' && (values as readonly string[]).includes(raw) ? ok(raw as T) : fail(`one of ${values.join('|')}`));
}

/** An integer from a fixed set (e.g. an odd voter count). */
export function oneOfIntegers(values: readonly number[]): Decoder<number> {
  return (raw) => (typeof raw === 'number' && values.includes(raw) ? ok(raw) : fail(`one of ${values.join(', ')}`));
}

export const nonEmptyString: Decoder<string> = (raw) =>
  typeof raw === 'string' && raw.trim() !== '' ? ok(raw) : fail('a non-empty string');

const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

function isHost(text: string): boolean {
  return isIP(text) !== 0 || HOSTNAME.test(text);
}

export const host: Decoder<string> = (raw) =>
  typeof raw === 'string' && isHost(raw) ? ok(raw) : fail('an IP address or host name like "127.0.0.1"');

/** `host:port`, with IPv6 hosts in brackets (`[::1]:9000`). */
export const hostPort: Decoder<string> = (raw) => {
  const expected = 'host:port like "strata-node-1:9000"';
  if (typeof raw !== 'string') return fail(expected);
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(raw);
  if (match === null) return fail(expected);
  const hostPart = match[1] ?? match[2];
  const port = Number(match[3]);
  if (match[1] !== undefined && isIP(hostPart) !== 6) return fail(expected);
  if (!isHost(hostPart) || port < 1 || port > 65535) return fail(expected);
  return ok(raw);
};

export const port: Decoder<number> = integer(0, 65535, 'a port in 0..65535 (0 picks a free port)');

export const cron: Decoder<string> = (raw) => {
  if (typeof raw !== 'string') return fail('a cron expression like "0 2 * * *"');
  const problem = cronShapeProblem(raw);
  return problem === undefined ? ok(raw.trim()) : fail(`a cron expression like "0 2 * * *" (${problem})`);
};

/** A list of host names (e.g. the domains of virtual-host-style S3 addressing). */
export const hostList: Decoder<string[]> = (raw) =>
  Array.isArray(raw) && raw.every((h) => typeof h === 'string' && isHost(h)) ? ok(raw as string[]) : fail('a list of host names like ["s3.local"]');
