import type { Clock, TimerHandle } from '../../../node/src/platform/index.js';

export interface WorkQueueOptions {
  clock: Clock;
  /** First retry delay after a failure; doubles per consecutive failure of the key. Default 500 ms. */
  baseDelayMs?: number;
  /** Cap of the retry delay. Default 5 min. */
  maxDelayMs?: number;
}

export function resolveWorkQueueOptions(options: WorkQueueOptions): Required<WorkQueueOptions> {
  return { clock: options.clock, baseDelayMs: options.baseDelayMs ?? 500, maxDelayMs: options.maxDelayMs ?? 300_000 };
}

/**
 * A keyed, de-duplicating work queue (client-go style): a key is queued at most once; a key added
 * while a worker holds it is queued again when the worker is done (never two workers on one key);
 * delayed adds keep the earliest time; failures back off exponentially per key until forget().
 */
export class WorkQueue {
  private readonly options: Required<WorkQueueOptions>;
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, { atMs: number; timer: TimerHandle }>();
  private readonly failures = new Map<string, number>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private stopped = false;

  constructor(options: WorkQueueOptions) {
    this.options = resolveWorkQueueOptions(options);
  }

  add(key: string): void {
    if (this.stopped) return;
    const pending = this.delayed.get(key);
    if (pending !== undefined) {
      pending.timer.cancel();
      this.delayed.delete(key);
    }
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.ready.push(key);
    }
  }

  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) return this.add(key);
    if (this.queued.has(key)) return;
    const atMs = this.options.clock.nowMs() + delayMs;
    const pending = this.delayed.get(key);
    if (pending !== undefined) {
      if (pending.atMs <= atMs) return;
      pending.timer.cancel();
    }
    const timer = this.options.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { atMs, timer });
  }

  /** After a failed reconcile: retry with this key's backoff. Returns the delay used. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delayMs = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** n);
    this.addAfter(key, delayMs);
    return delayMs;
  }

  /** After a successful reconcile: the key's backoff starts over. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key to work on (the caller must call done(key)); undefined once shut down. */
  next(): Promise<string | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    const key = this.ready.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  shutdown(): void {
    this.stopped = true;
    for (const { timer } of this.delayed.values()) timer.cancel();
    this.delayed.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  get length(): number {
    return this.ready.length;
  }
}
