/**
 * The durable Raft log of one node on LevelDB (the LogStore port). Format: log-format.ts; verification
 * at start: log-loader.ts; group commit: group-commit.ts.
 *
 * save() turns a batch into LevelDB operations synchronously, against a shadow of what the queue will
 * have written (snapshot index, stored entry range, entry terms), so concurrent saves compose in call
 * order exactly as if each had been written before the next was made. A snapshot taken locally is a file
 * (saveSnapshot, snapshot-file.ts); one received from the leader goes in chunks with its save's batch.
 */
import { crc32 } from 'node:zlib';
import { assert } from '../../platform/assert.js';
import { openLevelDb } from './open-level-db.js';
import { StrataError } from '../../platform/errors.js';
import { type Logger, silentLogger } from '../../platform/logger.js';
import type { LogSaveBatch, LogStore, PersistedLog, SnapshotWriter } from '../../ports/log-store.js';
import type { Snapshot, SnapshotMetadata } from '../../raft/types.js';
import { GroupCommitWriter, type GroupCommitStats, type WriteOp } from './group-commit.js';
import {
  encodeEntry,
  encodeHardState,
  encodeSnapshotChunk,
  encodeSnapshotHeader,
  entryKey,
  HARD_STATE_KEY,
  indexedSnapshotChunkKey,
  SNAPSHOT_CHUNK_BYTES,
  SNAPSHOT_META_KEY,
  snapshotChunkKey,
} from './log-format.js';
import { loadLog, readStoredSnapshot, type LogDb, type SnapshotStorage } from './log-loader.js';
import { removeFiles, removeSnapshotFile, writeSnapshotFile } from './snapshot-file.js';

interface PreviousSnapshot {
  index: number;
  storage: SnapshotStorage;
}

export interface LevelLogStoreOptions {
  /** The LevelDB folder (created if missing). */
  dir: string;
  /** The seed's `[storage] sync_writes`: when false, save(batch, true) does not fsync. */
  syncWrites?: boolean;
  /** LevelDB block cache; the seed's `[metadata] rocksdb_cache_size` maps onto it. */
  cacheSizeBytes?: number;
  /** A group-commit write takes queued saves until it holds about this many bytes. */
  maxBatchBytes?: number;
  logger?: Logger;
}

export type ResolvedLevelLogStoreOptions = Required<LevelLogStoreOptions>;

export function resolveLevelLogStoreOptions(options: LevelLogStoreOptions): ResolvedLevelLogStoreOptions {
  const resolved = {
    dir: options.dir,
    syncWrites: options.syncWrites ?? true,
    cacheSizeBytes: options.cacheSizeBytes ?? 8 * 1024 * 1024,
    maxBatchBytes: options.maxBatchBytes ?? 16 * 1024 * 1024,
    logger: options.logger ?? silentLogger,
  };
  if (typeof resolved.dir !== 'string' || resolved.dir === '') {
    throw new StrataError('InvalidConfig', 'log store dir must be a non-empty path');
  }
  for (const key of ['cacheSizeBytes', 'maxBatchBytes'] as const) {
    if (!Number.isSafeInteger(resolved[key]) || resolved[key] <= 0) {
      throw new StrataError('InvalidConfig', `log store ${key} must be a positive integer, got ${resolved[key]}`);
    }
  }
  return resolved;
}

export interface LevelLogStoreStats extends GroupCommitStats {
  /** save() calls accepted. */
  saves: number;
}

/** Compaction deletes this many keys per queued group, so saves interleave with a long compaction. */
const COMPACT_SLICE = 4096;

export class LevelLogStore implements LogStore {
  private readonly options: ResolvedLevelLogStoreOptions;
  private readonly db: LogDb;
  private readonly writer: GroupCommitWriter;
  private readonly logger: Logger;
  private saves = 0;
  private loaded = false;
  private closed = false;

  // Shadow of the state once every queued group is written.
  private snapIndex = 0;
  private snapTerm = 0;
  private snapChunks = 0;
  private snapStorage: SnapshotStorage = 'chunks';
  /** Stored entry keys are exactly [lo, hi] (none when hi < lo); keys <= snapIndex wait for compact(). */
  private lo = 1;
  private hi = 0;
  /** Terms of the entries snapIndex+1 .. hi (terms[i] is the term of index snapIndex+1+i). */
  private terms: number[] = [];

  private constructor(options: ResolvedLevelLogStoreOptions, db: LogDb) {
    this.options = options;
    this.db = db;
    this.logger = options.logger.child({ component: 'level-log-store', dir: options.dir });
    this.writer = new GroupCommitWriter({
      sink: db,
      syncWrites: options.syncWrites,
      maxBatchBytes: options.maxBatchBytes,
      describe: options.dir,
    });
  }

  static async open(options: LevelLogStoreOptions): Promise<LevelLogStore> {
    const resolved = resolveLevelLogStoreOptions(options);
    const db: LogDb = await openLevelDb(resolved.dir, resolved.cacheSizeBytes);
    return new LevelLogStore(resolved, db);
  }

