/**
 * Reads and verifies the Raft log at start: hard state, snapshot (all chunks), then every entry after
 * the snapshot. It only reads; a tail to drop is returned for the store to delete.
 *
 * What counts as "the tail" (a torn or rotten record we may drop instead of refusing to start):
 *   Walk the entries from snapshot.index + 1 upward and stop at the first problem at index P (a record
 *   with a bad checksum or frame, an index that differs from its key, a term lower than the one before,
 *   or a missing index). The problem is AT THE TAIL iff
 *     (a) no stored entry record with an index above P decodes cleanly (P is the highest stored index, or
 *         everything after it is bad too), and
 *     (b) P > hardState.commit: entries up to the commit index were made durable before that commit was
 *         recorded, so losing one of them is never a torn write; it is corruption.
 *   A tail problem drops entries P and above, with a warning: they were never acknowledged, since a batch
 *   is written and fsynced as a whole. Any other problem, a bad hard state, a bad snapshot, or a commit
 *   index beyond the last entry makes load() throw StrataError('Corruption').
 */
import { crc32 } from 'node:zlib';
import type { Level } from 'level';
import { StrataError } from '../../platform/errors.js';
import type { PersistedLog } from '../../ports/log-store.js';
import type { Entry, HardState, Snapshot } from '../../raft/types.js';
import {
  type BadRecord,
  decodeEntry,
  decodeHardState,
  decodeSnapshotChunk,
  decodeSnapshotHeader,
  ENTRY_KEY_END,
  entryKey,
  entryKeyIndex,
  HARD_STATE_KEY,
  hex,
  indexedSnapshotChunkKey,
  isEntryKey,
  isFileSnapshot,
  SNAPSHOT_META_KEY,
  snapshotChunkKey,
  type SnapshotHeader,
} from './log-format.js';
import { readSnapshotFile, snapshotFileName, strayFiles } from './snapshot-file.js';

export type LogDb = Level<Buffer, Buffer>;

export interface LoadedLog {
  persisted: PersistedLog;
  /** Chunks of the stored snapshot (0 without one). */
  snapshotChunks: number;
  /** Where the stored snapshot's data is (log-format.ts). */
  snapshotStorage: SnapshotStorage;
  /** Snapshot files other than the current one (a crash while one was written, or a race with a leader's). */
  straySnapshotFiles: string[];
  /** Entries with index >= this are bad and must be deleted (a tail problem), if set. */
  dropFromIndex?: number;
  /** The lowest and highest entry keys stored (entries at or below the snapshot included); undefined if none. */
  firstStoredIndex?: number;
  lastStoredIndex?: number;
  /** Why the tail is dropped, for the warning. */
  dropReason?: string;
}

const SCAN_BATCH = 1024;

function corruption(dir: string, what: string, details: Record<string, unknown>): StrataError {
  return new StrataError('Corruption', `Raft log in LevelDB folder ${dir} is corrupt: ${what}`, {
    details: { dir, ...details },
  });
}

function describeBad(bad: BadRecord): string {
  if (bad.expectedCrc === undefined) return bad.reason;
  return `${bad.reason} (expected checksum ${hex(bad.expectedCrc)}, found ${hex(bad.foundCrc)})`;
}

async function loadHardState(db: LogDb, dir: string): Promise<HardState> {
  const raw = await db.get(HARD_STATE_KEY);
  if (raw === undefined) return { term: 0, vote: 0, commit: 0 };
  const hs = decodeHardState(raw);
  if (!hs.ok) {
    throw corruption(dir, `hard state (key ${HARD_STATE_KEY.toString('hex')}): ${describeBad(hs)}`, {
      key: HARD_STATE_KEY.toString('hex'),
      expectedCrc: hs.expectedCrc,
      foundCrc: hs.foundCrc,
    });
  }
  return hs.value;
}

/** chunks: indexed chunk keys; legacy-chunks: the old 0x03 keys; file: snapshot-file.ts. */
export type SnapshotStorage = 'chunks' | 'legacy-chunks' | 'file';

interface LoadedSnapshot {
  snapshot?: Snapshot;
  chunks: number;
  storage: SnapshotStorage;
}

