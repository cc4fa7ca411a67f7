import { describe, expect, it } from 'vitest';
import type { Clock } from './clock.js';
import { BusyTimeMeter } from './busy-time-meter.js';

/** A clock moved by hand (platform/ is a leaf: the simulator's clock is out of reach). */
class HandClock implements Clock {
  private now = 0;
  nowMs(): number {
    return this.now;
  }
  wallMs(): number {
    return this.now;
  }
  setTimeout(): never {
    throw new Error('not used');
  }
  setInterval(): never {
    throw new Error('not used');
  }
  advance(ms: number): void {
    this.now += ms;
  }
}

describe('BusyTimeMeter', () => {
  it('counts the time with at least one unit of work in flight, overlaps once', () => {
    const clock = new HandClock();
    const meter = new BusyTimeMeter(clock);
    clock.advance(1_000); // idle
    const a = meter.begin();
    clock.advance(100);
    const b = meter.begin(); // overlaps a
    clock.advance(100);
    a();
    clock.advance(50);
    expect(meter.busyMs()).toBe(250); // the open spell counts up to now
    b();
    clock.advance(500); // idle again
    expect(meter.busyMs()).toBe(250);
  });

  it('ignores a second end of the same unit', () => {
    const clock = new HandClock();
    const meter = new BusyTimeMeter(clock);
    const a = meter.begin();
    const b = meter.begin();
    clock.advance(10);
    a();
    a(); // would otherwise end b's spell too
    clock.advance(10);
    expect(meter.busyMs()).toBe(20);
    b();
    clock.advance(10);
    expect(meter.busyMs()).toBe(20);
  });
});
