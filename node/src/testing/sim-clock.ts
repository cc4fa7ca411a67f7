import { assert } from '../platform/assert.js';
import type { Clock, TimerHandle } from '../platform/clock.js';

/**
 * Virtual time for the simulator. Timers sit in one queue ordered by (due time, sequence number), so two
 * timers due at the same millisecond fire in the order they were set.
 *
 * How async code stays deterministic: nothing in a simulation touches real timers or I/O. Every callback
 * runs from runFor/runUntil, one timer at a time, and after each one the clock drains the microtask
 * queue by awaiting resolved promises until `idleTurns` turns pass without any timer being set or
 * cancelled. Promise continuations run in an order fixed by the program, so the whole run is a pure
 * function of the seed. What the drain cannot see is an async chain longer than `idleTurns` awaits that
 * never touches the clock; such a chain still runs deterministically, only "later in virtual time" than
 * it would on a real machine (never earlier). setImmediate is deliberately not used: it would let real
 * macrotasks (test runner, real I/O) interleave with the simulation.
 */
export interface SimClockOptions {
  /** Virtual start time of nowMs(). */
  startMs?: number;
  /** wallMs() = nowMs() + this (a fixed, plausible epoch so timestamps look real). */
  wallEpochMs?: number;
  /** Microtask turns without clock activity that count as "the system is idle". */
  idleTurns?: number;
}

export function resolveSimClockOptions(options: SimClockOptions = {}): Required<SimClockOptions> {
  return {
    startMs: options.startMs ?? 0,
    wallEpochMs: options.wallEpochMs ?? Date.UTC(2026, 0, 1),
    idleTurns: options.idleTurns ?? 16,
  };
}

interface Timer {
  dueMs: number;
  seq: number;
  callback: () => void;
  periodMs: number;
  cancelled: boolean;
  /** Owner tag, so every timer of a crashed node can be cancelled at once. */
  owner: string | undefined;
}

export class SimClock implements Clock {
  private now: number;
  private readonly wallEpochMs: number;
  private readonly idleTurns: number;
  private seq = 0;
  /** Bumped whenever a timer is set or cancelled: the drain loop's sign of life. */
  private activity = 0;
  private readonly heap: Timer[] = [];
  private readonly byOwner = new Map<string, Set<Timer>>();
  private running = false;
  private firedCount = 0;

  constructor(options: SimClockOptions = {}) {
    const o = resolveSimClockOptions(options);
    this.now = o.startMs;
    this.wallEpochMs = o.wallEpochMs;
    this.idleTurns = o.idleTurns;
  }

  nowMs(): number {
    return this.now;
  }

  wallMs(): number {
    return this.wallEpochMs + this.now;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    return this.schedule(callback, delayMs, 0, undefined);
  }

  setInterval(callback: () => void, periodMs: number): TimerHandle {
    assert(periodMs > 0, 'setInterval needs a positive period');
    return this.schedule(callback, periodMs, periodMs, undefined);
  }

  /** A Clock view whose timers are tagged with `owner`, so cancelOwner(owner) stops them all (a crash). */
  forOwner(owner: string): Clock {
    return {
      nowMs: () => this.nowMs(),
      wallMs: () => this.wallMs(),
      setTimeout: (callback, delayMs) => this.schedule(callback, delayMs, 0, owner),
      setInterval: (callback, periodMs) => {
        assert(periodMs > 0, 'setInterval needs a positive period');
        return this.schedule(callback, periodMs, periodMs, owner);
      },
    };
  }

  /** Cancel every pending timer of `owner`; returns how many there were. */
  cancelOwner(owner: string): number {
    const timers = this.byOwner.get(owner);
    if (!timers) return 0;
    for (const t of timers) t.cancelled = true;
    this.byOwner.delete(owner);
    this.activity++;
    return timers.size;
  }

  /** Timers still queued (cancelled ones excluded lazily, so this is an upper bound). */
  pendingTimers(): number {
    return this.heap.length;
  }

  /** How many timer callbacks have fired so far (for traces and budgets). */
  firedTimers(): number {
    return this.firedCount;
  }

  /** Run every timer due within the next `ms` of virtual time; afterwards nowMs() is exactly start + ms. */
  async runFor(ms: number): Promise<void> {
    assert(ms >= 0, 'runFor needs a non-negative duration');
    const endMs = this.now + ms;
    await this.run(endMs, () => false);
    this.now = Math.max(this.now, endMs);
  }

  /**
   * Advance event by event until `predicate()` holds (checked after every event and drain) or `limitMs`
   * of virtual time has passed. Returns whether the predicate held.
   */
  async runUntil(predicate: () => boolean, limitMs: number): Promise<boolean> {
    const endMs = this.now + limitMs;
    await this.drain();
    if (predicate()) return true;
    const held = await this.run(endMs, predicate);
    if (!held) this.now = Math.max(this.now, endMs);
    return held;
  }

  /** Let pending promise continuations run, without advancing time. */
  async drain(): Promise<void> {
    let quiet = 0;
    let seen = this.activity;
    while (quiet < this.idleTurns) {
      await Promise.resolve();
      if (this.activity !== seen) {
        seen = this.activity;
        quiet = 0;
      } else {
        quiet++;
      }
    }
  }

  private async run(endMs: number, predicate: () => boolean): Promise<boolean> {
    assert(!this.running, 'SimClock.run is not reentrant');
    this.running = true;
    try {
      await this.drain();
      for (;;) {
        const timer = this.popDue(endMs);
        if (!timer) return predicate();
        this.now = timer.dueMs;
        this.fire(timer);
        await this.drain();
        if (predicate()) return true;
      }
    } finally {
      this.running = false;
    }
  }

  private fire(timer: Timer): void {
    this.firedCount++;
    if (timer.periodMs > 0) {
      // Re-arm before the callback, so the callback may cancel its own interval.
      timer.dueMs = this.now + timer.periodMs;
      timer.seq = this.seq++;
      this.push(timer);
    } else if (timer.owner !== undefined) {
      this.byOwner.get(timer.owner)?.delete(timer);
    }
    timer.callback();
  }

  private schedule(callback: () => void, delayMs: number, periodMs: number, owner: string | undefined): TimerHandle {
    const d = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const timer: Timer = { dueMs: this.now + d, seq: this.seq++, callback, periodMs, cancelled: false, owner };
    this.push(timer);
    if (owner !== undefined) {
      let set = this.byOwner.get(owner);
      if (!set) {
        set = new Set();
        this.byOwner.set(owner, set);
      }
      set.add(timer);
    }
    this.activity++;
    return {
      cancel: () => {
        if (timer.cancelled) return;
        timer.cancelled = true;
        if (owner !== undefined) this.byOwner.get(owner)?.delete(timer);
        this.activity++;
      },
    };
  }

  /** The next live timer due at or before `endMs`, removed from the queue. */
  private popDue(endMs: number): Timer | undefined {
    while (this.heap.length > 0) {
      const top = this.heap[0];
      if (top.cancelled) {
        this.pop();
        continue;
      }
      if (top.dueMs > endMs) return undefined;
      return this.pop();
    }
    return undefined;
  }

  // A binary min-heap on (dueMs, seq).
  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): Timer {
    const h = this.heap;
    const top = h[0];
    const last = h.pop() as Timer;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l], h[m])) m = l;
        if (r < h.length && less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function less(a: Timer, b: Timer): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);
}
