import type { Clock } from '../platform/clock.js';
import type { MoveProgress } from '../ports/maintenance-admin.js';

/** Rate over the last few seconds: recent enough to show a stall, long enough to be steady. */
const WINDOW_MS = 10_000;

/** Counts one body of movement (a drain, a rebalance, recovery) into the MoveProgress of the admin API. */
export class ProgressTracker {
  private chunksTotal = 0;
  private chunksDone = 0;
  private bytesTotal = 0;
  private bytesDone = 0;
  private failures = 0;
  private startedMs?: number;
  private finishedMs?: number;
  private lastError?: string;
  /** (monotonic ms, bytes) of recent completions. */
  private readonly recent: { atMs: number; bytes: number }[] = [];

  constructor(private readonly clock: Clock) {}

  start(): void {
    this.startedMs ??= this.clock.wallMs();
    this.finishedMs = undefined;
  }

  /** Work found (it may grow while the work runs). */
  addWork(chunks: number, bytes: number): void {
    this.chunksTotal += chunks;
    this.bytesTotal += bytes;
  }

  /** Set the remaining work outright (from a fresh look at the metadata). */
  setRemaining(chunks: number, bytes: number): void {
    this.chunksTotal = this.chunksDone + chunks;
    this.bytesTotal = this.bytesDone + bytes;
  }

  done(bytes: number): void {
    this.chunksDone++;
    this.bytesDone += bytes;
    this.recent.push({ atMs: this.clock.nowMs(), bytes });
  }

  /** A chunk that no longer needs moving (deleted or moved meanwhile): it leaves the total. */
  skipped(bytes: number): void {
    this.chunksTotal = Math.max(this.chunksDone, this.chunksTotal - 1);
    this.bytesTotal = Math.max(this.bytesDone, this.bytesTotal - bytes);
  }

  failed(error: unknown): void {
    this.failures++;
    this.lastError = error instanceof Error ? error.message : String(error);
  }

  finish(): void {
    this.finishedMs = this.clock.wallMs();
  }

  snapshot(): MoveProgress {
    const now = this.clock.nowMs();
    while (this.recent.length > 0 && this.recent[0].atMs < now - WINDOW_MS) this.recent.shift();
    const first = this.recent[0];
    const spanMs = first === undefined ? 0 : Math.max(1_000, now - first.atMs);
    const rateBytesPerSec = first === undefined ? 0 : Math.round((this.recent.reduce((s, r) => s + r.bytes, 0) * 1000) / spanMs);
    const left = Math.max(0, this.bytesTotal - this.bytesDone);
    const progress: MoveProgress = {
      chunksTotal: this.chunksTotal,
      chunksDone: this.chunksDone,
      bytesTotal: this.bytesTotal,
      bytesDone: this.bytesDone,
      failures: this.failures,
      rateBytesPerSec,
    };
    if (rateBytesPerSec > 0 && left > 0) progress.etaSeconds = Math.ceil(left / rateBytesPerSec);
    if (this.startedMs !== undefined) progress.startedMs = this.startedMs;
    if (this.finishedMs !== undefined) progress.finishedMs = this.finishedMs;
    if (this.lastError !== undefined) progress.lastError = this.lastError;
    return progress;
  }
}
