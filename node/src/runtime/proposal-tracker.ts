import type { Clock, TimerHandle } from '../platform/clock.js';
import { StrataError } from '../platform/errors.js';

interface Waiter {
  resolve(value: unknown): void;
  reject(err: unknown): void;
  timer: TimerHandle;
  startedMs: number;
}

/**
 * Futures for this node's proposals, keyed by sequence number. A proposal that is not applied within the
 * timeout fails with a retryable Timeout whose outcome is unknown: the entry may still commit later.
 */
export class ProposalTracker {
  private nextSeq = 1;
  private readonly waiters = new Map<number, Waiter>();

  constructor(private readonly clock: Clock) {}

  register(timeoutMs: number): { seq: number; done: Promise<unknown> } {
    const seq = this.nextSeq++;
    const done = new Promise<unknown>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.waiters.delete(seq);
        reject(new StrataError('Timeout', `proposal not applied within ${timeoutMs} ms (it may still take effect)`, { retryable: true }));
      }, timeoutMs);
      this.waiters.set(seq, { resolve, reject, timer, startedMs: this.clock.nowMs() });
    });
    return { seq, done };
  }

  /** Returns how long the proposal took, or undefined when nobody waits for it (any more). */
  resolve(seq: number, value: unknown): number | undefined {
    const waiter = this.take(seq);
    if (!waiter) return undefined;
    waiter.resolve(value);
    return this.clock.nowMs() - waiter.startedMs;
  }

  reject(seq: number, err: unknown): void {
    this.take(seq)?.reject(err);
  }

  rejectAll(err: unknown): void {
    for (const seq of [...this.waiters.keys()]) this.reject(seq, err);
  }

  get pending(): number {
    return this.waiters.size;
  }

  private take(seq: number): Waiter | undefined {
    const waiter = this.waiters.get(seq);
    if (!waiter) return undefined;
    this.waiters.delete(seq);
    waiter.timer.cancel();
    return waiter;
  }
}