  get dir(): string {
    return this.options.dir;
  }

  /** Reads and verifies everything; must be called (once) before save() and compact(). */
  async load(): Promise<PersistedLog> {
    this.checkOpen();
    await this.writer.idle();
    const loaded = await loadLog(this.db, this.options.dir);
    const { persisted } = loaded;
    this.snapIndex = persisted.snapshot?.metadata.index ?? 0;
    this.snapTerm = persisted.snapshot?.metadata.term ?? 0;
    this.snapChunks = loaded.snapshotChunks;
    this.snapStorage = loaded.snapshotStorage;
    if (loaded.straySnapshotFiles.length > 0) {
      this.logger.info({ files: loaded.straySnapshotFiles }, 'deleting snapshot files that are not the current snapshot');
      await removeFiles(this.options.dir, loaded.straySnapshotFiles);
    }
    this.terms = persisted.entries.map((e) => e.term);
    this.lo = loaded.firstStoredIndex ?? this.snapIndex + 1;
    this.hi = loaded.lastStoredIndex ?? this.snapIndex;
    if (loaded.dropFromIndex !== undefined) {
      const from = loaded.dropFromIndex;
      this.logger.warn(
        { fromIndex: from, toIndex: this.hi, reason: loaded.dropReason },
        'dropping a damaged tail of the Raft log (never acknowledged)',
      );
      const ops: WriteOp[] = [];
      for (let i = from; i <= this.hi; i++) ops.push({ type: 'del', key: entryKey(i) });
      await this.writer.submit(ops, true);
      this.hi = from - 1;
    }
    if (this.hi < this.lo) {
      this.lo = this.snapIndex + 1;
      this.hi = this.snapIndex;
    }
    this.loaded = true;
    return persisted;
  }

  save(batch: LogSaveBatch, sync: boolean): Promise<void> {
    const ready = this.ready();
    if (ready) return ready;
    const ops: WriteOp[] = [];
    if (batch.hardState) ops.push({ type: 'put', key: HARD_STATE_KEY, value: encodeHardState(batch.hardState) });
    const previous = batch.snapshot ? this.planSnapshot(batch.snapshot, ops) : undefined;
    if (batch.entries.length > 0) this.planEntries(batch, ops);
    this.saves++;
    // Even an empty save is queued: it then resolves only after every earlier save, like any other.
    const written = this.writer.submit(ops, sync);
    return previous === undefined ? written : written.then(() => this.removePreviousFile(previous));
  }

  /**
   * A snapshot taken locally: written to its own file (snapshot-file.ts) while save()s go on, then made
   * current by one synced batch with its metadata record; the previous snapshot's chunks or file go after.
   * A crash before that batch leaves the previous snapshot current (load() deletes the stray file). A
   * snapshot no newer than the current one once its file is written (a leader's was saved meanwhile) is
   * dropped.
   */
  async saveSnapshot(metadata: SnapshotMetadata, write: SnapshotWriter): Promise<void> {
    const ready = this.ready();
    if (ready) return ready;
    const { index } = metadata;
    if (index <= this.snapIndex) return;
    const { crc: dataCrc, bytes } = await writeSnapshotFile(this.options.dir, index, write, this.options.syncWrites);
    const stopped = this.ready();
    if (stopped || index <= this.snapIndex) {
      await removeSnapshotFile(this.options.dir, index);
      return stopped;
    }
    const ops: WriteOp[] = [];
    const previous = this.planCurrentSnapshot(metadata, bytes, 'file', 0, dataCrc, ops);
    this.saves++;
    await this.writer.submit(ops, true);
    await this.removePreviousFile(previous);
  }

  async readSnapshot(): Promise<Snapshot | undefined> {
    return readStoredSnapshot(this.db, this.options.dir);
  }

  async compact(index: number): Promise<void> {
    const ready = this.ready();
    if (ready) return ready;
    assert(index <= this.snapIndex, () => `compact(${index}) beyond the snapshot at ${this.snapIndex}`);
    const upTo = Math.min(index, this.hi);
    const slices: Promise<void>[] = [];
    for (let from = this.lo; from <= upTo; from += COMPACT_SLICE) {
      const ops: WriteOp[] = [];
      for (let i = from; i <= Math.min(upTo, from + COMPACT_SLICE - 1); i++) ops.push({ type: 'del', key: entryKey(i) });
      slices.push(this.writer.submit(ops, false));
    }
    if (upTo >= this.lo) this.lo = upTo + 1;
    await Promise.all(slices);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer.idle();
    await this.db.close();
  }

  stats(): LevelLogStoreStats {
    return { ...this.writer.stats(), saves: this.saves };
  }

  private checkOpen(): void {
    if (this.closed) throw new StrataError('Stopped', `log store ${this.options.dir} is closed`);
  }

  /** A rejected promise if the store cannot take writes; undefined when it can. */
  private ready(): Promise<void> | undefined {
    if (this.closed) return Promise.reject(new StrataError('Stopped', `log store ${this.options.dir} is closed`));
    const failure = this.writer.failed();
    if (failure) return Promise.reject(failure);
    assert(this.loaded, 'LevelLogStore.load() must run before save() or compact()');
    return undefined;
  }