async function loadSnapshotFile(dir: string, h: SnapshotHeader): Promise<LoadedSnapshot> {
  const where = `snapshot ${h.metadata.index} (file ${snapshotFileName(h.metadata.index)})`;
  const data = await readSnapshotFile(dir, h.metadata.index);
  if (data === undefined) throw corruption(dir, `${where}: missing`, {});
  if (data.length !== h.dataBytes) throw corruption(dir, `${where}: ${data.length} bytes found, ${h.dataBytes} recorded`, {});
  const crc = crc32(data);
  if (crc !== h.dataCrc) {
    throw corruption(dir, `${where}: checksum mismatch (expected ${hex(h.dataCrc)}, found ${hex(crc)})`, { expectedCrc: h.dataCrc, foundCrc: crc });
  }
  return { snapshot: { metadata: h.metadata, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }, chunks: 0, storage: 'file' };
}

async function loadSnapshot(db: LogDb, dir: string): Promise<LoadedSnapshot> {
  const raw = await db.get(SNAPSHOT_META_KEY);
  if (raw === undefined) return { chunks: 0, storage: 'chunks' };
  const header = decodeSnapshotHeader(raw);
  if (!header.ok) {
    throw corruption(dir, `snapshot metadata (key ${SNAPSHOT_META_KEY.toString('hex')}): ${describeBad(header)}`, {
      key: SNAPSHOT_META_KEY.toString('hex'),
      expectedCrc: header.expectedCrc,
      foundCrc: header.foundCrc,
    });
  }
  const h = header.value;
  if (isFileSnapshot(h)) return loadSnapshotFile(dir, h);
  let legacy = false;
  let keys = Array.from({ length: h.chunkCount }, (_, i) => indexedSnapshotChunkKey(h.metadata.index, i));
  let values = keys.length === 0 ? [] : await db.getMany(keys);
  if (keys.length > 0 && values.every((v) => v === undefined)) {
    const legacyKeys = Array.from({ length: h.chunkCount }, (_, i) => snapshotChunkKey(i));
    const legacyValues = await db.getMany(legacyKeys);
    if (legacyValues.some((v) => v !== undefined)) {
      legacy = true;
      keys = legacyKeys;
      values = legacyValues;
    }
  }
  const data = Buffer.allocUnsafe(h.dataBytes);
  let at = 0;
  let crc = 0;
  for (let i = 0; i < h.chunkCount; i++) {
    const where = `snapshot ${h.metadata.index} chunk ${i} (key ${keys[i]!.toString('hex')})`;
    const value = values[i];
    if (value === undefined) throw corruption(dir, `${where}: missing`, { chunk: i });
    const chunk = decodeSnapshotChunk(value);
    if (!chunk.ok) {
      throw corruption(dir, `${where}: ${describeBad(chunk)}`, {
        chunk: i,
        expectedCrc: chunk.expectedCrc,
        foundCrc: chunk.foundCrc,
      });
    }
    const c = chunk.value;
    if (c.snapshotIndex !== h.metadata.index || c.chunkNo !== i) {
      throw corruption(dir, `${where}: belongs to snapshot ${c.snapshotIndex} chunk ${c.chunkNo}`, { chunk: i });
    }
    if (at + c.bytes.length > h.dataBytes) throw corruption(dir, `${where}: more data than the ${h.dataBytes} bytes recorded`, {});
    data.set(c.bytes, at);
    at += c.bytes.length;
    crc = crc32(c.bytes, crc);
  }
  if (at !== h.dataBytes) throw corruption(dir, `snapshot ${h.metadata.index}: ${at} bytes found, ${h.dataBytes} recorded`, {});
  if (crc !== h.dataCrc) {
    throw corruption(
      dir,
      `snapshot ${h.metadata.index} data: checksum mismatch (expected ${hex(h.dataCrc)}, found ${hex(crc)})`,
      { expectedCrc: h.dataCrc, foundCrc: crc },
    );
  }
  return { snapshot: { metadata: h.metadata, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }, chunks: h.chunkCount, storage: legacy ? 'legacy-chunks' : 'chunks' };
}

