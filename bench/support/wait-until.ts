/** Thrown by a probe when waiting longer cannot help (e.g. the process being waited for has exited). */
export class WaitAborted extends Error {
  override readonly name = 'WaitAborted';
}

/** Polls a condition until it holds or a deadline passes; the last failure explains a timeout. */
export interface WaitUntilOptions {
  what: string;
  timeoutMs: number;
  intervalMs?: number;
}

export async function waitUntil<T>(probe: () => Promise<T | undefined>, options: WaitUntilOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastProblem = 'condition not met';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      if (err instanceof WaitAborted) throw err;
      lastProblem = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}: ${lastProblem}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}

/** GET or POST JSON with a short timeout; throws on non-2xx so waitUntil records why. */
export async function fetchJson(url: string, init: { method?: string; body?: unknown; timeoutMs?: number } = {}): Promise<unknown> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: init.body === undefined ? undefined : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(init.timeoutMs ?? 2000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return text.length === 0 ? undefined : JSON.parse(text);
}
