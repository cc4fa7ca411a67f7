/**
 * The in-memory mirror of the durable log (like etcd's MemoryStorage). The driver keeps it in step with
 * what it has persisted: append() after saving entries, setHardState() after saving the hard state,
 * applySnapshot() after saving a received snapshot (or when loading at start), createSnapshot()/compact()
 * after taking a state-machine snapshot. The core only reads it, through RaftLogReader.
 */
import { assert } from '../platform/assert.js';
import { StrataError } from '../platform/errors.js';
import type { ConfState, Entry, HardState, RaftLogReader, Snapshot } from './types.js';
import { limitEntriesBySize } from './entry-size.js';

const EMPTY_DATA = new Uint8Array(0);

/**
 * The snapshot a brand-new cluster starts from: index 1, term 1, carrying the first configuration.
 * Entry 1 is "compacted", so a node that joins later always receives a snapshot (and so the bootstrap
 * configuration) before any entry. Persist it with hardState {term: 1, vote: 0, commit: 1}.
 */
export function bootstrapSnapshot(conf: ConfState, data: Uint8Array = EMPTY_DATA): Snapshot {
  return {
    metadata: { index: 1, term: 1, conf: { voters: [...conf.voters], learners: [...conf.learners] } },
    data,
  };
}

function compacted(index: number, first: number): StrataError {
  return new StrataError('Unavailable', `log entry ${index} is compacted (first index ${first})`, {
    details: { reason: 'compacted', index },
  });
}

function unavailable(index: number, last: number): StrataError {
  return new StrataError('Unavailable', `log entry ${index} is not available (last index ${last})`, {
    details: { reason: 'unavailable', index },
  });
}

export class MemoryRaftLog implements RaftLogReader {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private snap: Snapshot = { metadata: { index: 0, term: 0, conf: { voters: [], learners: [] } }, data: EMPTY_DATA };
  /** Index and term of the entry just before ents[0] (the compaction point). */
  private offset = 0;
  private offsetTerm = 0;
  private ents: Entry[] = [];

  initialState(): { hardState: HardState; conf: ConfState } {
    const conf = this.snap.metadata.conf;
    return { hardState: { ...this.hardState }, conf: { voters: [...conf.voters], learners: [...conf.learners] } };
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo <= this.offset) throw compacted(lo, this.offset + 1);
    if (hi > this.lastIndex() + 1) throw unavailable(hi - 1, this.lastIndex());
    if (lo >= hi) return [];
    const slice = this.ents.slice(lo - this.offset - 1, hi - this.offset - 1);
    return limitEntriesBySize(slice, maxBytes);
  }

  term(index: number): number {
    if (index === this.offset) return this.offsetTerm;
    if (index < this.offset) throw compacted(index, this.offset + 1);
    if (index > this.lastIndex()) throw unavailable(index, this.lastIndex());
    return this.ents[index - this.offset - 1].term;
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  lastIndex(): number {
    return this.offset + this.ents.length;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Mirror entries the driver has persisted (same overwrite rule as LogStore.save). */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0].index;
    const last = entries[entries.length - 1].index;
    if (last <= this.offset) return; // all already covered by the compaction point
    assert(first <= this.lastIndex() + 1, () => `append leaves a gap: first ${first}, last index ${this.lastIndex()}`);
    // Skip what is already compacted, cut the old tail at the first new index, then add.
    const skip = first <= this.offset ? this.offset + 1 - first : 0;
    const start = first + skip;
    this.ents.length = start - this.offset - 1;
    for (let i = skip; i < entries.length; i++) this.ents.push(entries[i]);
  }

  setHardState(hardState: HardState): void {
    this.hardState = { ...hardState };
  }

  /** Install a snapshot (received or loaded at start): drops every entry (the core restarts its log there). */
  applySnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.metadata;
    assert(index >= this.snap.metadata.index, () => `snapshot ${index} is older than ${this.snap.metadata.index}`);
    this.snap = snapshot;
    this.offset = index;
    this.offsetTerm = term;
    this.ents = [];
  }

  /** Record a snapshot of the state machine at `index` (<= applied) taken by the driver. */
  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Snapshot {
    assert(index > this.snap.metadata.index, () => `snapshot ${index} is not newer than ${this.snap.metadata.index}`);
    assert(index <= this.lastIndex(), () => `snapshot ${index} is past the last index ${this.lastIndex()}`);
    const term = this.term(index);
    this.snap = {
      metadata: { index, term, conf: { voters: [...conf.voters], learners: [...conf.learners] } },
      data,
    };
    return this.snap;
  }

  /**
   * Forget the bytes of the snapshot at `index` (not a newer one): it is durable, and the driver reads it
   * back from the LogStore when a follower needs it. Metadata stays, so the core's view is unchanged.
   */
  releaseSnapshotData(index: number): void {
    if (this.snap.metadata.index !== index || this.snap.released) return;
    this.snap = { metadata: this.snap.metadata, data: EMPTY_DATA, released: true };
  }

  /**
   * Drop entries with index <= `index`. Only up to the newest snapshot: a follower that needs older
   * entries is sent that snapshot, which must then cover everything that is gone.
   */
  compact(index: number): void {
    if (index <= this.offset) return;
    assert(index <= this.snap.metadata.index, () => `compact ${index} is past the snapshot ${this.snap.metadata.index}`);
    assert(index <= this.lastIndex(), () => `compact ${index} is past the last index ${this.lastIndex()}`);
    this.offsetTerm = this.term(index);
    this.ents = this.ents.slice(index - this.offset);
    this.offset = index;
  }
}
