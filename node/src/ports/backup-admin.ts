/** A metadata backup: a Raft snapshot in a versioned, checksummed file (format in docs/backup-format.md). */
export interface BackupInfo {
  /** File name in the destination folder, when written there. */
  file?: string;
  formatVersion: number;
  clusterId: string;
  raftIndex: number;
  raftTerm: number;
  createdMs: number;
  sizeBytes: number;
  /** Hex SHA-256 of the whole file but its last 32 bytes (which hold it). */
  sha256: string;
}

export interface BackupRun {
  startedMs: number;
  finishedMs: number;
  ok: boolean;
  error?: string;
  backup?: BackupInfo;
}

export interface BackupStatus {
  /** `[backup] enabled` and `schedule` (cron), `retention_days`, `destination`. */
  enabled: boolean;
  schedule?: string;
  retentionDays?: number;
  destination?: string;
  nextRunMs?: number;
  lastRun?: BackupRun;
  lastSuccessfulRun?: BackupRun;
  /** Backup files found in the destination, newest first. */
  backups: BackupInfo[];
}

export interface BackupAdmin {
  /** A consistent metadata backup, streamed as the file's bytes (GET /admin/v1/backup). */
  createBackup(): Promise<{ info: Omit<BackupInfo, 'sizeBytes' | 'sha256' | 'file'>; body: AsyncIterable<Uint8Array> }>;
  /** Write a backup into `[backup] destination` (or the given folder on this node) and prune by retention. */
  backupToDestination(options: { destination?: string }): Promise<BackupRun>;
  backupStatus(): Promise<BackupStatus>;
}
