/**
 * The core's view of the log: the persisted part (read through RaftLogReader) followed by the unstable
 * part, plus the commit and apply cursors (etcd's raftLog).
 */
import { assert } from '../platform/assert.js';
import type { Entry, RaftLogReader, Snapshot } from './types.js';
import { UnstableLog } from './unstable-log.js';
import { entrySizeBytes, limitEntriesBySize } from './entry-size.js';

export interface RaftLogOptions {
  storage: RaftLogReader;
}

export class RaftLog {
  readonly storage: RaftLogReader;
  readonly unstable: UnstableLog;
  committed: number;
  applied: number;

  constructor(options: RaftLogOptions) {
    this.storage = options.storage;
    const first = this.storage.firstIndex();
    this.unstable = new UnstableLog(this.storage.lastIndex() + 1);
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** The term of entry `index`, or undefined when it is compacted or past the end. */
  term(index: number): number | undefined {
    const dummy = this.firstIndex() - 1;
    if (index < dummy || index > this.lastIndex()) return undefined;
    const t = this.unstable.maybeTerm(index);
    if (t !== undefined) return t;
    return this.storage.term(index);
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    assert(t !== undefined, 'the last entry always has a term');
    return t;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  isUpToDate(lastIndex: number, term: number): boolean {
    const myTerm = this.lastTerm();
    return term > myTerm || (term === myTerm && lastIndex >= this.lastIndex());
  }

  /** The first entry whose term differs from ours (or that we do not have), or 0. */
  findConflict(entries: Entry[]): number {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term` (for the fast backtracking of rejected
   * appends). Stops at the compaction point.
   */
  findConflictByTerm(index: number, term: number): number {
    for (let i = Math.min(index, this.lastIndex()); i > 0; i--) {
      const t = this.term(i);
      if (t === undefined) return i;
      if (t <= term) return i;
    }
    return 0;
  }

  /** Follower side of an append: returns the last new index, or undefined when the logs do not match at `index`. */
  maybeAppend(index: number, logTerm: number, committed: number, entries: Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      assert(conflict > this.committed, () => `entry ${conflict} conflicts with committed entry ${this.committed}`);
      this.append(conflict === index + 1 ? entries : entries.slice(conflict - index - 1));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(entries: Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    const after = entries[0].index - 1;
    assert(after >= this.committed, () => `append after ${after} would overwrite committed ${this.committed}`);
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), () => `commit ${index} is past the last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** Leader: commit `index` if a quorum has it and it is from the current term (Figure 8). */
  maybeCommit(index: number, term: number): boolean {
    if (index > this.committed && this.term(index) === term) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  appliedTo(index: number): void {
    if (index === 0 || index <= this.applied) return;
    assert(index <= this.committed, () => `applied ${index} is past the commit index ${this.committed}`);
    this.applied = index;
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: number): void {
    this.unstable.stableSnapTo(index);
  }

  restore(snapshot: Snapshot): void {
    this.committed = snapshot.metadata.index;
    this.unstable.restore(snapshot);
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries.length === 0 ? [] : this.unstable.entries.slice();
  }

  hasUnstableEntries(): boolean {
    return this.unstable.entries.length > 0;
  }

  /**
   * The highest index that may be applied: committed and already persisted locally (entries still in
   * the unstable part are handed out in the Ready after the one that persists them).
   */
  private applicableIndex(): number {
    return Math.min(this.committed, this.unstable.offset - 1);
  }

  hasNextEntries(): boolean {
    return this.applicableIndex() + 1 > Math.max(this.applied + 1, this.firstIndex());
  }

  /** Committed, persisted entries not yet applied. */
  nextEntries(): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    const hi = this.applicableIndex() + 1;
    if (hi <= lo) return [];
    return this.slice(lo, hi, Infinity) ?? [];
  }

  /** Entries from `index` to the end, at most about `maxBytes`; undefined when `index` is compacted. */
  entriesFrom(index: number, maxBytes: number): Entry[] | undefined {
    const last = this.lastIndex();
    if (index > last) return [];
    return this.slice(index, last + 1, maxBytes);
  }

  /** Entries in [lo, hi), at most about `maxBytes` (at least one); undefined when `lo` is compacted. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] | undefined {
    if (lo < this.firstIndex()) return undefined;
    assert(hi <= this.lastIndex() + 1, () => `slice [${lo},${hi}) is past the last index ${this.lastIndex()}`);
    if (lo >= hi) return [];
    const unstableOffset = this.unstable.offset;
    let out: Entry[] = [];
    if (lo < unstableOffset) {
      out = this.storage.entries(lo, Math.min(hi, unstableOffset), maxBytes);
      if (out.length < Math.min(hi, unstableOffset) - lo) return out; // the size limit cut it short
    }
    if (hi > unstableOffset) {
      const tail = this.unstable.slice(Math.max(lo, unstableOffset), hi);
      if (out.length === 0) return limitEntriesBySize(tail, maxBytes);
      let size = 0;
      for (const e of out) size += entrySizeBytes(e);
      const combined = out.slice();
      for (const e of tail) {
        size += entrySizeBytes(e);
        if (size > maxBytes) break;
        combined.push(e);
      }
      return combined;
    }
    return out;
  }
}
