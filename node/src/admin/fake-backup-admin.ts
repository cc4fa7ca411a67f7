import { createHash } from 'node:crypto';
import { StrataError } from '../platform/errors.js';
import type { BackupAdmin, BackupInfo, BackupRun, BackupStatus } from '../ports/backup-admin.js';
import { FakeCalls } from './fake-calls.js';

/**
 * An in-memory BackupAdmin for tests. Its "backup file" is `payload` followed by the SHA-256 of the
 * payload, the trailer layout of the backup format; it streams in `chunkBytes` pieces and can be told
 * to break after `failAfterBytes` (a stream cut mid-way).
 */
export class FakeBackupAdmin extends FakeCalls<keyof BackupAdmin> implements BackupAdmin {
  payload: Buffer = Buffer.from('STRATA-BACKUP-v1\n' + 'metadata '.repeat(2000));
  chunkBytes = 4096;
  failAfterBytes: number | undefined;
  info = { formatVersion: 1, clusterId: 'c-test', raftIndex: 1234, raftTerm: 3, createdMs: 1_700_000_000_000 };
  status: BackupStatus = { enabled: false, backups: [] };

  /** The whole file as a correct backup would be written. */
  fileBytes(): Buffer {
    return Buffer.concat([this.payload, createHash('sha256').update(this.payload).digest()]);
  }

  async createBackup(): Promise<{ info: Omit<BackupInfo, 'sizeBytes' | 'sha256' | 'file'>; body: AsyncIterable<Uint8Array> }> {
    this.enter('createBackup');
    const file = this.fileBytes();
    const { chunkBytes, failAfterBytes } = this;
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < file.length; at += chunkBytes) {
        if (failAfterBytes !== undefined && at >= failAfterBytes) throw new StrataError('Internal', 'backup stream broke (arranged by the test)');
        yield file.subarray(at, Math.min(file.length, at + chunkBytes));
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return { info: { ...this.info }, body: body() };
  }

  async backupToDestination(options: { destination?: string }): Promise<BackupRun> {
    this.enter('backupToDestination', options);
    const file = this.fileBytes();
    const destination = options.destination ?? this.status.destination;
    if (destination === undefined) throw new StrataError('FailedPrecondition', 'no [backup] destination is configured and none was given');
    const info: BackupInfo = {
      ...this.info,
      file: `strata-${this.info.clusterId}-${this.info.raftIndex}.snap`,
      sizeBytes: file.length,
      sha256: createHash('sha256').update(this.payload).digest('hex'),
    };
    const run: BackupRun = { startedMs: this.info.createdMs, finishedMs: this.info.createdMs + 20, ok: true, backup: info };
    this.status = { ...this.status, destination, lastRun: run, lastSuccessfulRun: run, backups: [info, ...this.status.backups] };
    return run;
  }

  async backupStatus(): Promise<BackupStatus> {
    this.enter('backupStatus');
    return this.status;
  }
}
