import type { Clock } from '../platform/clock.js';
import { StrataError } from '../platform/errors.js';
import { noopMetrics, type Gauge, type MetricsSink } from '../platform/metrics.js';

/** How loaded the cluster's foreground is right now, compared with ByteThrottleOptions.loadTarget. */
export interface LoadSignal {
  load(): number;
}

export interface ByteThrottleOptions {
  clock: Clock;
  /** Bytes per second shared by every mover (drain, rebalance, recovery); 0 = unlimited. The cap. */
  bytesPerSec: number;
  /** Bytes that may pass at once after an idle spell (default: one second's worth of the current limit). */
  burstBytes?: number;
  /**
   * Backs the limit off while the foreground is loaded (main.ts: the busiest S3 gateway's busy fraction);
   * absent or false = a fixed limit at bytesPerSec. (The leader's own event-loop delay was tried first and
   * dropped: on a shared machine it is mostly the movers' own, so it held moves at the floor with no
   * foreground load at all.)
   */
  loadSignal?: LoadSignal | false;
  /** A window whose load exceeds this is "loaded" (default 0.5). */
  loadTarget?: number;
  /** How often the limit adapts (default 500 ms). */
  adaptWindowMs?: number;
  /** The limit never backs off below this (default 4 MiB/s, or bytesPerSec when lower): moves keep going. */
  minBytesPerSec?: number;
  /** Publishes the limit in force as strata_data_move_limit_bytes_per_second. */
  metrics?: MetricsSink;
}

type Resolved = Required<Omit<ByteThrottleOptions, 'burstBytes' | 'loadSignal' | 'metrics'>> & { burstBytes?: number; loadSignal: LoadSignal | false; limitGauge: Gauge };

export function resolveByteThrottleOptions(options: ByteThrottleOptions): Resolved {
  if (!Number.isFinite(options.bytesPerSec) || options.bytesPerSec < 0) {
    throw new StrataError('InvalidConfig', `move throttle must be >= 0 bytes/s, got ${options.bytesPerSec}`);
  }
  const minBytesPerSec = Math.min(options.minBytesPerSec ?? 4 * 1024 * 1024, options.bytesPerSec);
  const loadSignal = options.bytesPerSec > 0 ? (options.loadSignal ?? false) : false;
  const limitGauge = (options.metrics ?? noopMetrics).gauge('strata_data_move_limit_bytes_per_second', 'Bytes per second that drain, rebalance and recovery may move now (0 = unlimited)');
  return { loadTarget: 0.5, adaptWindowMs: 500, ...options, minBytesPerSec, loadSignal, limitGauge };
}

/**
 * A token bucket on bytes (`[data] move_throttle_mb_per_sec`): take(n) resolves once n bytes may move.
 * A block bigger than the burst passes on a full bucket and leaves it in debt (the next caller waits it
 * off), so any block size works and the long-run rate is exact. Callers are served in arrival order.
 *
 * Adaptive when given a load signal: every adaptWindowMs the signal is read. When it is above
 * loadTarget the limit drops to half of what actually moved in that window (so it bites even when the
 * movers ran below the cap), never below minBytesPerSec; when it is calm the limit grows by a quarter,
 * up to the configured cap. Foreground work then gets the machine back within a window or two.
 */
export class ByteThrottle {
  private readonly o: Resolved;
  private limit: number;
  private tokens: number;
  private lastMs: number;
  private queue: Promise<void> = Promise.resolve();
  private windowStartMs: number;
  private windowBytes = 0;

  constructor(options: ByteThrottleOptions) {
    this.o = resolveByteThrottleOptions(options);
    this.limit = this.o.bytesPerSec;
    this.o.limitGauge.set(this.limit);
    this.tokens = this.burst();
    this.lastMs = this.o.clock.nowMs();
    this.windowStartMs = this.lastMs;
  }

  /** The configured cap. */
  get bytesPerSec(): number {
    return this.o.bytesPerSec;
  }

  /** The limit in force right now (the cap, or less while the node is loaded). */
  get currentBytesPerSec(): number {
    return this.limit;
  }

  take(bytes: number): Promise<void> {
    if (this.o.bytesPerSec === 0 || bytes <= 0) return Promise.resolve();
    const turn = this.queue.then(() => this.wait(bytes));
    this.queue = turn;
    return turn;
  }

  private burst(): number {
    return this.o.burstBytes ?? this.limit;
  }

  private async wait(bytes: number): Promise<void> {
    this.adapt();
    this.refill();
    // A block bigger than the burst waits for a full bucket, then takes the bucket into debt.
    const need = Math.min(bytes, this.burst());
    if (this.tokens < need) {
      const waitMs = Math.ceil(((need - this.tokens) / this.limit) * 1000);
      await new Promise<void>((resolve) => this.o.clock.setTimeout(resolve, waitMs));
      this.refill();
    }
    this.tokens -= bytes;
    this.windowBytes += bytes;
  }

  private adapt(): void {
    if (this.o.loadSignal === false) return;
    const now = this.o.clock.nowMs();
    const elapsed = now - this.windowStartMs;
    if (elapsed < this.o.adaptWindowMs) return;
    const load = this.o.loadSignal.load();
    const { bytesPerSec: cap, minBytesPerSec: floor } = this.o;
    if (elapsed <= 4 * this.o.adaptWindowMs) {
      if (load > this.o.loadTarget) {
        const moved = (this.windowBytes / elapsed) * 1000;
        this.limit = Math.max(floor, Math.min(this.limit, moved) / 2);
      } else {
        this.limit = Math.min(cap, Math.max(this.limit * 1.25, floor));
      }
    } else {
      // Moves start (or resume after an idle spell): at the floor at once while the foreground is busy
      // (not with a full bucket at the cap), at the cap when it is quiet.
      this.limit = load > this.o.loadTarget ? floor : cap;
    }
    this.o.limitGauge.set(this.limit);
    this.tokens = Math.min(this.tokens, this.burst());
    this.windowStartMs = now;
    this.windowBytes = 0;
  }

  private refill(): void {
    const now = this.o.clock.nowMs();
    this.tokens = Math.min(this.burst(), this.tokens + ((now - this.lastMs) / 1000) * this.limit);
    this.lastMs = now;
  }
}