  private termAt(index: number): number | undefined {
    if (index === this.snapIndex) return this.snapTerm;
    if (index < this.snapIndex) return undefined;
    return this.terms[index - this.snapIndex - 1];
  }

  /** The file of a snapshot that is no longer current, if it was a file; a failure only leaves a stray file. */
  private async removePreviousFile(previous: PreviousSnapshot | undefined): Promise<void> {
    if (previous?.storage !== 'file') return;
    try {
      await removeSnapshotFile(this.options.dir, previous.index);
    } catch (err) {
      this.logger.warn({ err, index: previous.index }, 'could not delete an old snapshot file; the next start deletes it');
    }
  }

  /** A snapshot passed to save(): chunks and metadata in that save's one atomic batch. */
  private planSnapshot(snapshot: Snapshot, ops: WriteOp[]): PreviousSnapshot | undefined {
    const { index } = snapshot.metadata;
    const data = snapshot.data;
    const chunks = Math.ceil(data.byteLength / SNAPSHOT_CHUNK_BYTES);
    let dataCrc = 0;
    for (let c = 0; c < chunks; c++) {
      const part = data.subarray(c * SNAPSHOT_CHUNK_BYTES, (c + 1) * SNAPSHOT_CHUNK_BYTES);
      dataCrc = crc32(part, dataCrc);
      ops.push({ type: 'put', key: indexedSnapshotChunkKey(index, c), value: encodeSnapshotChunk(index, c, part) });
    }
    return this.planCurrentSnapshot(snapshot.metadata, snapshot.data.byteLength, 'chunks', chunks, dataCrc, ops);
  }

  /**
   * The metadata record that makes a snapshot (its chunks already planned or written) current. A snapshot
   * whose (index, term) matches an entry we hold (one taken locally) keeps the entries after it; any other
   * snapshot replaces the whole log (as etcd's restore does). Entries at or below it stay on disk until
   * compact(); load() never reads them. Returns the previous snapshot, whose file (if any) the caller
   * deletes once the batch is written.
   */
  private planCurrentSnapshot(
    metadata: SnapshotMetadata,
    dataBytes: number,
    storage: SnapshotStorage,
    chunks: number,
    dataCrc: number,
    ops: WriteOp[],
  ): PreviousSnapshot | undefined {
    const { index, term } = metadata;
    assert(index >= this.snapIndex, () => `snapshot ${index} is older than the stored snapshot ${this.snapIndex}`);
    // The previous snapshot's chunks go (those under the very keys just written stay: a re-saved snapshot).
    for (let c = 0; c < this.snapChunks; c++) {
      if (this.snapStorage === 'legacy-chunks') ops.push({ type: 'del', key: snapshotChunkKey(c) });
      else if (this.snapIndex !== index || c >= chunks) ops.push({ type: 'del', key: indexedSnapshotChunkKey(this.snapIndex, c) });
    }
    const previous = this.snapStorage === 'file' && this.snapIndex !== index ? { index: this.snapIndex, storage: this.snapStorage } : undefined;
    const header = encodeSnapshotHeader({ metadata, dataBytes, chunkCount: chunks, dataCrc });
    ops.push({ type: 'put', key: SNAPSHOT_META_KEY, value: header });

    if (this.termAt(index) === term) {
      this.terms = this.terms.slice(index - this.snapIndex);
    } else {
      for (let i = this.lo; i <= this.hi; i++) ops.push({ type: 'del', key: entryKey(i) });
      this.lo = index + 1;
      this.hi = index;
      this.terms = [];
    }
    this.snapIndex = index;
    this.snapTerm = term;
    this.snapChunks = chunks;
    this.snapStorage = storage;
    return previous;
  }

  private planEntries(batch: LogSaveBatch, ops: WriteOp[]): void {
    const entries = batch.entries;
    const first = entries[0]!.index;
    const last = entries[entries.length - 1]!.index;
    const lastIndex = Math.max(this.hi, this.snapIndex);
    assert(first > this.snapIndex, () => `entry ${first} is covered by the snapshot at ${this.snapIndex}`);
    assert(first <= lastIndex + 1, () => `entry ${first} would leave a gap after the last index ${lastIndex}`);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      assert(e.index === first + i, () => `entries not contiguous: ${e.index} after ${first + i - 1}`);
    }
    // Truncate in place (an append is then O(1)), after the checks so a failed assert changes nothing.
    this.terms.length = first - this.snapIndex - 1;
    for (const e of entries) {
      ops.push({ type: 'put', key: entryKey(e.index), value: encodeEntry(e) });
      this.terms.push(e.term);
    }
    // An overwritten index drops every later entry (conflict truncation), in the same atomic batch.
    for (let i = last + 1; i <= this.hi; i++) ops.push({ type: 'del', key: entryKey(i) });
    if (this.hi < this.lo) this.lo = first;
    this.hi = last;
  }
}