interface Problem {
  index: number;
  what: string;
  details: Record<string, unknown>;
}

async function storedIndexBound(db: LogDb, reverse: boolean): Promise<number | undefined> {
  const keys = await db.keys({ gte: entryKey(0), lt: ENTRY_KEY_END, limit: 1, reverse }).all();
  return keys.length === 0 ? undefined : entryKeyIndex(keys[0]!);
}

/** The current snapshot, read and verified as at load (LogStore.readSnapshot). */
export async function readStoredSnapshot(db: LogDb, dir: string): Promise<Snapshot | undefined> {
  return (await loadSnapshot(db, dir)).snapshot;
}

export async function loadLog(db: LogDb, dir: string): Promise<LoadedLog> {
  const hardState = await loadHardState(db, dir);
  const { snapshot, chunks, storage } = await loadSnapshot(db, dir);
  const snapIndex = snapshot?.metadata.index ?? 0;
  let prevTerm = snapshot?.metadata.term ?? 0;

  const entries: Entry[] = [];
  let problem: Problem | undefined;
  let expected = snapIndex + 1;
  const it = db.iterator({ gte: entryKey(snapIndex + 1), lt: ENTRY_KEY_END });
  try {
    for (;;) {
      const page = await it.nextv(SCAN_BATCH);
      if (page.length === 0) break;
      for (const [key, value] of page) {
        if (!isEntryKey(key)) continue;
        const index = entryKeyIndex(key);
        const decoded = decodeEntry(value);
        if (problem) {
          // Something before was bad: a clean record after it means the damage is not at the tail.
          if (decoded.ok) {
            throw corruption(dir, `${problem.what}, followed by a valid entry ${index}`, {
              ...problem.details,
              nextValidIndex: index,
            });
          }
          continue;
        }
        const keyHex = key.toString('hex');
        if (index !== expected) {
          problem = { index: expected, what: `entry ${expected} is missing (next stored entry is ${index})`, details: { index: expected } };
          if (decoded.ok) throw corruption(dir, problem.what, problem.details);
          continue;
        }
        if (!decoded.ok) {
          problem = {
            index,
            what: `entry ${index} (key ${keyHex}): ${describeBad(decoded)}`,
            details: { index, key: keyHex, expectedCrc: decoded.expectedCrc, foundCrc: decoded.foundCrc },
          };
          continue;
        }
        const entry = decoded.value;
        if (entry.index !== index) {
          problem = { index, what: `entry key ${index} (key ${keyHex}) holds entry ${entry.index}`, details: { index, key: keyHex } };
          continue;
        }
        if (entry.term < prevTerm) {
          problem = {
            index,
            what: `entry ${index} (key ${keyHex}) has term ${entry.term}, below the term ${prevTerm} before it`,
            details: { index, key: keyHex },
          };
          continue;
        }
        entries.push(entry);
        prevTerm = entry.term;
        expected++;
      }
    }
  } finally {
    await it.close();
  }

  if (problem && problem.index <= hardState.commit) {
    throw corruption(dir, `${problem.what}, at or below the commit index ${hardState.commit}`, {
      ...problem.details,
      commit: hardState.commit,
    });
  }
  const lastIndex = snapIndex + entries.length;
  if (hardState.commit > lastIndex) {
    throw corruption(dir, `hard state commit index ${hardState.commit} is beyond the last log entry ${lastIndex}`, {
      commit: hardState.commit,
      lastIndex,
    });
  }
  const persisted: PersistedLog = snapshot ? { hardState, snapshot, entries } : { hardState, entries };
  const firstStoredIndex = await storedIndexBound(db, false);
  const lastStoredIndex = await storedIndexBound(db, true);
  return {
    persisted,
    snapshotChunks: chunks,
    snapshotStorage: storage,
    straySnapshotFiles: await strayFiles(dir, storage === 'file' ? snapshot?.metadata.index : undefined),
    firstStoredIndex,
    lastStoredIndex,
    ...(problem ? { dropFromIndex: problem.index, dropReason: problem.what } : {}),
  };
}
