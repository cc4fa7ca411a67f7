import type { Clock } from './clock.js';

/**
 * Counts the time during which at least one unit of work was in flight (the S3 gateway's requests),
 * as a cumulative total like a CPU counter: a reader takes two readings and divides the difference by
 * the time between them to get how busy the node was, and any number of readers can do so at once.
 */
export class BusyTimeMeter {
  private inFlight = 0;
  /** Busy time of the spells already ended. */
  private endedMs = 0;
  /** When the current busy spell began (meaningful while inFlight > 0). */
  private spellStartMs = 0;

  constructor(private readonly clock: Clock) {}

  /** One unit of work begins; call the returned function once when it ends (later calls do nothing). */
  begin(): () => void {
    if (this.inFlight++ === 0) this.spellStartMs = this.clock.nowMs();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.inFlight === 0) this.endedMs += this.clock.nowMs() - this.spellStartMs;
    };
  }

  /** Milliseconds with work in flight since this meter was made, the current spell included. */
  busyMs(): number {
    return this.endedMs + (this.inFlight > 0 ? this.clock.nowMs() - this.spellStartMs : 0);
  }
}
