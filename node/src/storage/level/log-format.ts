/**
 * The on-disk format of the Raft log in LevelDB: keys and checksummed record values.
 *
 * Keys (one prefix byte, then fixed-width big-endian numbers so LevelDB's byte order is index order):
 *   0x01                      hard state
 *   0x02                      snapshot metadata (index, term, conf, data length, chunk count, data CRC)
 *   0x03 u32 chunkNo          snapshot data, in chunks of at most SNAPSHOT_CHUNK_BYTES (written before
 *                             snapshots were staged; still read)
 *   0x04 u64 index u32 chunkNo  snapshot data of a snapshot received from the leader, at `index`
 * A snapshot taken locally is a file (snapshot-file.ts); its metadata record says 0 chunks (and more
 * than 0 bytes).
 *   0x10 u64 index            one log entry
 *
 * Every value starts with `u32 crc | u8 kind`; the CRC (zlib.crc32, IEEE) covers everything after it, and
 * the record repeats what its key says (index, chunk number) so a value under the wrong key is caught.
 */
import { crc32 } from 'node:zlib';
import { assert } from '../../platform/assert.js';
import type { ConfState, Entry, EntryType, HardState, SnapshotMetadata } from '../../raft/types.js';

export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;

const PREFIX_HARD_STATE = 0x01;
const PREFIX_SNAPSHOT_META = 0x02;
const PREFIX_SNAPSHOT_CHUNK = 0x03;
const PREFIX_INDEXED_SNAPSHOT_CHUNK = 0x04;
const PREFIX_ENTRY = 0x10;

const KIND_ENTRY = 1;
const KIND_HARD_STATE = 2;
const KIND_SNAPSHOT_META = 3;
const KIND_SNAPSHOT_CHUNK = 4;

const HEADER_BYTES = 5; // u32 crc + u8 kind
const TWO_32 = 2 ** 32;

export const HARD_STATE_KEY = Buffer.from([PREFIX_HARD_STATE]);
export const SNAPSHOT_META_KEY = Buffer.from([PREFIX_SNAPSHOT_META]);

function writeU64(buf: Buffer, offset: number, n: number): void {
  assert(Number.isSafeInteger(n) && n >= 0, () => `u64 field out of range: ${n}`);
  buf.writeUInt32BE(Math.floor(n / TWO_32), offset);
  buf.writeUInt32BE(n >>> 0, offset + 4);
}

function readU64(buf: Uint8Array, offset: number): number {
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return view.readUInt32BE(offset) * TWO_32 + view.readUInt32BE(offset + 4);
}

export function entryKey(index: number): Buffer {
  const key = Buffer.allocUnsafe(9);
  key[0] = PREFIX_ENTRY;
  writeU64(key, 1, index);
  return key;
}

/** The smallest key above every entry key (exclusive upper bound for range scans). */
export const ENTRY_KEY_END = Buffer.from([PREFIX_ENTRY + 1]);

export function isEntryKey(key: Uint8Array): boolean {
  return key.length === 9 && key[0] === PREFIX_ENTRY;
}

export function entryKeyIndex(key: Uint8Array): number {
  assert(isEntryKey(key), 'not an entry key');
  return readU64(key, 1);
}

export function snapshotChunkKey(chunkNo: number): Buffer {
  const key = Buffer.allocUnsafe(5);
  key[0] = PREFIX_SNAPSHOT_CHUNK;
  key.writeUInt32BE(chunkNo, 1);
  return key;
}

/** Chunk `chunkNo` of the snapshot at `snapshotIndex` (the current layout). */
export function indexedSnapshotChunkKey(snapshotIndex: number, chunkNo: number): Buffer {
  const key = Buffer.allocUnsafe(13);
  key[0] = PREFIX_INDEXED_SNAPSHOT_CHUNK;
  writeU64(key, 1, snapshotIndex);
  key.writeUInt32BE(chunkNo, 9);
  return key;
}

/** A record whose checksum or shape is wrong; `reason` is meant for the Corruption message. */
export interface BadRecord {
  ok: false;
  reason: string;
  expectedCrc?: number;
  foundCrc?: number;
}

export type Decoded<T> = { ok: true; value: T } | BadRecord;

function seal(buf: Buffer, kind: number): Buffer {
  buf[4] = kind;
  buf.writeUInt32BE(crc32(buf.subarray(4)), 0);
  return buf;
}

/** Checks the frame (length, kind, CRC); returns the body after the header or why it is bad. */
function open(value: Uint8Array, kind: number, minBytes: number): Decoded<Buffer> {
  const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (buf.length < HEADER_BYTES) return { ok: false, reason: `record too short (${buf.length} bytes)` };
  const stored = buf.readUInt32BE(0);
  const computed = crc32(buf.subarray(4));
  if (stored !== computed) {
    return { ok: false, reason: 'checksum mismatch', expectedCrc: stored, foundCrc: computed };
  }
  if (buf[4] !== kind) return { ok: false, reason: `record kind ${buf[4]} where ${kind} was expected` };
  if (buf.length < HEADER_BYTES + minBytes) return { ok: false, reason: `record too short (${buf.length} bytes)` };
  return { ok: true, value: buf.subarray(HEADER_BYTES) };
}

// Entry: index u64 | term u64 | type u8 | data
const ENTRY_FIXED = 17;

