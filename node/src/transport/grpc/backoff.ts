/**
 * Exponential reconnect backoff with jitter: attempt n waits a random time in [base/2, base] where
 * base = min(max, initial * 2^n). The random half keeps a restarted cluster's nodes from reconnecting
 * in lockstep; the fixed half keeps a dead peer from being hammered.
 */
import { assert } from '../../platform/assert.js';
import type { Random } from '../../platform/random.js';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  random: Random;
}

export class Backoff {
  private attempts = 0;

  constructor(private readonly options: BackoffOptions) {
    assert(options.initialMs > 0 && options.maxMs >= options.initialMs, 'backoff needs 0 < initialMs <= maxMs');
  }

  /** The delay before the next attempt; each call doubles the base up to maxMs. */
  nextDelayMs(): number {
    const base = Math.min(this.options.maxMs, this.options.initialMs * 2 ** Math.min(this.attempts, 30));
    this.attempts++;
    return Math.round(base / 2 + this.options.random.next() * (base / 2));
  }

  /** A connection worked: start again from initialMs. */
  reset(): void {
    this.attempts = 0;
  }

  get failures(): number {
    return this.attempts;
  }
}
