import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from 'koa';
import type { Logger } from '../platform/logger.js';

/**
 * Answers with a stream written straight to the socket: headers leave at once (a client waiting for a
 * quiet log follow or a slow first backup byte sees 200 right away), bytes flow with backpressure, and
 * the source is closed when the client goes away. An error mid-stream can no longer change the status,
 * so it cuts the connection (the client sees a truncated body) and is logged here.
 */
export async function streamResponse(
  ctx: Context,
  head: { contentType: string; headers?: Record<string, string> },
  source: AsyncIterable<Uint8Array | string>,
  log: Logger,
): Promise<void> {
  ctx.respond = false;
  ctx.status = 200;
  const res = ctx.res;
  res.statusCode = 200;
  res.setHeader('content-type', head.contentType);
  res.setHeader('cache-control', 'no-store');
  for (const [name, value] of Object.entries(head.headers ?? {})) res.setHeader(name, value);
  res.flushHeaders();
  try {
    await pipeline(Readable.from(source, { objectMode: false }), res);
  } catch (err) {
    const code = (err as { code?: string }).code;
    // The client hanging up is how a follow ends; anything else is a failed stream.
    if (code !== 'ERR_STREAM_PREMATURE_CLOSE' && !res.destroyed) res.destroy(err as Error);
    if (code !== 'ERR_STREAM_PREMATURE_CLOSE') log.warn({ err, path: ctx.path }, 'admin stream failed');
  }
}

/** Aborts when the client's connection closes (or the response ends). */
export function abortOnClose(ctx: Context): AbortSignal {
  const controller = new AbortController();
  ctx.res.once('close', () => controller.abort());
  return controller.signal;
}
