import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMetaCommand } from '../meta/commands.js';
import { MetaStateMachine } from '../meta/meta-state-machine.js';
import { isStrataError } from '../platform/errors.js';
import { writeIdentity } from '../storage/fs/node-identity.js';
import { LevelLogStore } from '../storage/level/level-log-store.js';
import { encodeBackup, type BackupHeader } from './backup-format.js';
import { restoreFromBackup } from './restore-from-backup.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'strata-restore-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function metadataOf(clusterId: string, buckets: string[]): Uint8Array {
  const meta = new MetaStateMachine();
  meta.bootstrap(clusterId, { id: 1, address: '127.0.0.1:9000' });
  buckets.forEach((name, i) => meta.apply(2 + i, encodeMetaCommand({ op: 'createBucket', name, createdMs: 1000 })));
  return meta.snapshot();
}

function backupFile(dir: string, clusterId: string, raftIndex: number, buckets: string[]): string {
  const header: BackupHeader = { clusterId, raftIndex, raftTerm: 4, createdMs: Date.UTC(2026, 0, 1), nodeId: 1, voters: [1, 2, 3], learners: [] };
  const path = join(dir, `backup-${clusterId}-${raftIndex}.snap`);
  writeFileSync(path, encodeBackup(header, metadataOf(clusterId, buckets)));
  return path;
}

async function loadLog(dir: string) {
  const store = await LevelLogStore.open({ dir });
  try {
    return await store.load();
  } finally {
    await store.close();
  }
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('restore was not refused');
}

describe('restoreFromBackup', () => {
  it('writes a Raft log holding just the snapshot into a fresh data dir', async () => {
    const root = tempDir();
    const input = backupFile(root, 'cluster-a', 57, ['photos', 'logs']);
    const dataDir = join(root, 'node-1');
    const info = await restoreFromBackup({ inputPath: input, dataDir });
    expect(info).toMatchObject({ clusterId: 'cluster-a', raftIndex: 57, raftTerm: 4, formatVersion: 1 });
    const log = await loadLog(join(dataDir, 'raft'));
    expect(log.snapshot?.metadata).toEqual({ index: 57, term: 4, conf: { voters: [1, 2, 3], learners: [] } });
    expect(log.hardState).toEqual({ term: 4, vote: 0, commit: 57 });
    expect(log.entries).toEqual([]);
    const meta = new MetaStateMachine();
    meta.restore(log.snapshot!.data);
    expect(meta.clusterId()).toBe('cluster-a');
    expect(meta.listBuckets().map((b) => b.name).sort()).toEqual(['logs', 'photos']);
  });

  it('keeps the old Raft folder aside and leaves chunks alone', async () => {
    const root = tempDir();
    const dataDir = join(root, 'node-2');
    await writeIdentity(dataDir, { nodeId: 2, clusterId: 'cluster-a' });
    await restoreFromBackup({ inputPath: backupFile(root, 'cluster-a', 10, ['old']), dataDir, nowMs: Date.UTC(2026, 0, 1) });
    writeFileSync(join(dataDir, 'chunk-marker'), 'x');
    await restoreFromBackup({ inputPath: backupFile(root, 'cluster-a', 90, ['new']), dataDir, nowMs: Date.UTC(2026, 0, 2) });
    expect(readdirSync(dataDir).sort()).toEqual(['chunk-marker', 'identity.json', 'raft', 'raft.before-restore-20260102-000000']);
    expect((await loadLog(join(dataDir, 'raft'))).snapshot?.metadata.index).toBe(90);
    expect((await loadLog(join(dataDir, 'raft.before-restore-20260102-000000'))).snapshot?.metadata.index).toBe(10);
  });

  it('refuses a backup of another cluster, naming both, and changes nothing', async () => {
    const root = tempDir();
    const dataDir = join(root, 'node-1');
    await writeIdentity(dataDir, { nodeId: 1, clusterId: 'cluster-a' });
    await restoreFromBackup({ inputPath: backupFile(root, 'cluster-a', 10, []), dataDir });
    const before = readdirSync(dataDir).sort();
    const err = await refusal(restoreFromBackup({ inputPath: backupFile(root, 'cluster-b', 20, []), dataDir }));
    expect(isStrataError(err, 'ClusterMismatch')).toBe(true);
    expect(err.message).toMatch(/cluster cluster-b.*cluster cluster-a/);
    expect(readdirSync(dataDir).sort()).toEqual(before);
    expect((await loadLog(join(dataDir, 'raft'))).snapshot?.metadata.index).toBe(10);
  });

  it('refuses a truncated or damaged file before touching the data dir', async () => {
    const root = tempDir();
    const good = backupFile(root, 'cluster-a', 10, ['b']);
    const bytes = (await import('node:fs')).readFileSync(good);
    const truncated = join(root, 'truncated.snap');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
    const dataDir = join(root, 'node-1');
    const err = await refusal(restoreFromBackup({ inputPath: truncated, dataDir }));
    expect(isStrataError(err, 'Corruption')).toBe(true);
    expect(err.message).toMatch(/truncated\.snap is not a usable Strata backup: it is truncated.*nothing was changed/);
    expect(existsSync(dataDir)).toBe(false);
    const missing = await refusal(restoreFromBackup({ inputPath: join(root, 'nope.snap'), dataDir }));
    expect(isStrataError(missing, 'NotFound')).toBe(true);
  });

  it('refuses while a server holds the Raft folder', async () => {
    const root = tempDir();
    const dataDir = join(root, 'node-1');
    await restoreFromBackup({ inputPath: backupFile(root, 'cluster-a', 10, []), dataDir });
    const held = await LevelLogStore.open({ dir: join(dataDir, 'raft') });
    try {
      const err = await refusal(restoreFromBackup({ inputPath: backupFile(root, 'cluster-a', 20, []), dataDir }));
      expect(isStrataError(err, 'FailedPrecondition')).toBe(true);
      expect(err.message).toMatch(/still running/);
    } finally {
      await held.close();
    }
    expect(readdirSync(dataDir)).toEqual(['raft']);
  });
});
