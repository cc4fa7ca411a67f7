/**
 * The on-disk format of one chunk file:
 *
 *   header (48 bytes)  magic 'STRCHUNK', u16 version, u16 flags, u32 blockSizeBytes, u32 blockCount,
 *                      u32 lastBlockBytes, f64 createdMs, 8 bytes zero, u32 CRC32C of bytes 0..44
 *   block 0            data (blockSizeBytes), u32 CRC32C of the data
 *   block 1 ...        the same; the last block's data may be shorter (lastBlockBytes)
 *
 * All integers little-endian. blockCount is UNCOMMITTED while the file is being written and is set at
 * commit, together with lastBlockBytes and createdMs, so a header that parses is a finished chunk.
 * Fixed-size slots let a reader find block i with one positioned read.
 */
import { crc32c } from '@node-rs/crc32';
import { StrataError } from '../../platform/errors.js';

export const CHUNK_MAGIC = Buffer.from('STRCHUNK', 'latin1');
export const CHUNK_FORMAT_VERSION = 1;
export const HEADER_BYTES = 48;
export const CRC_BYTES = 4;
/** blockCount while the chunk is still being written. */
export const UNCOMMITTED = 0xffff_ffff;
/** Largest block we accept (a shard of one stripe; far above any sane stripe size). */
export const MAX_BLOCK_BYTES = 64 * 1024 * 1024;

export interface ChunkHeader {
  blockSizeBytes: number;
  blockCount: number;
  lastBlockBytes: number;
  createdMs: number;
}

export function encodeHeader(header: ChunkHeader): Buffer {
  const out = Buffer.alloc(HEADER_BYTES);
  CHUNK_MAGIC.copy(out, 0);
  out.writeUInt16LE(CHUNK_FORMAT_VERSION, 8);
  out.writeUInt16LE(0, 10);
  out.writeUInt32LE(header.blockSizeBytes, 12);
  out.writeUInt32LE(header.blockCount, 16);
  out.writeUInt32LE(header.lastBlockBytes, 20);
  out.writeDoubleLE(header.createdMs, 24);
  out.writeUInt32LE(crc32c(out.subarray(0, HEADER_BYTES - CRC_BYTES)), HEADER_BYTES - CRC_BYTES);
  return out;
}

/** Parses a committed chunk's header; anything else is Corruption naming the file. */
export function decodeHeader(bytes: Uint8Array, file: string, chunkId: string): ChunkHeader {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string): StrataError =>
    new StrataError('Corruption', `chunk file ${file}: ${why}`, { details: { chunkId, block: -1 } });
  if (buf.byteLength < HEADER_BYTES) throw bad(`header truncated (${buf.byteLength} of ${HEADER_BYTES} bytes)`);
  if (!buf.subarray(0, 8).equals(CHUNK_MAGIC)) throw bad('bad magic (not a chunk file)');
  if (buf.readUInt32LE(HEADER_BYTES - CRC_BYTES) !== crc32c(buf.subarray(0, HEADER_BYTES - CRC_BYTES))) {
    throw bad('header checksum mismatch');
  }
  const version = buf.readUInt16LE(8);
  if (version !== CHUNK_FORMAT_VERSION) throw bad(`unsupported format version ${version}`);
  const header: ChunkHeader = {
    blockSizeBytes: buf.readUInt32LE(12),
    blockCount: buf.readUInt32LE(16),
    lastBlockBytes: buf.readUInt32LE(20),
    createdMs: buf.readDoubleLE(24),
  };
  if (header.blockCount === UNCOMMITTED) throw bad('chunk was never committed');
  if (header.blockSizeBytes <= 0 || header.blockSizeBytes > MAX_BLOCK_BYTES) throw bad(`bad block size ${header.blockSizeBytes}`);
  const lastOk = header.blockCount === 0 ? header.lastBlockBytes === 0 : header.lastBlockBytes > 0 && header.lastBlockBytes <= header.blockSizeBytes;
  if (!lastOk) throw bad(`bad last block size ${header.lastBlockBytes}`);
  return header;
}

/** Where block `index` starts (its data; the CRC follows the data). */
export function blockOffset(blockSizeBytes: number, index: number): number {
  return HEADER_BYTES + index * (blockSizeBytes + CRC_BYTES);
}

export function blockDataBytes(header: ChunkHeader, index: number): number {
  return index === header.blockCount - 1 ? header.lastBlockBytes : header.blockSizeBytes;
}

/** The size a committed chunk file must have. */
export function chunkFileBytes(header: ChunkHeader): number {
  if (header.blockCount === 0) return HEADER_BYTES;
  return blockOffset(header.blockSizeBytes, header.blockCount - 1) + header.lastBlockBytes + CRC_BYTES;
}

/** Bytes on disk for `dataBytes` of payload in blocks of `blockSizeBytes` (for capacity checks). */
export function storedBytesFor(dataBytes: number, blockSizeBytes: number): number {
  return HEADER_BYTES + dataBytes + Math.ceil(dataBytes / blockSizeBytes) * CRC_BYTES;
}
