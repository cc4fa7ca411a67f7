import { crc32 } from 'node:zlib';
import { assert } from '../platform/assert.js';
import type { Random } from '../platform/random.js';
import type { LogSaveBatch, LogStore, PersistedLog, SnapshotWriter } from '../ports/log-store.js';
import type { Entry, NodeId, Snapshot, SnapshotMetadata } from '../raft/types.js';
import type { SimClock } from './sim-clock.js';

export interface SimDiskOptions {
  clock: SimClock;
  random: Random;
  /** fsync latency, uniform in [minFsyncMs, maxFsyncMs] per sync. */
  minFsyncMs?: number;
  maxFsyncMs?: number;
  trace?: (line: string) => void;
}

export function resolveSimDiskOptions(o: SimDiskOptions): Required<SimDiskOptions> {
  return { minFsyncMs: 1, maxFsyncMs: 4, trace: () => {}, ...o };
}

export interface CrashOptions {
  /** Lose writes that were never fsynced (power loss). A clean process kill keeps them (OS page cache). */
  loseUnsynced: boolean;
  /** Leave a partially written record after the surviving ones, which load() must detect and drop. */
  tornTail: boolean;
}

type Record_ = { kind: 'save'; batch: LogSaveBatch } | { kind: 'compact'; index: number };

/** One node's disk: survives the node's crashes and restarts. */
interface Platter {
  /** State folded from every record known durable. */
  base: PersistedLog;
  /** Durable bytes not yet folded: encoded records, possibly ending in a torn one (after a crash). */
  wal: Uint8Array[];
  /** Written but not yet fsynced, in write order. */
  unsynced: Record_[];
  /** Sequence number of the next record, and of the newest record known durable. */
  nextSeq: number;
  syncedSeq: number;
  /** Completion time of the latest fsync: fsyncs on one disk finish in order. */
  lastFsyncDoneMs: number;
  /** Incarnation of the store that may use the disk (a crash bumps it). */
  generation: number;
}

/**
 * Simulated disks, one per node, implementing LogStore. Writes are applied in order; a save with
 * sync=true resolves only after a seeded fsync latency, and from then on it (and every earlier write) is
 * durable. crash() decides what a power loss leaves: all durable writes, a seeded prefix of the unsynced
 * ones (or all of them for a process kill) and optionally a torn record, which load() detects by length
 * and checksum and truncates, as the LevelDB store does with a torn WAL tail.
 */
export class SimDisk {
  private readonly clock: SimClock;
  private readonly random: Random;
  private readonly minFsyncMs: number;
  private readonly maxFsyncMs: number;
  private readonly trace: (line: string) => void;
  private readonly platters = new Map<NodeId, Platter>();
  /** Torn records dropped by load(), for tests and traces. */
  tornRecordsDropped = 0;

  constructor(options: SimDiskOptions) {
    const o = resolveSimDiskOptions(options);
    this.clock = o.clock;
    this.random = o.random;
    this.minFsyncMs = o.minFsyncMs;
    this.maxFsyncMs = o.maxFsyncMs;
    this.trace = o.trace;
  }

  /** A LogStore for a new incarnation of `nodeId`; an older store of that node goes inert. */
  open(nodeId: NodeId): LogStore {
    let p = this.platters.get(nodeId);
    if (!p) {
      p = {
        base: emptyLog(),
        wal: [],
        unsynced: [],
        nextSeq: 1,
        syncedSeq: 0,
        lastFsyncDoneMs: 0,
        generation: 0,
      };
      this.platters.set(nodeId, p);
    }
    p.generation++;
    return new SimLogStore(this, p, p.generation);
  }

  /** The node lost power (or its process died): see CrashOptions. Its store's pending calls never resolve. */
  crash(nodeId: NodeId, options: CrashOptions): void {
    const p = this.platters.get(nodeId);
    if (!p) return;
    p.generation++;
    const unsynced = p.unsynced;
    p.unsynced = [];
    const keep = options.loseUnsynced ? this.random.int(unsynced.length + 1) : unsynced.length;
    for (let i = 0; i < keep; i++) p.wal.push(encodeRecord(unsynced[i]));
    let torn = false;
    if (options.tornTail) {
      // A partially written record: the next unsynced one if there is one, else a fresh garbage write.
      const victim: Record_ = unsynced[keep] ?? { kind: 'compact', index: 0 };
      const bytes = encodeRecord(victim);
      p.wal.push(bytes.subarray(0, Math.max(1, this.random.int(bytes.length))));
      torn = true;
    }
    p.syncedSeq = p.nextSeq - 1;
    this.trace(`disk crash node=${nodeId} kept=${keep}/${unsynced.length} torn=${torn}`);
  }

