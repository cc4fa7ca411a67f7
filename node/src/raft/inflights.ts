/**
 * The in-flight window of one follower: the last index of each append message sent but not yet
 * acknowledged, as a ring buffer. When it is full the leader stops sending appends to that follower.
 */
import { assert } from '../platform/assert.js';

export interface InflightsOptions {
  capacity: number;
}

export class Inflights {
  private readonly buffer: number[];
  private start = 0;
  count = 0;
  readonly capacity: number;

  constructor(options: InflightsOptions) {
    assert(options.capacity > 0, 'inflights capacity must be positive');
    this.capacity = options.capacity;
    this.buffer = new Array<number>(options.capacity).fill(0);
  }

  add(lastIndex: number): void {
    assert(!this.full(), 'cannot add to a full inflights window');
    this.buffer[(this.start + this.count) % this.capacity] = lastIndex;
    this.count++;
  }

  /** Release every message whose last index is <= `index` (acknowledged). */
  freeLE(index: number): void {
    while (this.count > 0 && this.buffer[this.start] <= index) {
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
    if (this.count === 0) this.start = 0;
  }

  full(): boolean {
    return this.count === this.capacity;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
  }
}
