/**
 * Paces a scrub to `[scrub] throttle_mb_per_sec` (MiB/s: 1 MB here is 1,048,576 bytes, as in the other
 * throttles) and measures its rate over the last few seconds. The pace is kept over the whole pass: a
 * pause (a slow disk, a repair) is not made up later by a burst beyond the limit for more than one window.
 */
import type { Clock } from '../platform/clock.js';

const MiB = 1024 * 1024;
const WINDOW_MS = 5_000;

export class ScrubPacer {
  private readonly bytesPerMs: number;
  private windowStartMs: number;
  private windowBytes = 0;
  private samples: { atMs: number; bytes: number }[] = [];
  private totalBytes = 0;

  constructor(
    private readonly clock: Clock,
    throttleMbPerSec: number,
  ) {
    this.bytesPerMs = (throttleMbPerSec * MiB) / 1000;
    this.windowStartMs = clock.nowMs();
  }

  /** Count `bytes` read; resolves when reading more keeps the pass under the limit. */
  async consumed(bytes: number): Promise<void> {
    const nowMs = this.clock.nowMs();
    this.totalBytes += bytes;
    this.samples.push({ atMs: nowMs, bytes: this.totalBytes });
    while (this.samples.length > 2 && this.samples[0]!.atMs < nowMs - WINDOW_MS) this.samples.shift();
    // A fresh window after a long pause, so idle time does not buy an unlimited burst.
    if (nowMs - this.windowStartMs > WINDOW_MS) {
      this.windowStartMs = nowMs;
      this.windowBytes = 0;
    }
    this.windowBytes += bytes;
    const dueMs = this.windowStartMs + this.windowBytes / this.bytesPerMs;
    if (dueMs > nowMs) await new Promise<void>((resolve) => this.clock.setTimeout(resolve, dueMs - nowMs));
  }

  /** Bytes per second over the last few seconds (0 before two readings). */
  rateBytesPerSec(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.atMs <= first.atMs) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.atMs - first.atMs);
  }
}
