/**
 * Offline restore of one node's metadata from a backup file (`strata restore --input FILE`, with the
 * node stopped). Every check runs before anything on disk changes: the file (magic, version, lengths,
 * checksum, a snapshot the state machine can load), the cluster (a data dir of another cluster is
 * refused) and the node (LevelDB's lock must be free: no strata-server is running on the folder).
 * The old Raft folder is then renamed aside, never deleted, and a new one holding just the backup's
 * snapshot takes its place. Chunk files are left alone: the restored manifests point at them.
 */
import { mkdir, readFile, rename, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { MetaStateMachine } from '../meta/meta-state-machine.js';
import { StrataError, isStrataError } from '../platform/errors.js';
import type { BackupInfo } from '../ports/backup-admin.js';
import { NONE, type Snapshot } from '../raft/types.js';
import { readIdentity } from '../storage/fs/node-identity.js';
import { LevelLogStore } from '../storage/level/level-log-store.js';
import { decodeBackup } from './backup-format.js';
import { fsyncDir } from '../platform/real/fsync-dir.js';

/** The Raft log folder inside a data dir (main.ts opens the same). */
export const RAFT_DIR = 'raft';

export interface RestoreOptions {
  inputPath: string;
  dataDir: string;
  /** For the name of the folder kept aside (default: now). */
  nowMs?: number;
}

export async function restoreFromBackup(options: RestoreOptions): Promise<BackupInfo> {
  const { inputPath, dataDir } = options;
  const nowMs = options.nowMs ?? Date.now();
  const source = `backup file ${inputPath}`;

  let bytes: Buffer;
  try {
    bytes = await readFile(inputPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new StrataError(code === 'ENOENT' ? 'NotFound' : 'Unavailable', `cannot read ${source}: ${code ?? (err as Error).message}`, { cause: err });
  }
  const backup = decodeBackup(bytes, source);
  const { header } = backup;
  checkSnapshotLoads(backup.snapshot, header.clusterId, source);

  const identity = await readIdentity(dataDir);
  if (identity && identity.clusterId !== header.clusterId) {
    throw new StrataError(
      'ClusterMismatch',
      `${source} is a backup of cluster ${header.clusterId}, but ${dataDir} belongs to cluster ${identity.clusterId} (node-${identity.nodeId}); nothing was changed`,
      { details: { backupClusterId: header.clusterId, dataDirClusterId: identity.clusterId } },
    );
  }

  const raftDir = join(dataDir, RAFT_DIR);
  const hadRaft = await exists(raftDir);
  if (hadRaft) await checkNotRunning(raftDir);

  // Build the new log beside the old one, read it back, then swap the folders.
  const stamp = timeStamp(nowMs);
  const newDir = join(dataDir, `${RAFT_DIR}.restoring-${stamp}`);
  const asideDir = join(dataDir, `${RAFT_DIR}.before-restore-${stamp}`);
  if ((await exists(newDir)) || (await exists(asideDir))) {
    throw new StrataError('AlreadyExists', `${newDir} or ${asideDir} already exists; retry in a second`);
  }
  const snapshot: Snapshot = {
    metadata: { index: header.raftIndex, term: header.raftTerm, conf: { voters: [...header.voters], learners: [...header.learners] } },
    data: backup.snapshot,
  };
  await mkdir(dataDir, { recursive: true });
  const store = await LevelLogStore.open({ dir: newDir, syncWrites: true });
  try {
    await store.load();
    await store.save({ snapshot, hardState: { term: header.raftTerm, vote: NONE, commit: header.raftIndex }, entries: [] }, true);
  } finally {
    await store.close();
  }
  await verifyWritten(newDir, header.raftIndex);

  if (hadRaft) await rename(raftDir, asideDir);
  await rename(newDir, raftDir);
  await fsyncDir(dataDir);

  return {
    file: basename(inputPath),
    formatVersion: backup.formatVersion,
    clusterId: header.clusterId,
    raftIndex: header.raftIndex,
    raftTerm: header.raftTerm,
    createdMs: header.createdMs,
    sizeBytes: backup.sizeBytes,
    sha256: backup.sha256,
  };
}

/** The checksum proves the bytes are what was written; this proves the state machine can load them. */
function checkSnapshotLoads(data: Uint8Array, clusterId: string, source: string): void {
  const meta = new MetaStateMachine();
  try {
    meta.restore(data);
  } catch (err) {
    throw new StrataError('Corruption', `${source}: its metadata snapshot cannot be loaded (${(err as Error).message}); nothing was changed`, { cause: err });
  }
  if (meta.clusterId() !== clusterId) {
    throw new StrataError('Corruption', `${source}: its header names cluster ${clusterId} but its snapshot holds ${meta.clusterId()}; nothing was changed`);
  }
}

/** A running strata-server holds LevelDB's lock on the folder: opening it then fails. */
async function checkNotRunning(raftDir: string): Promise<void> {
  let store: LevelLogStore;
  try {
    store = await LevelLogStore.open({ dir: raftDir });
  } catch (err) {
    if (isStrataError(err, 'Unavailable')) {
      throw new StrataError('FailedPrecondition', `${raftDir} is in use (is strata-server still running on this data dir? stop it first); nothing was changed`, { cause: err });
    }
    throw err;
  }
  await store.close();
}

async function verifyWritten(dir: string, index: number): Promise<void> {
  const store = await LevelLogStore.open({ dir });
  try {
    const loaded = await store.load();
    if (loaded.snapshot?.metadata.index !== index) {
      throw new StrataError('Internal', `the restored Raft log in ${dir} does not read back (snapshot index ${loaded.snapshot?.metadata.index ?? 'none'}, expected ${index})`);
    }
  } finally {
    await store.close();
  }
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

function timeStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
