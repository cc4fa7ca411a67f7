import type { Clock, TimerHandle } from '../../../node/src/platform/index.js';

/** A clock whose timers fire only when the test advances it. */
export class ManualClock implements Clock {
  now = 0;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  nowMs() {
    return this.now;
  }
  wallMs() {
    return this.now;
  }
  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const t = { at: this.now + delayMs, fn, live: true };
    this.timers.push(t);
    return { cancel: () => void (t.live = false) };
  }
  setInterval(): TimerHandle {
    throw new Error('not used');
  }
  advance(ms: number) {
    this.now += ms;
    const due = this.timers.filter((t) => t.live && t.at <= this.now).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((t) => !due.includes(t));
    for (const t of due) t.fn();
  }
}
