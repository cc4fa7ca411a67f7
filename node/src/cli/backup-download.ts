import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { fsyncDir } from '../platform/real/fsync-dir.js';
import { dirname } from 'node:path';
import { StrataError } from '../platform/errors.js';

/** The trailer of a backup file: the SHA-256 of everything before it (ports/backup-admin.ts). */
const DIGEST_BYTES = 32;

export interface SavedBackup {
  path: string;
  sizeBytes: number;
  /** Hex SHA-256 of the file but its last 32 bytes, checked against those bytes. */
  sha256: string;
}

/**
 * Writes a streamed backup to `path` safely: into `path.tmp`, checking the trailing digest as the bytes
 * pass, then fsync, rename, and fsync of the folder. A broken stream or a wrong digest leaves no file
 * at `path` (and removes the .tmp).
 */
export async function saveBackup(body: AsyncIterable<Uint8Array>, path: string): Promise<SavedBackup> {
  const tmp = `${path}.tmp`;
  const file = await open(tmp, 'w', 0o600);
  const hash = createHash('sha256');
  // The last 32 bytes seen so far: they are the digest if the stream ends here.
  let tail = Buffer.alloc(0);
  let sizeBytes = 0;
  try {
    try {
      for await (const chunk of body) {
        const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        await file.write(bytes);
        sizeBytes += bytes.length;
        const joined = Buffer.concat([tail, bytes]);
        const keep = Math.min(DIGEST_BYTES, joined.length);
        hash.update(joined.subarray(0, joined.length - keep));
        tail = Buffer.from(joined.subarray(joined.length - keep));
      }
      if (tail.length < DIGEST_BYTES) throw new StrataError('Corruption', `the backup stream ended after ${sizeBytes} bytes, too short to be a backup`);
      const digest = hash.digest();
      if (!digest.equals(tail)) {
        throw new StrataError('Corruption', `the backup's checksum does not match its bytes (${sizeBytes} bytes received): the download is damaged`);
      }
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(path));
  return { path, sizeBytes, sha256: tail.toString('hex') };
}
