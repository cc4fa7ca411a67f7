import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { ObjectService } from '../ports/object-service.js';
import { S3Error } from './errors.js';
import type { VerifiedBody } from './request-body.js';
import type { S3Operation, S3Query } from './router.js';

/**
 * What an operation handler sees and returns: no koa here, so handlers stay small and the server is
 * the only place that speaks HTTP.
 */
export interface S3Request {
  operation: S3Operation;
  bucket: string;
  key: string;
  method: string;
  query: S3Query;
  headers: IncomingHttpHeaders;
  /** The verified request body (created on first call; read it once). */
  body(): VerifiedBody;
  requestId: string;
  accessKeyId: string;
}

export interface S3Response {
  status?: number;
  headers?: Record<string, string>;
  body?: string | AsyncIterable<Uint8Array>;
}

export interface HandlerEnv {
  service: ObjectService;
  region: string;
  maxHeaderMetadataBytes: number;
  clock: Clock;
  logger: Logger;
}

export type Handler = (req: S3Request, env: HandlerEnv) => Promise<S3Response>;

export function header(req: S3Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export function xmlResponse(body: string, status = 200, headers: Record<string, string> = {}): S3Response {
  return { status, headers: { 'content-type': 'application/xml', ...headers }, body };
}

/** S3 keys are at most 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

export function checkKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError', undefined, { Key: key.slice(0, 64) + '...' });
}

/** An integer query parameter within [min, max]; InvalidArgument otherwise. */
export function intParam(req: S3Request, name: string, fallback: number, min: number, max: number): number {
  const raw = req.query.get(name);
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d{1,10}$/.test(raw)) throw new S3Error('InvalidArgument', `${name} must be an integer`, { ArgumentName: name, ArgumentValue: raw });
  const value = Number(raw);
  if (value < min) throw new S3Error('InvalidArgument', `${name} must be at least ${min}`, { ArgumentName: name, ArgumentValue: raw });
  return Math.min(value, max);
}
