/**
 * Backup files in a destination folder: `metadata-YYYYMMDD-HHMMSS.snap` (UTC, the time the backup was
 * taken; `-N` added when two land in the same second), written atomically, listed and pruned. Only
 * files with that name AND the backup magic are ever touched: the folder may hold other things.
 */
import { open, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../platform/real/fsync-dir.js';
import type { BackupInfo } from '../ports/backup-admin.js';
import { DIGEST_BYTES, PEEK_BYTES, peekBackupHeader } from './backup-format.js';

const NAME = /^metadata-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})(?:-(\d+))?\.snap$/;
const DAY_MS = 86_400_000;

export function backupFileName(createdMs: number, sequence = 1): string {
  const d = new Date(createdMs);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  return `metadata-${stamp}${sequence > 1 ? `-${sequence}` : ''}.snap`;
}

/** The time in a backup file name (ms since the epoch), or undefined for any other name. */
export function parseBackupFileName(name: string): number | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Write `bytes` as a new backup file: a temp file, fsync, rename to a name not taken yet, fsync of the
 * folder. Returns the file name.
 */
export async function writeBackupFile(dir: string, createdMs: number, bytes: Uint8Array): Promise<string> {
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.metadata-${process.pid}-${createdMs}.snap.tmp`);
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    for (let sequence = 1; ; sequence++) {
      const name = backupFileName(createdMs, sequence);
      if (await exists(join(dir, name))) continue;
      await rename(temp, join(dir, name));
      await fsyncDir(dir);
      return name;
    }
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Backup files in `dir`, newest first (header and trailing checksum read, snapshot not). */
export async function listBackupFiles(dir: string): Promise<BackupInfo[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: BackupInfo[] = [];
  for (const name of names) {
    if (parseBackupFileName(name) === undefined) continue;
    const info = await readBackupFileInfo(join(dir, name)).catch(() => undefined);
    if (info) out.push({ ...info, file: name });
  }
  return out.sort((a, b) => b.createdMs - a.createdMs || sequenceOf(b.file!) - sequenceOf(a.file!));
}

function sequenceOf(name: string): number {
  return Number(NAME.exec(name)?.[7] ?? 1);
}

async function readBackupFileInfo(path: string): Promise<BackupInfo | undefined> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, PEEK_BYTES));
    await handle.read(head, 0, head.length, 0);
    const peeked = peekBackupHeader(head);
    if (!peeked || size < DIGEST_BYTES) return undefined;
    const digest = Buffer.alloc(DIGEST_BYTES);
    await handle.read(digest, 0, DIGEST_BYTES, size - DIGEST_BYTES);
    const { header } = peeked;
    return {
      formatVersion: peeked.formatVersion,
      clusterId: header.clusterId,
      raftIndex: header.raftIndex,
      raftTerm: header.raftTerm,
      createdMs: header.createdMs,
      sizeBytes: size,
      sha256: digest.toString('hex'),
    };
  } finally {
    await handle.close();
  }
}

export interface PruneResult {
  deleted: string[];
}

/**
 * Delete this cluster's backup files older than `retentionDays` (by the time in their name), except
 * the ones in `keep`. A file whose name matches but whose bytes are not a backup of `clusterId` stays.
 */
export async function pruneBackupFiles(options: { dir: string; clusterId: string; retentionDays: number; nowMs: number; keep: readonly string[] }): Promise<PruneResult> {
  const cutoffMs = options.nowMs - options.retentionDays * DAY_MS;
  const deleted: string[] = [];
  for (const info of await listBackupFiles(options.dir)) {
    const name = info.file!;
    const namedMs = parseBackupFileName(name)!;
    if (options.keep.includes(name) || namedMs >= cutoffMs || info.clusterId !== options.clusterId) continue;
    await rm(join(options.dir, name));
    deleted.push(name);
  }
  if (deleted.length > 0) await fsyncDir(options.dir);
  return { deleted };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
