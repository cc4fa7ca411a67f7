import type { Clock } from '../platform/clock.js';
import { StrataError } from '../platform/errors.js';

export interface ByteThrottleOptions {
  clock: Clock;
  /** Bytes per second shared by every mover (drain, rebalance, recovery); 0 = unlimited. */
  bytesPerSec: number;
  /** Bytes that may pass at once after an idle spell (default: one second's worth). */
  burstBytes?: number;
}

export function resolveByteThrottleOptions(options: ByteThrottleOptions): Required<ByteThrottleOptions> {
  const resolved = { burstBytes: options.bytesPerSec, ...options };
  if (!Number.isFinite(resolved.bytesPerSec) || resolved.bytesPerSec < 0) {
    throw new StrataError('InvalidConfig', `move throttle must be >= 0 bytes/s, got ${resolved.bytesPerSec}`);
  }
  return resolved;
}

/**
 * A token bucket on bytes (`[data] move_throttle_mb_per_sec`): take(n) resolves once n bytes may move.
 * A block bigger than the burst passes on a full bucket and leaves it in debt (the next caller waits it
 * off), so any block size works and the long-run rate is exact. Callers are served in arrival order.
 */
export class ByteThrottle {
  private readonly o: Required<ByteThrottleOptions>;
  private tokens: number;
  private lastMs: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(options: ByteThrottleOptions) {
    this.o = resolveByteThrottleOptions(options);
    this.tokens = this.o.burstBytes;
    this.lastMs = this.o.clock.nowMs();
  }

  get bytesPerSec(): number {
    return this.o.bytesPerSec;
  }

  take(bytes: number): Promise<void> {
    if (this.o.bytesPerSec === 0 || bytes <= 0) return Promise.resolve();
    const turn = this.queue.then(() => this.wait(bytes));
    this.queue = turn;
    return turn;
  }

  private async wait(bytes: number): Promise<void> {
    this.refill();
    // A block bigger than the burst waits for a full bucket, then takes the bucket into debt.
    const need = Math.min(bytes, this.o.burstBytes);
    if (this.tokens < need) {
      const waitMs = Math.ceil(((need - this.tokens) / this.o.bytesPerSec) * 1000);
      await new Promise<void>((resolve) => this.o.clock.setTimeout(resolve, waitMs));
      this.refill();
    }
    this.tokens -= bytes;
  }

  private refill(): void {
    const now = this.o.clock.nowMs();
    this.tokens = Math.min(this.o.burstBytes, this.tokens + ((now - this.lastMs) / 1000) * this.o.bytesPerSec);
    this.lastMs = now;
  }
}