  /** The durable state a restart of `nodeId` would load (for checkers and tests). */
  durableState(nodeId: NodeId): PersistedLog {
    const p = this.platters.get(nodeId);
    return p ? this.recover(p) : emptyLog();
  }

  // --- used by SimLogStore -------------------------------------------------------------------

  isCurrent(p: Platter, generation: number): boolean {
    return p.generation === generation;
  }

  recover(p: Platter): PersistedLog {
    // Replay the durable records in order; the first one that fails its length or checksum is a torn
    // tail: it and everything after it are truncated.
    const state = p.base;
    for (let i = 0; i < p.wal.length; i++) {
      const rec = decodeRecord(p.wal[i]);
      if (!rec) {
        this.tornRecordsDropped += p.wal.length - i;
        this.trace(`disk load dropped ${p.wal.length - i} torn record(s)`);
        break;
      }
      applyRecord(state, rec);
    }
    p.base = state;
    p.wal = [];
    const firstIndex = (state.snapshot?.metadata.index ?? 0) + 1;
    assert(
      state.entries.length === 0 || state.entries[0].index === firstIndex,
      () => `durable log has a hole: entries start at ${state.entries[0].index}, expected ${firstIndex}`,
    );
    return cloneLog(state);
  }

  write(p: Platter, rec: Record_): number {
    p.unsynced.push(rec);
    return p.nextSeq++;
  }

  /** Resolves once everything written up to now is durable (fsyncs on one disk complete in order). */
  fsync(p: Platter, generation: number): Promise<void> {
    const upTo = p.nextSeq - 1;
    const doneMs = Math.max(p.lastFsyncDoneMs, this.clock.nowMs() + this.random.between(this.minFsyncMs, this.maxFsyncMs));
    p.lastFsyncDoneMs = doneMs;
    return new Promise<void>((resolve) => {
      this.clock.setTimeout(() => {
        if (p.generation !== generation) return; // crashed before the fsync finished: never resolves
        this.markDurable(p, upTo);
        resolve();
      }, doneMs - this.clock.nowMs());
    });
  }

  private markDurable(p: Platter, upTo: number): void {
    if (upTo <= p.syncedSeq) return;
    const count = upTo - p.syncedSeq;
    const done = p.unsynced.splice(0, count);
    for (const rec of done) applyRecord(p.base, rec);
    p.syncedSeq = upTo;
  }
}

class SimLogStore implements LogStore {
  private closed = false;

  constructor(
    private readonly disk: SimDisk,
    private readonly platter: Platter,
    private readonly generation: number,
  ) {}

  private live(): boolean {
    return !this.closed && this.disk.isCurrent(this.platter, this.generation);
  }

  async load(): Promise<PersistedLog> {
    if (!this.live()) return never();
    // A fresh process sees durable state plus its own unsynced writes (none yet: load comes first).
    assert(this.platter.unsynced.length === 0, 'SimLogStore.load after writes');
    return this.disk.recover(this.platter);
  }

  async save(batch: LogSaveBatch, sync: boolean): Promise<void> {
    if (!this.live()) return never();
    this.disk.write(this.platter, { kind: 'save', batch: cloneBatch(batch) });
    if (sync) await this.disk.fsync(this.platter, this.generation);
  }

  /** Gathered, then written as one synced save: applyRecord drops a snapshot no newer than the stored one. */
  async saveSnapshot(metadata: SnapshotMetadata, write: SnapshotWriter): Promise<void> {
    const slices: Uint8Array[] = [];
    const bytes = await write(async (slice) => void slices.push(Uint8Array.from(slice)));
    const data = Buffer.concat(slices, bytes);
    return this.save({ entries: [], snapshot: { metadata, data } }, true);
  }

