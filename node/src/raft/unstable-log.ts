/**
 * Entries (and possibly a snapshot) the core has accepted but the driver has not yet persisted
 * (etcd's `unstable`). `offset` is the index of entries[0].
 */
import { assert } from '../platform/assert.js';
import type { Entry, Snapshot } from './types.js';

export class UnstableLog {
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index;
  }

  maybeTerm(index: number): number | undefined {
    if (index < this.offset) {
      if (this.snapshot !== undefined && this.snapshot.metadata.index === index) return this.snapshot.metadata.term;
      return undefined;
    }
    const at = index - this.offset;
    return at < this.entries.length ? this.entries[at].term : undefined;
  }

  /** The driver persisted entries up to `index` (if they still have term `term`, they were not replaced). */
  stableTo(index: number, term: number): void {
    const t = this.maybeTerm(index);
    if (t === undefined || t !== term || index < this.offset) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapTo(index: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === index) this.snapshot = undefined;
  }

  restore(snapshot: Snapshot): void {
    this.offset = snapshot.metadata.index + 1;
    this.entries = [];
    this.snapshot = snapshot;
  }

  truncateAndAppend(entries: Entry[]): void {
    const after = entries[0].index;
    if (after === this.offset + this.entries.length) {
      // The common case: a plain append; push in a loop (no spread: large batches overflow the stack).
      for (const e of entries) this.entries.push(e);
    } else if (after <= this.offset) {
      // Replaces everything unstable; the driver's overwrite rule replaces the stored tail too.
      this.offset = after;
      this.entries = entries.slice();
    } else {
      const kept = this.entries.slice(0, after - this.offset);
      for (const e of entries) kept.push(e);
      this.entries = kept;
    }
  }

  /** Entries in [lo, hi); the caller checked the bounds. */
  slice(lo: number, hi: number): Entry[] {
    assert(lo >= this.offset && hi <= this.offset + this.entries.length, () => `unstable slice [${lo},${hi}) out of bounds`);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
