/**
 * The metadata backup file (docs/backup-format.md):
 *
 *   offset 0        8 bytes   magic "STRATABK"
 *   offset 8        u32 BE    format version (1)
 *   offset 12       u32 BE    header length H
 *   offset 16       H bytes   header, JSON in UTF-8 (BackupHeader)
 *   offset 16+H     u64 BE    snapshot length S
 *   offset 24+H     S bytes   the metadata state machine's snapshot (MetaStateMachine.snapshot())
 *   offset 24+H+S   32 bytes  SHA-256 of every byte before it
 *
 * A reader checks magic, version, lengths and checksum before it trusts any byte, so a truncated or
 * damaged file is refused as a whole.
 */
import { createHash } from 'node:crypto';
import { StrataError } from '../platform/errors.js';

export const BACKUP_MAGIC = Buffer.from('STRATABK', 'ascii');
export const BACKUP_FORMAT_VERSION = 1;
const PREFIX_BYTES = 16; // magic + version + header length
const SNAPSHOT_LENGTH_BYTES = 8;
export const DIGEST_BYTES = 32;
/** Bounds a damaged header length before anything is allocated for it. */
const MAX_HEADER_BYTES = 1024 * 1024;
/** Slices of the snapshot the stream yields (no single huge write). */
const STREAM_SLICE_BYTES = 1024 * 1024;

export interface BackupHeader {
  clusterId: string;
  raftIndex: number;
  raftTerm: number;
  createdMs: number;
  /** The node that took the backup. */
  nodeId: number;
  /** The Raft configuration at raftIndex. */
  voters: number[];
  learners: number[];
}

export interface DecodedBackup {
  formatVersion: number;
  header: BackupHeader;
  snapshot: Uint8Array;
  sizeBytes: number;
  /** Hex SHA-256 stored in (and checked against) the last 32 bytes. */
  sha256: string;
}

/** The bytes before the snapshot: magic, version, header, snapshot length. */
function encodePrefix(header: BackupHeader, snapshotBytes: number): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.alloc(PREFIX_BYTES + json.length + SNAPSHOT_LENGTH_BYTES);
  BACKUP_MAGIC.copy(out, 0);
  out.writeUInt32BE(BACKUP_FORMAT_VERSION, 8);
  out.writeUInt32BE(json.length, 12);
  json.copy(out, PREFIX_BYTES);
  out.writeBigUInt64BE(BigInt(snapshotBytes), PREFIX_BYTES + json.length);
  return out;
}

/** The whole file as a stream of pieces; the digest is computed as the pieces go out. */
export async function* encodeBackupStream(header: BackupHeader, snapshot: Uint8Array): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  const prefix = encodePrefix(header, snapshot.length);
  hash.update(prefix);
  yield prefix;
  for (let at = 0; at < snapshot.length; at += STREAM_SLICE_BYTES) {
    const slice = snapshot.subarray(at, Math.min(snapshot.length, at + STREAM_SLICE_BYTES));
    hash.update(slice);
    yield slice;
  }
  yield hash.digest();
}

/** The whole file in one buffer (for writing a file and for tests). */
export function encodeBackup(header: BackupHeader, snapshot: Uint8Array): Buffer {
  const prefix = encodePrefix(header, snapshot.length);
  const digest = createHash('sha256').update(prefix).update(snapshot).digest();
  return Buffer.concat([prefix, snapshot, digest]);
}

function refuse(source: string, why: string): StrataError {
  return new StrataError('Corruption', `${source} is not a usable Strata backup: ${why}; nothing was changed`, { details: { source } });
}