export function encodeEntry(entry: Entry): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + ENTRY_FIXED + entry.data.byteLength);
  writeU64(buf, 5, entry.index);
  writeU64(buf, 13, entry.term);
  buf[21] = entry.type === 'conf' ? 1 : 0;
  buf.set(entry.data, 22);
  return seal(buf, KIND_ENTRY);
}

export function decodeEntry(value: Uint8Array): Decoded<Entry> {
  const body = open(value, KIND_ENTRY, ENTRY_FIXED);
  if (!body.ok) return body;
  const b = body.value;
  const typeByte = b[16];
  if (typeByte !== 0 && typeByte !== 1) return { ok: false, reason: `unknown entry type ${typeByte}` };
  const type: EntryType = typeByte === 1 ? 'conf' : 'normal';
  // A view, not a copy: each value LevelDB returns is its own allocation, owned by the caller.
  const data = new Uint8Array(b.buffer, b.byteOffset + ENTRY_FIXED, b.byteLength - ENTRY_FIXED);
  return { ok: true, value: { index: readU64(b, 0), term: readU64(b, 8), type, data } };
}

// Hard state: term u64 | vote u64 | commit u64
export function encodeHardState(hs: HardState): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + 24);
  writeU64(buf, 5, hs.term);
  writeU64(buf, 13, hs.vote);
  writeU64(buf, 21, hs.commit);
  return seal(buf, KIND_HARD_STATE);
}

export function decodeHardState(value: Uint8Array): Decoded<HardState> {
  const body = open(value, KIND_HARD_STATE, 24);
  if (!body.ok) return body;
  const b = body.value;
  return { ok: true, value: { term: readU64(b, 0), vote: readU64(b, 8), commit: readU64(b, 16) } };
}

/** What the snapshot metadata record holds beyond Raft's SnapshotMetadata. */
export interface SnapshotHeader {
  metadata: SnapshotMetadata;
  dataBytes: number;
  chunkCount: number;
  dataCrc: number;
}

/** A snapshot whose data is in its file rather than in chunk records. */
export function isFileSnapshot(h: SnapshotHeader): boolean {
  return h.chunkCount === 0 && h.dataBytes > 0;
}

// Snapshot meta: index u64 | term u64 | dataBytes u64 | chunkCount u32 | dataCrc u32 |
//                voters u32 + u64 each | learners u32 + u64 each
export function encodeSnapshotHeader(h: SnapshotHeader): Buffer {
  const { voters, learners } = h.metadata.conf;
  const buf = Buffer.allocUnsafe(HEADER_BYTES + 32 + 8 + 8 * (voters.length + learners.length));
  writeU64(buf, 5, h.metadata.index);
  writeU64(buf, 13, h.metadata.term);
  writeU64(buf, 21, h.dataBytes);
  buf.writeUInt32BE(h.chunkCount, 29);
  buf.writeUInt32BE(h.dataCrc >>> 0, 33);
  let at = 37;
  for (const list of [voters, learners]) {
    buf.writeUInt32BE(list.length, at);
    at += 4;
    for (const id of list) {
      writeU64(buf, at, id);
      at += 8;
    }
  }
  return seal(buf, KIND_SNAPSHOT_META);
}

export function decodeSnapshotHeader(value: Uint8Array): Decoded<SnapshotHeader> {
  const body = open(value, KIND_SNAPSHOT_META, 40);
  if (!body.ok) return body;
  const b = body.value;
  let at = 32;
  const lists: number[][] = [];
  for (let l = 0; l < 2; l++) {
    if (at + 4 > b.length) return { ok: false, reason: 'snapshot conf state truncated' };
    const n = b.readUInt32BE(at);
    at += 4;
    if (at + 8 * n > b.length) return { ok: false, reason: 'snapshot conf state truncated' };
    const ids: number[] = [];
    for (let i = 0; i < n; i++, at += 8) ids.push(readU64(b, at));
    lists.push(ids);
  }
  if (at !== b.length) return { ok: false, reason: 'trailing bytes after snapshot conf state' };
  const conf: ConfState = { voters: lists[0]!, learners: lists[1]! };
  return {
    ok: true,
    value: {
      metadata: { index: readU64(b, 0), term: readU64(b, 8), conf },
      dataBytes: readU64(b, 16),
      chunkCount: b.readUInt32BE(24),
      dataCrc: b.readUInt32BE(28),
    },
  };
}

// Snapshot chunk: snapshotIndex u64 | chunkNo u32 | bytes. The snapshot index ties a chunk to its
// snapshot, so a chunk left over from an older snapshot is never taken for a current one.
export function encodeSnapshotChunk(snapshotIndex: number, chunkNo: number, bytes: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + 12 + bytes.byteLength);
  writeU64(buf, 5, snapshotIndex);
  buf.writeUInt32BE(chunkNo, 13);
  buf.set(bytes, 17);
  return seal(buf, KIND_SNAPSHOT_CHUNK);
}

export function decodeSnapshotChunk(
  value: Uint8Array,
): Decoded<{ snapshotIndex: number; chunkNo: number; bytes: Buffer }> {
  const body = open(value, KIND_SNAPSHOT_CHUNK, 12);
  if (!body.ok) return body;
  const b = body.value;
  return { ok: true, value: { snapshotIndex: readU64(b, 0), chunkNo: b.readUInt32BE(8), bytes: b.subarray(12) } };
}

export function hex(n: number | undefined): string {
  return n === undefined ? '?' : `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}