  /** The durable snapshot (a released one is only ever durable). */
  async readSnapshot(): Promise<Snapshot | undefined> {
    if (!this.live()) return never();
    return this.platter.base.snapshot;
  }

  async compact(index: number): Promise<void> {
    if (!this.live()) return never();
    this.disk.write(this.platter, { kind: 'compact', index });
  }

  async close(): Promise<void> {
    if (!this.live()) return;
    await this.disk.fsync(this.platter, this.generation);
    this.closed = true;
  }
}

/** A crashed process never sees its I/O finish. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

// --- the log state and its rules (the same as LogStore's contract) ------------------------------

export function emptyLog(): PersistedLog {
  return { hardState: { term: 0, vote: 0, commit: 0 }, entries: [] };
}

function cloneLog(l: PersistedLog): PersistedLog {
  return { hardState: { ...l.hardState }, snapshot: l.snapshot, entries: l.entries.slice() };
}

function cloneBatch(b: LogSaveBatch): LogSaveBatch {
  return {
    hardState: b.hardState ? { ...b.hardState } : undefined,
    entries: b.entries.map((e) => ({ ...e })),
    snapshot: b.snapshot,
  };
}

/** Apply one record in place: snapshot first (keeping later entries only if the log matches it), then entries. */
export function applyRecord(out: PersistedLog, rec: Record_): PersistedLog {
  if (rec.kind === 'compact') {
    const cut = out.entries.findIndex((e) => e.index > rec.index);
    out.entries = cut < 0 ? [] : out.entries.slice(cut);
    return out;
  }
  const { batch } = rec;
  if (batch.snapshot && batch.snapshot.metadata.index > (out.snapshot?.metadata.index ?? 0)) {
    const s = batch.snapshot.metadata;
    const at = out.entries.find((e) => e.index === s.index);
    out.entries = at && at.term === s.term ? out.entries.filter((e) => e.index > s.index) : [];
    out.snapshot = batch.snapshot;
  }
  if (batch.entries.length > 0) {
    const first = batch.entries[0].index;
    const es = out.entries;
    const last = es.length > 0 ? es[es.length - 1].index : (out.snapshot?.metadata.index ?? 0);
    assert(first <= last + 1, () => `log gap: appending ${first} after ${last}`);
    // An entry at a stored index replaces it and drops every later one.
    while (es.length > 0 && es[es.length - 1].index >= first) es.pop();
    for (const e of batch.entries) es.push(e);
  }
  if (batch.hardState) out.hardState = { ...batch.hardState };
  return out;
}

// --- the on-disk record format: [length u32][crc32 u32][JSON payload] ---------------------------

const b64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

function encodeEntry(e: Entry): unknown {
  return { t: e.term, i: e.index, y: e.type, d: b64(e.data) };
}

function decodeEntry(j: { t: number; i: number; y: Entry['type']; d: string }): Entry {
  return { term: j.t, index: j.i, type: j.y, data: unb64(j.d) };
}

function encodeSnapshot(s: Snapshot): unknown {
  return { m: s.metadata, d: b64(s.data) };
}

export function encodeRecord(rec: Record_): Uint8Array {
  const json =
    rec.kind === 'compact'
      ? { k: 'c', i: rec.index }
      : {
          k: 's',
          h: rec.batch.hardState,
          e: rec.batch.entries.map(encodeEntry),
          s: rec.batch.snapshot ? encodeSnapshot(rec.batch.snapshot) : undefined,
        };
  const payload = Buffer.from(JSON.stringify(json));
  const out = Buffer.alloc(8 + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  payload.copy(out, 8);
  return out;
}

/** The record, or undefined when it is torn (short or failing its checksum). */
export function decodeRecord(bytes: Uint8Array): Record_ | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8) return undefined;
  const len = buf.readUInt32LE(0);
  if (buf.length !== 8 + len) return undefined;
  const payload = buf.subarray(8);
  if (crc32(payload) !== buf.readUInt32LE(4)) return undefined;
  const j = JSON.parse(payload.toString());
  if (j.k === 'c') return { kind: 'compact', index: j.i };
  return {
    kind: 'save',
    batch: {
      hardState: j.h,
      entries: j.e.map(decodeEntry),
      snapshot: j.s ? { metadata: j.s.m, data: unb64(j.s.d) } : undefined,
    },
  };
}
