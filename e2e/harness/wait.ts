// Bounded waits: every wait in the scenarios ends, with a message saying what was awaited and what was last
// seen, so a scenario that cannot pass fails in bounded time instead of hanging.

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** What is awaited, for the error message. */
  what: string;
}

/**
 * Calls `probe` until it returns a value other than undefined (returned) or the time is up (throws with the
 * last value `describe` gave and the last error the probe threw).
 */
export async function waitFor<T>(probe: () => Promise<T | undefined>, options: WaitOptions & { describe?: () => Promise<string> | string }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      let seen = '';
      try {
        seen = options.describe ? await options.describe() : '';
      } catch (err) {
        seen = `(describe failed: ${(err as Error).message})`;
      }
      const error = lastError === undefined ? '' : `; last error: ${(lastError as Error).message ?? String(lastError)}`;
      throw new Error(`timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for ${options.what}${error}${seen ? `\nlast seen: ${seen}` : ''}`);
    }
    await sleep(options.intervalMs ?? 2_000);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
