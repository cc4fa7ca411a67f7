/**
 * BackupAdmin on one node: streamed backups (GET /admin/v1/backup), backups into `[backup] destination`
 * with retention pruning, the cron schedule (run on the leader) and the status of all that.
 */
import type { Clock } from '../platform/clock.js';
import { StrataError } from '../platform/errors.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { noopMetrics, type Counter, type Gauge, type MetricsSink } from '../platform/metrics.js';
import type { BackupAdmin, BackupInfo, BackupRun, BackupStatus } from '../ports/backup-admin.js';
import { BACKUP_FORMAT_VERSION, DIGEST_BYTES, encodeBackup, encodeBackupStream, type BackupHeader } from './backup-format.js';
import { listBackupFiles, pruneBackupFiles, writeBackupFile } from './backup-files.js';
import { BackupScheduler } from './backup-scheduler.js';
import type { SnapshotSource } from './snapshot-source.js';

export interface BackupServiceOptions {
  nodeId: number;
  source: SnapshotSource;
  clock: Clock;
  /** `[backup]`: enabled (scheduled runs), schedule (cron), retention_days, destination. */
  enabled?: boolean;
  schedule?: string;
  retentionDays?: number;
  destination?: string;
  /** Time zone of the schedule (default: local time). */
  timezone?: string;
  /** Whether this node is the Raft leader (only the leader runs scheduled backups). */
  isLeader?: () => boolean;
  logger?: Logger;
  metrics?: MetricsSink;
}

export type ResolvedBackupServiceOptions = Required<Omit<BackupServiceOptions, 'timezone'>> & { timezone?: string };

export function resolveBackupServiceOptions(options: BackupServiceOptions): ResolvedBackupServiceOptions {
  const resolved = {
    enabled: false,
    schedule: '0 2 * * *',
    retentionDays: 30,
    destination: '/var/lib/strata/backups',
    isLeader: () => false,
    logger: silentLogger,
    metrics: noopMetrics,
    ...options,
  };
  if (!Number.isSafeInteger(resolved.retentionDays) || resolved.retentionDays < 1) {
    throw new StrataError('InvalidConfig', `[backup] retention_days must be an integer >= 1, got ${resolved.retentionDays}`);
  }
  if (resolved.destination === '') throw new StrataError('InvalidConfig', '[backup] destination must not be empty');
  return resolved;
}

export class BackupService implements BackupAdmin {
  private readonly o: ResolvedBackupServiceOptions;
  private readonly scheduler?: BackupScheduler;
  private readonly runsTotal: Counter;
  private readonly lastSuccessGauge: Gauge;
  private lastRun?: BackupRun;
  private lastSuccessfulRun?: BackupRun;
  /** Backups into a folder run one at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: BackupServiceOptions) {
    this.o = resolveBackupServiceOptions(options);
    this.runsTotal = this.o.metrics.counter('strata_backups_total', 'Metadata backups written to a destination folder, by result', ['result']);
    // Both series exist from the start, so an alert on failures sees 0 rather than no data.
    for (const result of ['success', 'failure']) this.runsTotal.inc(0, { result });
    this.lastSuccessGauge = this.o.metrics.gauge('strata_backup_last_success_timestamp_seconds', 'When the last metadata backup into a destination folder succeeded (seconds since the epoch)');
    if (this.o.enabled) {
      this.scheduler = new BackupScheduler({
        schedule: this.o.schedule,
        timezone: this.o.timezone,
        clock: this.o.clock,
        isLeader: this.o.isLeader,
        run: () => this.backupToDestination({}),
        logger: this.o.logger,
      });
    }
  }

  /** Starts the schedule (when `[backup] enabled`). */
  start(): void {
    this.scheduler?.start();
  }

  async stop(): Promise<void> {
    await this.scheduler?.stop();
    await this.queue.catch(() => undefined);
  }

  async createBackup(): Promise<{ info: Omit<BackupInfo, 'sizeBytes' | 'sha256' | 'file'>; body: AsyncIterable<Uint8Array> }> {
    const header = await this.captureHeader();
    return { info: infoOf(header.header), body: encodeBackupStream(header.header, header.data) };
  }

  backupToDestination(options: { destination?: string }): Promise<BackupRun> {
    const run = this.queue.then(() => this.runToDestination(options.destination ?? this.o.destination));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async backupStatus(): Promise<BackupStatus> {
    let backups: BackupInfo[] = [];
    try {
      backups = await listBackupFiles(this.o.destination);
    } catch (err) {
      this.o.logger.warn({ err, destination: this.o.destination }, 'cannot list the backup destination');
    }
    return {
      enabled: this.o.enabled,
      schedule: this.o.schedule,
      retentionDays: this.o.retentionDays,
      destination: this.o.destination,
      nextRunMs: this.scheduler?.nextRunMs,
      lastRun: this.lastRun,
      lastSuccessfulRun: this.lastSuccessfulRun,
      backups,
    };
  }

  private async captureHeader(): Promise<{ header: BackupHeader; data: Uint8Array }> {
    const snapshot = await this.o.source.capture();
    const header: BackupHeader = {
      clusterId: snapshot.clusterId,
      raftIndex: snapshot.raftIndex,
      raftTerm: snapshot.raftTerm,
      createdMs: this.o.clock.wallMs(),
      nodeId: this.o.nodeId,
      voters: snapshot.voters,
      learners: snapshot.learners,
    };
    return { header, data: snapshot.data };
  }

  private async runToDestination(destination: string): Promise<BackupRun> {
    const startedMs = this.o.clock.wallMs();
    let run: BackupRun;
    try {
      const { header, data } = await this.captureHeader();
      const bytes = encodeBackup(header, data);
      const file = await writeBackupFile(destination, header.createdMs, bytes);
      const backup: BackupInfo = {
        ...infoOf(header),
        file,
        sizeBytes: bytes.length,
        sha256: bytes.subarray(bytes.length - DIGEST_BYTES).toString('hex'),
      };
      // Retention runs after a success only, and never deletes the file just written.
      const pruned = await pruneBackupFiles({ dir: destination, clusterId: header.clusterId, retentionDays: this.o.retentionDays, nowMs: this.o.clock.wallMs(), keep: [file] });
      run = { startedMs, finishedMs: this.o.clock.wallMs(), ok: true, backup };
      this.lastSuccessfulRun = run;
      this.runsTotal.inc(1, { result: 'success' });
      this.lastSuccessGauge.set(run.finishedMs / 1000);
      this.o.logger.info({ destination, file, raftIndex: header.raftIndex, sizeBytes: bytes.length, pruned: pruned.deleted }, 'metadata backup written');
    } catch (err) {
      run = { startedMs, finishedMs: this.o.clock.wallMs(), ok: false, error: err instanceof Error ? err.message : String(err) };
      this.runsTotal.inc(1, { result: 'failure' });
      this.o.logger.error({ err, destination }, 'metadata backup failed');
    }
    this.lastRun = run;
    return run;
  }
}

function infoOf(header: BackupHeader): Omit<BackupInfo, 'sizeBytes' | 'sha256' | 'file'> {
  return { formatVersion: BACKUP_FORMAT_VERSION, clusterId: header.clusterId, raftIndex: header.raftIndex, raftTerm: header.raftTerm, createdMs: header.createdMs };
}
