import type { BackupAdmin } from '../ports/backup-admin.js';
import { notAvailable } from './error-response.js';
import { readJsonBody } from './read-json-body.js';
import type { RouteDeps } from './route-deps.js';
import { optionalString } from './route-params.js';
import { streamResponse } from './stream-response.js';

/** Headers that describe the backup streamed by GET /admin/v1/backup (its bytes carry the rest). */
export const BACKUP_HEADERS = {
  clusterId: 'x-strata-backup-cluster-id',
  raftIndex: 'x-strata-backup-raft-index',
  raftTerm: 'x-strata-backup-raft-term',
  createdMs: 'x-strata-backup-created-ms',
  formatVersion: 'x-strata-backup-format-version',
} as const;

export function mountBackupRoutes(deps: RouteDeps, backup: BackupAdmin | undefined): void {
  const { router, call, maxBodyBytes, log } = deps;
  const need = (): BackupAdmin => {
    if (backup === undefined) throw notAvailable('backup', 'backup');
    return backup;
  };

  // Streams the file as it is produced: a metadata snapshot can be large, so it is never buffered here.
  router.get('/admin/v1/backup', async (ctx) => {
    const b = need();
    const { info, body } = await call('createBackup', () => b.createBackup());
    await streamResponse(
      ctx,
      {
        contentType: 'application/octet-stream',
        headers: {
          [BACKUP_HEADERS.clusterId]: info.clusterId,
          [BACKUP_HEADERS.raftIndex]: String(info.raftIndex),
          [BACKUP_HEADERS.raftTerm]: String(info.raftTerm),
          [BACKUP_HEADERS.createdMs]: String(info.createdMs),
          [BACKUP_HEADERS.formatVersion]: String(info.formatVersion),
          'content-disposition': `attachment; filename="strata-${info.clusterId}-${info.raftIndex}.snap"`,
        },
      },
      body,
      log,
    );
  });

  router.post('/admin/v1/backups', async (ctx) => {
    const body = await readJsonBody(ctx.req, maxBodyBytes);
    const destination = optionalString(body, 'destination');
    const b = need();
    ctx.body = await call('backupToDestination', () => b.backupToDestination(destination === undefined ? {} : { destination }));
  });

  router.get('/admin/v1/backups', async (ctx) => {
    const b = need();
    ctx.body = await call('backupStatus', () => b.backupStatus());
  });
}
