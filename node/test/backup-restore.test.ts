import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBackup } from '../src/backup/backup-format.js';
import { restoreFromBackup } from '../src/backup/restore-from-backup.js';
import type { BackupRun, BackupStatus } from '../src/ports/backup-admin.js';
import { randomData, s3Client, sha256 } from './harness/s3-helpers.js';
import { TestCluster } from './harness/test-cluster.js';

const MiB = 1024 * 1024;
const NODES = [1, 2, 3];

async function getBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/** Every file under `dir` with its size and mtime: "nothing changed" made checkable. */
function snapshotTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const s = statSync(path);
        out.push(`${path} ${s.size} ${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out.sort();
}

describe('metadata backup and offline restore on real processes', () => {
  const cluster = new TestCluster({ subnetBase: 240, configToml: '' });
  const backupsDir = join(cluster.root, 'backups');
  const bucket = 'keep';
  let s3: S3Client;

  beforeAll(async () => {
    writeFileSync(cluster.configPath, `[backup]\ndestination = ${JSON.stringify(backupsDir)}\nretention_days = 7\n${readFileSync(cluster.configPath, 'utf8')}`);
    await cluster.startNodes(3);
    s3 = s3Client(cluster.s3Url(1));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }, 60_000);

  afterAll(async () => {
    s3?.destroy();
    await cluster.stopAll();
    cluster.cleanup();
  });

  it('restores every object of the backup after more writes, and refuses a truncated file first', async () => {
    // Objects in the backup: inline and erasure-coded, one of them deleted after the backup.
    const before = new Map<string, string>();
    for (const [i, size] of [100, 20_000, 1 * MiB + 7, 3 * MiB + 1].entries()) {
      const data = randomData(size);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `before/${i}`, Body: data }));
      before.set(`before/${i}`, sha256(data));
    }

    // The backup over the admin route (streamed), from a follower: ReadIndex makes it consistent anyway.
    const res = await fetch(`${cluster.adminUrl(2)}/admin/v1/backup`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/octet-stream/);
    const file = Buffer.from(await res.arrayBuffer());
    const decoded = decodeBackup(file);
    expect(decoded.header.voters).toEqual(NODES);
    expect(res.headers.get('x-strata-backup-cluster-id')).toBe(decoded.header.clusterId);
    const backupPath = join(cluster.root, 'metadata.snap');
    writeFileSync(backupPath, file);

    // A backup into the configured destination, listed by the status route.
    const run = (await (await fetch(`${cluster.adminUrl(1)}/admin/v1/backups`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as BackupRun;
    expect(run.ok).toBe(true);
    expect(run.backup?.file).toMatch(/^metadata-\d{8}-\d{6}\.snap$/);
    const status = (await (await fetch(`${cluster.adminUrl(1)}/admin/v1/backups`)).json()) as BackupStatus;
    expect(status.backups.map((b) => b.file)).toEqual([run.backup!.file]);
    expect(decodeBackup(readFileSync(join(backupsDir, run.backup!.file!))).header.clusterId).toBe(decoded.header.clusterId);
    const metrics = await (await fetch(`${cluster.adminUrl(1)}/metrics`)).text();
    expect(metrics).toMatch(/strata_backups_total\{result="success"\} 1/);
    expect(metrics).toMatch(/strata_backup_last_success_timestamp_seconds \d/);

    // After the backup: more objects, and a deletion.
    const after: string[] = [];
    for (let i = 0; i < 3; i++) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `after/${i}`, Body: randomData(1 * MiB + i) }));
      after.push(`after/${i}`);
    }
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'before/3' }));

    s3.destroy();
    await cluster.stopAll();

    // A truncated copy is refused with one clear message, and no data dir changes.
    const truncated = join(cluster.root, 'truncated.snap');
    writeFileSync(truncated, file.subarray(0, file.length - 1000));
    const trees = NODES.map((id) => snapshotTree(join(cluster.root, `node-${id}`)));
    for (const id of NODES) {
      await expect(restoreFromBackup({ inputPath: truncated, dataDir: join(cluster.root, `node-${id}`) })).rejects.toThrow(/truncated\.snap is not a usable Strata backup: it is truncated/);
    }
    expect(NODES.map((id) => snapshotTree(join(cluster.root, `node-${id}`)))).toEqual(trees);

    for (const id of NODES) {
      const info = await restoreFromBackup({ inputPath: backupPath, dataDir: join(cluster.root, `node-${id}`) });
      expect(info.raftIndex).toBe(decoded.header.raftIndex);
      expect(readdirSync(join(cluster.root, `node-${id}`)).some((n) => n.startsWith('raft.before-restore-'))).toBe(true);
    }

    for (const id of NODES) cluster.start(id);
    await Promise.all(NODES.map((id) => cluster.node(id).waitReady(60_000)));
    s3 = s3Client(cluster.s3Url(3));
    for (const [key, hash] of before) expect(sha256(await getBytes(s3, bucket, key)), key).toBe(hash);
    for (const key of after) await expect(getBytes(s3, bucket, key)).rejects.toMatchObject({ name: 'NoSuchKey' });
    // The restored cluster takes writes again.
    const fresh = randomData(2 * MiB);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'restored/new', Body: fresh }));
    expect(sha256(await getBytes(s3, bucket, 'restored/new'))).toBe(sha256(fresh));
  }, 180_000);
});
