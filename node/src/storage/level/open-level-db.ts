import { Level } from 'level';
import { StrataError } from '../../platform/errors.js';

/** Opens (creating if missing) a LevelDB folder of binary keys and values with a block cache. */
export async function openLevelDb(dir: string, cacheSizeBytes: number): Promise<Level<Buffer, Buffer>> {
  const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer', cacheSize: cacheSizeBytes, createIfMissing: true });
  try {
    await db.open();
  } catch (err) {
    throw new StrataError('Unavailable', `cannot open LevelDB folder ${dir}`, { cause: err });
  }
  return db;
}
