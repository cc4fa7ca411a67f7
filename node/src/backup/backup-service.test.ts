import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Labels, MetricsSink } from '../platform/metrics.js';
import { SimClock } from '../testing/sim-clock.js';
import { decodeBackup } from './backup-format.js';
import { BackupService } from './backup-service.js';
import type { MetadataSnapshot, SnapshotSource } from './snapshot-source.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'strata-backup-service-'));
  dirs.push(d);
  return d;
}

/** Records what the service reports, by metric name and labels. */
function recordingMetrics(): MetricsSink & { values: Map<string, number> } {
  const values = new Map<string, number>();
  const key = (name: string, labels?: Labels) => `${name}${labels ? JSON.stringify(labels) : ''}`;
  return {
    values,
    gauge: (name) => ({ set: (v, labels) => values.set(key(name, labels), v) }),
    counter: (name) => ({ inc: (v = 1, labels) => values.set(key(name, labels), (values.get(key(name, labels)) ?? 0) + v) }),
    histogram: () => ({ observe: () => undefined }),
  };
}

function source(state: { index: number; fail?: boolean }): SnapshotSource {
  return {
    async capture(): Promise<MetadataSnapshot> {
      if (state.fail) throw new Error('no quorum');
      return { clusterId: 'cluster-a', raftIndex: state.index, raftTerm: 3, voters: [1, 2, 3], learners: [], data: Buffer.from(`{"index":${state.index}}`) };
    },
  };
}

describe('BackupService', () => {
  it('streams a backup that decodes to the captured snapshot', async () => {
    const clock = new SimClock();
    const service = new BackupService({ nodeId: 2, source: source({ index: 77 }), clock });
    const { info, body } = await service.createBackup();
    expect(info).toEqual({ formatVersion: 1, clusterId: 'cluster-a', raftIndex: 77, raftTerm: 3, createdMs: clock.wallMs() });
    const parts: Uint8Array[] = [];
    for await (const p of body) parts.push(p);
    const decoded = decodeBackup(Buffer.concat(parts));
    expect(decoded.header).toMatchObject({ nodeId: 2, raftIndex: 77, voters: [1, 2, 3] });
    expect(Buffer.from(decoded.snapshot).toString()).toBe('{"index":77}');
  });

  it('writes into the destination, prunes by retention, counts results, and reports status', async () => {
    const clock = new SimClock();
    const destination = join(tempDir(), 'backups');
    const metrics = recordingMetrics();
    const state = { index: 10, fail: false };
    const service = new BackupService({ nodeId: 1, source: source(state), clock, destination, retentionDays: 2, metrics });

    const first = await service.backupToDestination({});
    expect(first.ok).toBe(true);
    expect(first.backup?.file).toBe('metadata-20260101-000000.snap');
    const written = readFileSync(join(destination, first.backup!.file!));
    expect(decodeBackup(written).header.raftIndex).toBe(10);
    expect(first.backup?.sha256).toBe(decodeBackup(written).sha256);
    expect(first.backup?.sizeBytes).toBe(written.length);

    await clock.runFor(3 * 86_400_000);
    state.index = 20;
    const second = await service.backupToDestination({});
    expect(second.ok).toBe(true);
    expect(readdirSync(destination)).toEqual([second.backup!.file]); // the 3-day-old one is pruned

    state.fail = true;
    const failed = await service.backupToDestination({});
    expect(failed).toMatchObject({ ok: false, error: 'no quorum' });
    expect(metrics.values.get('strata_backups_total{"result":"success"}')).toBe(2);
    expect(metrics.values.get('strata_backups_total{"result":"failure"}')).toBe(1);
    expect(metrics.values.get('strata_backup_last_success_timestamp_seconds')).toBe(second.finishedMs / 1000);

    const status = await service.backupStatus();
    expect(status).toMatchObject({ enabled: false, destination, retentionDays: 2, lastRun: failed, lastSuccessfulRun: second });
    expect(status.backups.map((b) => b.raftIndex)).toEqual([20]);
    expect(status.nextRunMs).toBeUndefined();

    // Another folder on request; the status still lists the configured one.
    const elsewhere = join(tempDir(), 'elsewhere');
    state.fail = false;
    expect((await service.backupToDestination({ destination: elsewhere })).ok).toBe(true);
    expect(readdirSync(elsewhere)).toHaveLength(1);
  });

  it('schedules backups when enabled, on the leader only', async () => {
    const clock = new SimClock(); // wall time starts at 2026-01-01T00:00Z
    const destination = join(tempDir(), 'backups');
    const service = new BackupService({ nodeId: 1, source: source({ index: 5 }), clock, destination, enabled: true, schedule: '0 * * * *', timezone: 'UTC', isLeader: () => true });
    service.start();
    expect((await service.backupStatus()).nextRunMs).toBe(Date.UTC(2026, 0, 1, 1));
    await clock.runFor(3_600_000);
    // The run does file I/O outside the simulated clock: wait for it in real time.
    for (let i = 0; i < 100 && (await service.backupStatus()).lastRun === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    const status = await service.backupStatus();
    expect(status.lastRun?.ok).toBe(true);
    expect(status.backups).toHaveLength(1);
    expect(status.nextRunMs).toBe(Date.UTC(2026, 0, 1, 2));
    await service.stop();
  });
});
