/**
 * How many erasure-coded object transfers (a GET's body, a PUT's or part's body, a copy) this gateway
 * runs at once: `[data] max_concurrent_transfers`. Each one holds its stripe and the blocks in flight to or
 * from the chunk stores (a few MiB), so without a limit a node's memory grows with the number of clients
 * (decision 0021). A transfer beyond the limit waits its turn, first come first served; one that waits
 * longer than `waitMs` fails with a retryable Overloaded (S3 SlowDown). Inline objects never take a slot.
 */
import { assert } from '../platform/assert.js';
import type { Clock, TimerHandle } from '../platform/clock.js';
import { StrataError } from '../platform/errors.js';
import { noopMetrics, type Gauge, type MetricsSink } from '../platform/metrics.js';

export interface TransferSlotsOptions {
  /** Transfers that run at once. */
  limit: number;
  /** Longest a transfer waits for a slot before it is refused. */
  waitMs: number;
  clock: Clock;
  metrics?: MetricsSink;
}

/** Gives the slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

interface Waiter {
  grant(): void;
  timer: TimerHandle;
}

export class TransferSlots {
  private active = 0;
  private readonly queue: Waiter[] = [];
  private readonly activeGauge: Gauge;
  private readonly waitingGauge: Gauge;

  constructor(private readonly options: TransferSlotsOptions) {
    assert(Number.isSafeInteger(options.limit) && options.limit > 0, 'the transfer limit must be a positive integer');
    const metrics = options.metrics ?? noopMetrics;
    this.activeGauge = metrics.gauge('strata_s3_transfers_active', 'Erasure-coded object transfers this gateway is running');
    this.waitingGauge = metrics.gauge('strata_s3_transfers_waiting', 'Object transfers waiting for a slot ([data] max_concurrent_transfers)');
  }

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves with the slot once one is free; rejects with Overloaded after waitMs in line. */
  acquire(): Promise<ReleaseSlot> {
    if (this.active < this.options.limit && this.queue.length === 0) {
      this.setActive(this.active + 1);
      return Promise.resolve(this.releaser());
    }
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          waiter.timer.cancel();
          resolve(this.releaser());
        },
        timer: this.options.clock.setTimeout(() => {
          this.queue.splice(this.queue.indexOf(waiter), 1);
          this.waitingGauge.set(this.queue.length);
          reject(
            new StrataError(
              'Overloaded',
              `this node already runs ${this.options.limit} object transfers ([data] max_concurrent_transfers) and none ended within ${this.options.waitMs} ms`,
              { retryable: true, details: { limit: this.options.limit, waitMs: this.options.waitMs } },
            ),
          );
        }, this.options.waitMs),
      };
      this.queue.push(waiter);
      this.waitingGauge.set(this.queue.length);
    });
  }

  private releaser(): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next === undefined) {
        this.setActive(this.active - 1);
        return;
      }
      // The slot passes straight to the next in line: the count stays, nobody can overtake it.
      this.waitingGauge.set(this.queue.length);
      next.grant();
    };
  }

  private setActive(n: number): void {
    this.active = n;
    this.activeGauge.set(n);
  }
}

/**
 * The body of one transfer whose slot is already held: gives the slot back when the body ends, fails,
 * or is abandoned (return/throw, also before the first piece: a response stream destroyed early never
 * starts the body, and a generator that never started would never reach its finally).
 */
export function releasingAtEnd<T>(release: ReleaseSlot, body: AsyncIterable<T>): AsyncIterableIterator<T> {
  const inner = body[Symbol.asyncIterator]();
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      try {
        const result = await inner.next();
        if (result.done === true) release();
        return result;
      } catch (err) {
        release();
        throw err;
      }
    },
    async return(value?: unknown) {
      release();
      return (await inner.return?.(value)) ?? { done: true, value: undefined };
    },
    async throw(err?: unknown) {
      release();
      if (inner.throw !== undefined) return inner.throw(err);
      throw err;
    },
  };
}
