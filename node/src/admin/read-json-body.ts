import type { IncomingMessage } from 'node:http';
import { StrataError } from '../platform/errors.js';

/**
 * Reads a small JSON request body (the admin API sends a few fields at most). Empty means `{}`;
 * too large, not JSON, or not an object is the caller's mistake (InvalidArgument), never a crash.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StrataError('InvalidArgument', 'request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StrataError('InvalidArgument', 'request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function tooLarge(maxBytes: number): StrataError {
  return new StrataError('InvalidArgument', `request body larger than ${maxBytes} bytes`);
}
