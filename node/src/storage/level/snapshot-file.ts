/**
 * Snapshots taken locally live in a file next to the LevelDB tables (LevelDB ignores names it did not
 * make): snapshot-<index>.snap. Writing 100+ MB through LevelDB cost its WAL, memtable and compactions a
 * second or more and held up the log's own writes behind it; a file is written by the thread pool and
 * only its checksum is computed here, a slice at a time. The file is complete (written, synced, renamed)
 * before the log's metadata record names it, so a crash never leaves a current snapshot half written.
 */
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { fsyncDir } from '../../platform/real/fsync-dir.js';

const NAME = /^snapshot-(\d+)\.snap(\.tmp)?$/;
const SLICE_BYTES = 2 * 1024 * 1024;

export function snapshotFileName(index: number): string {
  return `snapshot-${String(index).padStart(20, '0')}.snap`;
}

/** Writes the file durably (when `sync`) and returns the CRC-32 of the data. */
export async function writeSnapshotFile(dir: string, index: number, data: Uint8Array, sync: boolean): Promise<number> {
  const final = path.join(dir, snapshotFileName(index));
  const temporary = `${final}.tmp`;
  const handle = await open(temporary, 'w');
  let crc = 0;
  try {
    for (let at = 0; at < data.byteLength; at += SLICE_BYTES) {
      const slice = data.subarray(at, at + SLICE_BYTES);
      crc = crc32(slice, crc);
      await handle.write(slice);
      // Synced a slice at a time: a file's worth of dirty pages would make every fsync of the log (ext4
      // commits them in the same journal transaction) wait for the whole file.
      if (sync) await handle.datasync();
    }
  } finally {
    await handle.close();
  }
  await rename(temporary, final);
  if (sync) await fsyncDir(dir);
  return crc;
}

export async function readSnapshotFile(dir: string, index: number): Promise<Buffer | undefined> {
  try {
    return await readFile(path.join(dir, snapshotFileName(index)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function removeSnapshotFile(dir: string, index: number): Promise<void> {
  return removeFiles(dir, [snapshotFileName(index)]);
}

/** Snapshot files (finished or not) other than the current snapshot's: left by a crash or a race. */
export async function strayFiles(dir: string, currentFileIndex: number | undefined): Promise<string[]> {
  const current = currentFileIndex === undefined ? undefined : snapshotFileName(currentFileIndex);
  return (await readdir(dir)).filter((name) => NAME.test(name) && name !== current);
}

export async function removeFiles(dir: string, names: string[]): Promise<void> {
  await Promise.all(names.map((name) => rm(path.join(dir, name), { force: true })));
}
