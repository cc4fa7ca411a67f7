import type { Clock } from '../platform/clock.js';
import { StrataError } from '../platform/errors.js';

/** Rejects with a retryable StrataError('Timeout') when `promise` takes longer than `timeoutMs`. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, clock: Clock, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      reject(new StrataError('Timeout', `${what} took longer than ${timeoutMs} ms`, { retryable: true }));
    }, timeoutMs);
    promise.then(
      (value) => {
        timer.cancel();
        resolve(value);
      },
      (error: unknown) => {
        timer.cancel();
        reject(error);
      },
    );
  });
}
