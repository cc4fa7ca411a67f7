import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBackup, type BackupHeader } from './backup-format.js';
import { backupFileName, listBackupFiles, parseBackupFileName, pruneBackupFiles, writeBackupFile } from './backup-files.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 30, 12, 0, 0);
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'strata-backup-files-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function backup(createdMs: number, clusterId = 'cluster-a'): Buffer {
  const header: BackupHeader = { clusterId, raftIndex: 10, raftTerm: 2, createdMs, nodeId: 1, voters: [1], learners: [] };
  return encodeBackup(header, Buffer.from(`{"version":2,"clusterId":"${clusterId}","members":[],"buckets":[]}`));
}

describe('backup files in a destination folder', () => {
  it('names files metadata-YYYYMMDD-HHMMSS.snap in UTC and parses them back', () => {
    const ms = Date.UTC(2024, 0, 1, 2, 3, 4);
    expect(backupFileName(ms)).toBe('metadata-20240101-020304.snap');
    expect(backupFileName(ms, 3)).toBe('metadata-20240101-020304-3.snap');
    expect(parseBackupFileName('metadata-20240101-020304.snap')).toBe(ms);
    expect(parseBackupFileName('metadata-20240101-020304-3.snap')).toBe(ms);
    for (const other of ['metadata-20240101.snap', 'notes.txt', 'metadata-20240101-020304.snap.tmp', 'xmetadata-20240101-020304.snap']) {
      expect(parseBackupFileName(other), other).toBeUndefined();
    }
  });

  it('writes atomically (no temp file left), never overwrites one of the same second, lists newest first', async () => {
    const dir = join(tempDir(), 'dest'); // created on first write
    const a = await writeBackupFile(dir, NOW - DAY, backup(NOW - DAY));
    const b = await writeBackupFile(dir, NOW, backup(NOW));
    const c = await writeBackupFile(dir, NOW, backup(NOW));
    expect([a, b, c]).toEqual(['metadata-20260629-120000.snap', 'metadata-20260630-120000.snap', 'metadata-20260630-120000-2.snap']);
    expect(readdirSync(dir).sort()).toEqual([a, b, c].sort());
    const listed = await listBackupFiles(dir);
    expect(listed.map((i) => i.file)).toEqual([c, b, a]);
    expect(listed[0]).toMatchObject({ clusterId: 'cluster-a', raftIndex: 10, raftTerm: 2, formatVersion: 1, createdMs: NOW, sizeBytes: backup(NOW).length });
    expect(listed[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await listBackupFiles(join(dir, 'missing'))).toEqual([]);
  });

  it('prunes only its own backups older than retention, keeping the named ones and everything else', async () => {
    const dir = tempDir();
    const old1 = await writeBackupFile(dir, NOW - 40 * DAY, backup(NOW - 40 * DAY));
    const old2 = await writeBackupFile(dir, NOW - 31 * DAY, backup(NOW - 31 * DAY));
    const edge = await writeBackupFile(dir, NOW - 29 * DAY, backup(NOW - 29 * DAY));
    const recent = await writeBackupFile(dir, NOW, backup(NOW));
    const otherCluster = await writeBackupFile(dir, NOW - 50 * DAY, backup(NOW - 50 * DAY, 'cluster-b'));
    // Matching names that are not backups, and unrelated files, must survive.
    writeFileSync(join(dir, 'metadata-20200101-000000.snap'), 'not a backup');
    writeFileSync(join(dir, 'notes.txt'), 'keep me');
    const keptOld = await writeBackupFile(dir, NOW - 60 * DAY, backup(NOW - 60 * DAY));

    const result = await pruneBackupFiles({ dir, clusterId: 'cluster-a', retentionDays: 30, nowMs: NOW, keep: [keptOld] });
    expect(result.deleted.sort()).toEqual([old1, old2].sort());
    expect(readdirSync(dir).sort()).toEqual([edge, recent, otherCluster, keptOld, 'metadata-20200101-000000.snap', 'notes.txt'].sort());
  });
});
