/**
 * Group commit over LevelDB: callers submit groups of operations; one writer at a time turns every group
 * waiting in the queue into a single chained batch and one (fsynced) write. A group's promise resolves
 * only after the write that carried it completed, so a synced group is durable when it resolves. Groups
 * are written in submission order and each batch applies its operations in order, so a later group never
 * lands before an earlier one.
 */
import { StrataError } from '../../platform/errors.js';

export type WriteOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

/** The slice of a LevelDB handle the writer needs (classic-level's chained batch). */
export interface BatchSink {
  batch(): {
    put(key: Buffer, value: Buffer): unknown;
    del(key: Buffer): unknown;
    write(options: { sync: boolean }): Promise<void>;
    close(): Promise<void>;
  };
}

export interface GroupCommitStats {
  /** Groups submitted (one per save or compaction slice). */
  groups: number;
  /** Underlying LevelDB batch writes, and how many of them were fsynced. */
  writes: number;
  syncedWrites: number;
  ops: number;
  bytes: number;
  /** The most groups one write carried. */
  maxGroupsPerWrite: number;
}

export interface GroupCommitWriterOptions {
  sink: BatchSink;
  /** When false, groups that ask for sync are written without fsync (the seed's sync_writes = false). */
  syncWrites: boolean;
  /** A write takes queued groups until it holds about this many bytes (always at least one group). */
  maxBatchBytes: number;
  /** Names the store in errors. */
  describe: string;
}

interface Pending {
  ops: WriteOp[];
  bytes: number;
  sync: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommitWriter {
  private readonly options: GroupCommitWriterOptions;
  private queue: Pending[] = [];
  private writing = false;
  private failure: StrataError | undefined;
  private idleWaiters: Array<() => void> = [];
  private readonly counters: GroupCommitStats = {
    groups: 0,
    writes: 0,
    syncedWrites: 0,
    ops: 0,
    bytes: 0,
    maxGroupsPerWrite: 0,
  };

  constructor(options: GroupCommitWriterOptions) {
    this.options = options;
  }

  /** Queue one group; resolves once it is written (and fsynced if `sync` and syncWrites). */
  submit(ops: WriteOp[], sync: boolean): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    let bytes = 0;
    for (const op of ops) bytes += op.key.length + (op.type === 'put' ? op.value.length : 0);
    this.counters.groups++;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, bytes, sync, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        void this.run();
      }
    });
  }

  /** Resolves when nothing is queued or being written. */
  idle(): Promise<void> {
    if (!this.writing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Set once a write failed: the on-disk state is then unknown and every later submit fails. */
  failed(): StrataError | undefined {
    return this.failure;
  }

  stats(): GroupCommitStats {
    return { ...this.counters };
  }

  private async run(): Promise<void> {
    // Yield once so that saves issued in the same synchronous run share the first write too.
    await Promise.resolve();
    while (this.queue.length > 0) {
      const taken = this.take();
      const sync = this.options.syncWrites && taken.some((p) => p.sync);
      try {
        await this.write(taken, sync);
      } catch (err) {
        this.failure = new StrataError('Internal', `LevelDB write failed in ${this.options.describe}`, {
          cause: err,
        });
        for (const p of taken) p.reject(this.failure);
        for (const p of this.queue) p.reject(this.failure);
        this.queue = [];
        break;
      }
      for (const p of taken) p.resolve();
    }
    this.writing = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private take(): Pending[] {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && (n === 0 || bytes + this.queue[n]!.bytes <= this.options.maxBatchBytes)) {
      bytes += this.queue[n]!.bytes;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async write(taken: Pending[], sync: boolean): Promise<void> {
    const batch = this.options.sink.batch();
    let ops = 0;
    let bytes = 0;
    try {
      for (const p of taken) {
        for (const op of p.ops) {
          if (op.type === 'put') batch.put(op.key, op.value);
          else batch.del(op.key);
        }
        ops += p.ops.length;
        bytes += p.bytes;
      }
    } catch (err) {
      await batch.close();
      throw err;
    }
    await batch.write({ sync });
    const c = this.counters;
    c.writes++;
    if (sync) c.syncedWrites++;
    c.ops += ops;
    c.bytes += bytes;
    c.maxGroupsPerWrite = Math.max(c.maxGroupsPerWrite, taken.length);
  }
}
