// CONTRACT STUB: the raft helper replaces the bodies; the signatures are what the runtime codes against.
import type { ConfState, Entry, HardState, RaftLogReader, Snapshot } from './types.js';

/** The in-memory mirror of the durable log that the Raft core reads (like etcd's MemoryStorage). */
export class MemoryRaftLog implements RaftLogReader {
  initialState(): { hardState: HardState; conf: ConfState } {
    throw new Error('not built');
  }
  entries(_lo: number, _hi: number, _maxBytes: number): Entry[] {
    throw new Error('not built');
  }
  term(_index: number): number {
    throw new Error('not built');
  }
  firstIndex(): number {
    throw new Error('not built');
  }
  lastIndex(): number {
    throw new Error('not built');
  }
  snapshot(): Snapshot {
    throw new Error('not built');
  }
  /** Mirror entries the driver has persisted (same overwrite rule as LogStore.save). */
  append(_entries: Entry[]): void {}
  setHardState(_hardState: HardState): void {}
  /** Install a snapshot (received or loaded at start): drops every entry it covers. */
  applySnapshot(_snapshot: Snapshot): void {}
  /** Record a snapshot of the state machine at `index` (<= applied) taken by the driver. */
  createSnapshot(_index: number, _conf: ConfState, _data: Uint8Array): Snapshot {
    throw new Error('not built');
  }
  /** Drop entries with index <= `index`. */
  compact(_index: number): void {}
}
