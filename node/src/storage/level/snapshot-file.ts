/**
 * Snapshots taken locally live in a file next to the LevelDB tables (LevelDB ignores names it did not
 * make): snapshot-<index>.snap. Writing 100+ MB through LevelDB cost its WAL, memtable and compactions a
 * second or more and held up the log's own writes behind it; a file is written by the thread pool as the
 * state machine hands over its slices, and only its checksum is computed here. The file is complete
 * (written, synced, renamed) before the log's metadata record names it, so a crash never leaves a
 * current snapshot half written.
 */
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { fsyncDir } from '../../platform/real/fsync-dir.js';
import type { SnapshotWriter } from '../../ports/log-store.js';

const NAME = /^snapshot-(\d+)\.snap(\.tmp)?$/;
const SYNC_EVERY_BYTES = 2 * 1024 * 1024;

export function snapshotFileName(index: number): string {
  return `snapshot-${String(index).padStart(20, '0')}.snap`;
}

/** Writes the file durably (when `sync`) from the writer's slices; returns the CRC-32 and size of the data. */
export async function writeSnapshotFile(dir: string, index: number, write: SnapshotWriter, sync: boolean): Promise<{ crc: number; bytes: number }> {
  const final = path.join(dir, snapshotFileName(index));
  const temporary = `${final}.tmp`;
  const handle = await open(temporary, 'w');
  let crc = 0;
  let bytes = 0;
  let unsynced = 0;
  try {
    await write(async (slice) => {
      crc = crc32(slice, crc);
      for (let at = 0; at < slice.byteLength; ) at += (await handle.write(slice, at)).bytesWritten;
      bytes += slice.byteLength;
      unsynced += slice.byteLength;
      // Synced every few MiB: a file's worth of dirty pages would make every fsync of the log (ext4
      // commits them in the same journal transaction) wait for the whole file.
      if (sync && unsynced >= SYNC_EVERY_BYTES) {
        await handle.datasync();
        unsynced = 0;
      }
    });
    if (sync && unsynced > 0) await handle.datasync();
  } catch (err) {
    await handle.close();
    await rm(temporary, { force: true });
    throw err;
  }
  await handle.close();
  await rename(temporary, final);
  if (sync) await fsyncDir(dir);
  return { crc, bytes };
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
