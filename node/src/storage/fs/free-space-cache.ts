/**
 * The file system's free space for create()'s capacity check, measured (statfs) at most every
 * `maxAgeMs` instead of once per chunk. Between measurements the figure is kept exact for our own
 * writes: the bytes this store has written since the reading was taken are subtracted from it (space
 * freed since then is only seen at the next reading, which errs on the safe side).
 */
import type { Clock } from '../../platform/clock.js';
import type { DiskSpace } from './fs-chunk-store-options.js';

export const FREE_SPACE_MAX_AGE_MS = 500;

interface Reading {
  atMs: number;
  /** writtenBytes() when the measurement was asked for. */
  writtenBefore: number;
  space: Promise<DiskSpace>;
}

export class FreeSpaceCache {
  private latest: Reading | undefined;

  constructor(
    private readonly measure: () => Promise<DiskSpace>,
    /** Bytes this store has put on disk so far (monotonic, except for space it gave back). */
    private readonly writtenBytes: () => number,
    private readonly clock: Clock,
    private readonly maxAgeMs: number = FREE_SPACE_MAX_AGE_MS,
  ) {}

  /** Free bytes now: a recent reading minus what we wrote since (concurrent callers share one reading). */
  async freeBytes(): Promise<number> {
    const latest = this.latest;
    const reading = latest !== undefined && this.clock.nowMs() - latest.atMs < this.maxAgeMs ? latest : this.read();
    const { freeBytes } = await reading.space;
    return freeBytes - Math.max(0, this.writtenBytes() - reading.writtenBefore);
  }

  /** A fresh measurement (also kept for freeBytes()). */
  async measureNow(): Promise<DiskSpace> {
    return this.read().space;
  }

  private read(): Reading {
    const reading: Reading = { atMs: this.clock.nowMs(), writtenBefore: this.writtenBytes(), space: this.measure() };
    this.latest = reading;
    // A failed measurement is not kept.
    reading.space.catch(() => {
      if (this.latest === reading) this.latest = undefined;
    });
    return reading;
  }
}
