import { open } from 'node:fs/promises';

/** Makes a folder's entries (a rename, a new or deleted file) durable: fsync of the folder itself. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    // Durable once sync returned: the close need not hold up the caller.
    handle.close().catch(() => undefined);
  }
}
