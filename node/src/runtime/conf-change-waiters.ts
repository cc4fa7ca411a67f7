import type { Clock, TimerHandle } from '../platform/clock.js';
import { StrataError } from '../platform/errors.js';
import type { ConfChange } from '../raft/types.js';

interface Waiter {
  key: string;
  resolve(): void;
  reject(err: unknown): void;
  timer: TimerHandle;
}

const keyOf = (change: Pick<ConfChange, 'type' | 'nodeId'>) => `${change.type}:${change.nodeId}`;

/** Callers waiting for a membership change to be applied on this node. */
export class ConfChangeWaiters {
  private waiters: Waiter[] = [];

  constructor(private readonly clock: Clock) {}

  register(change: ConfChange, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        key: keyOf(change),
        resolve,
        reject,
        timer: this.clock.setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new StrataError('Timeout', `membership change ${waiter.key} not applied within ${timeoutMs} ms`, { retryable: true }));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  applied(change: Pick<ConfChange, 'type' | 'nodeId'>): void {
    this.settle(keyOf(change));
  }

  reject(change: Pick<ConfChange, 'type' | 'nodeId'>, err: unknown): void {
    this.settle(keyOf(change), err);
  }

  rejectAll(err: unknown): void {
    for (const w of this.waiters) {
      w.timer.cancel();
      w.reject(err);
    }
    this.waiters = [];
  }

  private settle(key: string, err?: unknown): void {
    const matching = this.waiters.filter((w) => w.key === key);
    this.waiters = this.waiters.filter((w) => w.key !== key);
    for (const w of matching) {
      w.timer.cancel();
      if (err === undefined) w.resolve();
      else w.reject(err);
    }
  }
}