/** Checks everything (magic, version, lengths, checksum, header fields) and returns the parts. */
export function decodeBackup(bytes: Uint8Array, source = 'backup file'): DecodedBackup {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const minimum = PREFIX_BYTES + SNAPSHOT_LENGTH_BYTES + DIGEST_BYTES;
  if (buf.length < BACKUP_MAGIC.length || !buf.subarray(0, BACKUP_MAGIC.length).equals(BACKUP_MAGIC)) {
    throw refuse(source, 'it does not start with the backup magic "STRATABK"');
  }
  if (buf.length < minimum) throw refuse(source, `it is truncated (${buf.length} bytes, a backup has at least ${minimum})`);
  const version = buf.readUInt32BE(8);
  if (version !== BACKUP_FORMAT_VERSION) {
    throw refuse(source, `format version ${version} is not supported (this build reads version ${BACKUP_FORMAT_VERSION})`);
  }
  const headerBytes = buf.readUInt32BE(12);
  if (headerBytes > MAX_HEADER_BYTES || PREFIX_BYTES + headerBytes + SNAPSHOT_LENGTH_BYTES + DIGEST_BYTES > buf.length) {
    throw refuse(source, `it is truncated or damaged (header length ${headerBytes} does not fit in ${buf.length} bytes)`);
  }
  const snapshotAt = PREFIX_BYTES + headerBytes + SNAPSHOT_LENGTH_BYTES;
  const snapshotBytes = buf.readBigUInt64BE(PREFIX_BYTES + headerBytes);
  const expected = BigInt(snapshotAt + DIGEST_BYTES) + snapshotBytes;
  if (expected !== BigInt(buf.length)) {
    throw refuse(source, `it is ${buf.length < expected ? 'truncated' : 'longer than its lengths say'} (${buf.length} bytes, its lengths say ${expected})`);
  }
  const bodyEnd = buf.length - DIGEST_BYTES;
  const stored = buf.subarray(bodyEnd);
  const actual = createHash('sha256').update(buf.subarray(0, bodyEnd)).digest();
  if (!actual.equals(stored)) throw refuse(source, 'its SHA-256 checksum does not match (the file is damaged)');
  const header = parseHeader(buf.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes), source);
  return { formatVersion: version, header, snapshot: buf.subarray(snapshotAt, bodyEnd), sizeBytes: buf.length, sha256: stored.toString('hex') };
}

/**
 * The header of a file from its first bytes, without the checksum check (listing a folder of backups
 * must not read every snapshot). Returns undefined when the bytes are not a backup's beginning.
 */
export function peekBackupHeader(head: Uint8Array): { formatVersion: number; header: BackupHeader } | undefined {
  const buf = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (buf.length < PREFIX_BYTES || !buf.subarray(0, BACKUP_MAGIC.length).equals(BACKUP_MAGIC)) return undefined;
  const formatVersion = buf.readUInt32BE(8);
  const headerBytes = buf.readUInt32BE(12);
  if (formatVersion !== BACKUP_FORMAT_VERSION || buf.length < PREFIX_BYTES + headerBytes) return undefined;
  try {
    return { formatVersion, header: parseHeader(buf.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes), 'backup') };
  } catch {
    return undefined;
  }
}

/** Bytes to read from a file's start so peekBackupHeader sees the whole header (headers are small). */
export const PEEK_BYTES = 64 * 1024;

function parseHeader(bytes: Uint8Array, source: string): BackupHeader {
  let parsed: Partial<BackupHeader>;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<BackupHeader>;
  } catch {
    throw refuse(source, 'its header is not valid JSON');
  }
  const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const isIds = (v: unknown) => Array.isArray(v) && v.every((id) => Number.isSafeInteger(id) && id > 0);
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof parsed.clusterId !== 'string' ||
    parsed.clusterId === '' ||
    !isCount(parsed.raftIndex) ||
    !isCount(parsed.raftTerm) ||
    !isCount(parsed.createdMs) ||
    !isCount(parsed.nodeId) ||
    !isIds(parsed.voters) ||
    !isIds(parsed.learners) ||
    (parsed.voters as number[]).length === 0
  ) {
    throw refuse(source, 'its header lacks a field (clusterId, raftIndex, raftTerm, createdMs, nodeId, voters, learners)');
  }
  return parsed as BackupHeader;
}
