import type { Clock, TimerHandle } from '../clock.js';

/** The wall clock and Node's timers: the only production Clock. */
export class SystemClock implements Clock {
  nowMs(): number {
    return performance.now();
  }

  wallMs(): number {
    return Date.now();
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const handle = setTimeout(callback, delayMs);
    return { cancel: () => clearTimeout(handle) };
  }

  setInterval(callback: () => void, periodMs: number): TimerHandle {
    const handle = setInterval(callback, periodMs);
    return { cancel: () => clearInterval(handle) };
  }
}
