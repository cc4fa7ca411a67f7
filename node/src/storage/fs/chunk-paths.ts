/**
 * Where chunk files live: <dir>/<aa>/<bb>/<chunkId>.chunk, where aabb are the first two bytes of the
 * CRC32C of the id (65 536 directories, so a directory stays small even with millions of chunks), and
 * temp files in <dir>/tmp/ (same file system, so commit is a rename; emptied at open).
 */
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { StrataError } from '../../platform/errors.js';

export const CHUNK_SUFFIX = '.chunk';
export const TEMP_DIR = 'tmp';

const ID_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

/** Chunk ids become file names: refuse anything that could escape the directory or clash with temp names. */
export function checkChunkId(chunkId: string): void {
  if (!ID_PATTERN.test(chunkId)) {
    throw new StrataError('InvalidArgument', `invalid chunk id ${JSON.stringify(chunkId)}: expected 1-200 of [A-Za-z0-9._-], not starting with '.'`);
  }
}

export function fanOutDirs(chunkId: string): [string, string] {
  const hash = crc32c(Buffer.from(chunkId, 'utf8'));
  const hex = (hash >>> 0).toString(16).padStart(8, '0');
  return [hex.slice(0, 2), hex.slice(2, 4)];
}

export function chunkPath(dir: string, chunkId: string): string {
  const [a, b] = fanOutDirs(chunkId);
  return join(dir, a, b, `${chunkId}${CHUNK_SUFFIX}`);
}

export function isFanOutName(name: string): boolean {
  return /^[0-9a-f]{2}$/.test(name);
}
