import type { Entry, HardState, Snapshot, SnapshotMetadata } from '../raft/types.js';
import type { SnapshotOut } from './state-machine.js';

/** Writes a snapshot's bytes by handing them to `out` one slice after the other, awaiting each; resolves with the byte count. */
export type SnapshotWriter = (out: SnapshotOut) => Promise<number>;

/** What a node finds on disk when it starts. */
export interface PersistedLog {
  hardState: HardState;
  /** The newest snapshot, if one was taken or received. */
  snapshot?: Snapshot;
  /** Entries after the snapshot, in index order, without gaps. */
  entries: Entry[];
}

export interface LogSaveBatch {
  hardState?: HardState;
  /** New entries; an entry at an index already stored replaces it and drops every later one. */
  entries: Entry[];
  /** A snapshot received from the leader or taken locally; entries it covers may be dropped. */
  snapshot?: Snapshot;
}

/**
 * The durable Raft log, hard state and snapshot of one node. Implementations: storage/level (LevelDB)
 * and the simulator's SimDisk. Raft itself reads an in-memory mirror (raft/memory-log), never this.
 */
export interface LogStore {
  load(): Promise<PersistedLog>;
  /**
   * Persist one batch atomically. With `sync` the promise resolves only once the batch is on stable
   * storage; concurrent calls may share one fsync (group commit).
   */
  save(batch: LogSaveBatch, sync: boolean): Promise<void>;
  /**
   * Persist a snapshot taken locally (it covers entries this store holds) without holding up the save()s
   * made while it is written; resolves once it is durable. `write` hands over its bytes a slice at a
   * time, so the whole snapshot is never in memory at once. One no newer than the stored snapshot by then
   * is dropped. The previous snapshot stays readable until this one is complete.
   */
  saveSnapshot(metadata: SnapshotMetadata, write: SnapshotWriter): Promise<void>;
  /**
   * The current durable snapshot read back from storage (checksum verified), or undefined if there is
   * none. A save made meanwhile may make a newer one current, or fail the read of the one it replaced.
   */
  readSnapshot(): Promise<Snapshot | undefined>;
  /** Forget entries with index <= `index` (a persisted snapshot covers them). */
  compact(index: number): Promise<void>;
  close(): Promise<void>;
}
