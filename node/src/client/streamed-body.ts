import { StrataError } from '../platform/errors.js';

/**
 * A streamed response body's chunks; a connection that breaks off mid-body throws Unavailable naming
 * the node. Stopping early (break, or an error in the consumer) cancels the download.
 */
export async function* streamedBody(body: ReadableStream<Uint8Array> | null | undefined, endpoint: string): AsyncGenerator<Uint8Array> {
  if (body === undefined || body === null) return;
  const reader = body.getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw new StrataError('Unavailable', `${endpoint}: the response broke off before its end (${(err as Error).message})`, {
          retryable: true,
          cause: err,
          details: { endpoint },
        });
      }
      if (chunk.done) return;
      yield chunk.value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
