// Issue 6, scenario 8: scheduled backups every minute into a destination claim (files appear, older ones are
// pruned by retention, status and Events report them), then a restore into a fresh cluster: the
// StrataCluster and its data claims are deleted (everything lost), new empty claims get the backup through
// `strata restore` before the pods start, and the cluster created again serves the backed-up objects.
//
// A backup is the metadata only (docs/decisions/0011): objects small enough to live inline in the metadata
// come back whole; the chunks of larger ones were on the deleted claims, so only small objects are checked.
import { chownSync, copyFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StrataClusterSpec } from '../../operator/src/api/strata-cluster.js';
import { runCommand } from '../control-plane/control-plane.js';
import { CONTROL_PLANE_PORTS } from '../control-plane/control-plane-ports.js';
import { ClusterChecks } from '../harness/cluster-checks.js';
import { E2eEnvironment } from '../harness/environment.js';
import { s3Client, s3TargetOf, sha256 } from '../harness/s3-workload.js';
import { waitFor } from '../harness/wait.js';

const NS = 'vault';
const NAME = 'vault';
const MIN = 60_000;
const SPEC: StrataClusterSpec = {
  version: 'e2e-a',
  nodes: 3,
  storage: { size: '1Gi' },
  erasure: { dataShards: 2, parityShards: 1 },
  config: { data: { stripe_size: '64KiB', inline_threshold: '4KiB', cache_size: '16MiB' }, metadata: { rocksdb_cache_size: '8MiB' } },
  backup: { schedule: '* * * * *', retentionDays: 1, destination: { claimName: 'backups', path: '/backup' } },
};
/** Inline objects (below inline_threshold): they live in the metadata a backup holds. */
const SMALL = 12;

let env: E2eEnvironment;
let checks: ClusterChecks;
const written = new Map<string, string>();

beforeAll(async () => {
  // Its own ports and address ranges: this file runs alongside lifecycle.test.ts (two e2e files at a time).
  env = await E2eEnvironment.start({
    run: 'e2e-backup',
    controlPlaneEnv: {
      ...CONTROL_PLANE_PORTS.backupRestore,
      K8S_SERVICE_CIDR: '10.98.0.0/16',
      K8S_SERVICE_IP: '10.98.0.1',
    },
    podCidr: '10.90.0.0/24',
  });
  checks = new ClusterChecks(env, NS, NAME);
}, 30 * MIN);

afterAll(async () => {
  await env?.stop();
}, 5 * MIN);

/** The host folder behind a claim (the node agent's hostPath PV). */
async function claimDir(claim: string): Promise<string> {
  const pvc = await env.cp.getJson<{ spec: { volumeName?: string } }>(['-n', NS, 'pvc', claim]);
  if (!pvc.spec.volumeName) throw new Error(`claim ${claim} is not bound`);
  const pv = await env.cp.getJson<{ spec: { hostPath?: { path: string } } }>(['pv', pvc.spec.volumeName]);
  if (!pv.spec.hostPath) throw new Error(`PV ${pvc.spec.volumeName} is not a hostPath volume (a local node agent run is needed)`);
  return pv.spec.hostPath.path;
}

async function createClaim(name: string, accessMode: string): Promise<void> {
  await env.kube.apply({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: NS },
    spec: { accessModes: [accessMode], resources: { requests: { storage: '1Gi' } } },
  });
  await waitFor(async () => ((await env.cp.getJson<{ status: { phase?: string } }>(['-n', NS, 'pvc', name])).status.phase === 'Bound' ? true : undefined), {
    what: `claim ${name} Bound`,
    timeoutMs: 2 * MIN,
  });
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) chownTree(join(path, entry), uid, gid);
}

function backupFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^metadata-\d{8}-\d{6}(-\d+)?\.snap$/.test(f)).sort() : [];
}

/** A backup file name of `ms` (backup-files.ts's format). */
function nameAt(ms: number): string {
  return `metadata-${new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}.snap`;
}

describe.sequential('scheduled backups and a restore into a fresh cluster', () => {
  it('8: backups every minute appear in the destination, are pruned by retention, and status reports them', async () => {
    await env.kube.ensureNamespace(NS);
    await createClaim('backups', 'ReadWriteMany');
    await env.kube.createCluster(NS, NAME, SPEC);
    await checks.untilAvailable(3, 6 * MIN);

    const client = s3Client(await s3TargetOf(env.kube, NS, NAME));
    await client.send(new CreateBucketCommand({ Bucket: 'keep' }));
    for (let i = 0; i < SMALL; i++) {
      const data = randomBytes(1_000 + i * 100);
      await client.send(new PutObjectCommand({ Bucket: 'keep', Key: `small-${i}`, Body: data }));
      written.set(`small-${i}`, sha256(data));
    }
    const wroteAt = Date.now();

    const first = await checks.until(
      'a successful backup taken after the writes',
      (c) => c.status?.lastSuccessfulBackup?.ok === true && Date.parse(c.status.lastSuccessfulBackup.time) > wroteAt && c.status.lastSuccessfulBackup.file !== undefined,
      3 * MIN,
    );
    const cond = first.status?.conditions?.find((c) => c.type === 'BackupHealthy');
    expect(cond?.status).toBe('True');
    expect(cond?.reason).toBe('BackupSucceeded');
    const dir = join(await claimDir('backups'), 'backup');
    const firstFile = first.status!.lastSuccessfulBackup!.file!.split('/').pop()!;
    expect(backupFiles(dir)).toContain(firstFile);
    expect((await env.kube.events(NS, NAME)).some((e) => e.reason === 'BackupSucceeded')).toBe(true);

    // A backup of this cluster three days old: past retention (1 day), so the next run prunes it.
    const old = nameAt(Date.now() - 3 * 86_400_000);
    copyFileSync(join(dir, firstFile), join(dir, old));
    const second = await checks.until(
      'a second scheduled backup',
      (c) => c.status?.lastSuccessfulBackup?.ok === true && c.status.lastSuccessfulBackup.time !== first.status!.lastSuccessfulBackup!.time,
      3 * MIN,
    );
    const files = backupFiles(dir);
    expect(files).not.toContain(old);
    expect(files).toContain(firstFile);
    expect(files).toContain(second.status!.lastSuccessfulBackup!.file!.split('/').pop());
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  it('8: restore into a fresh cluster: the backed-up bucket and objects are back', async () => {
    const dir = join(await claimDir('backups'), 'backup');
    const latest = backupFiles(dir).pop()!;
    // Keep the file outside the claim's folder while the cluster is gone (the claim stays anyway).
    const input = join(env.cp.runDir, latest);
    copyFileSync(join(dir, latest), input);

    // Lose everything: the cluster (its StatefulSet and pods follow) and the data claims.
    await env.cp.kubectl(['-n', NS, 'delete', 'stratacluster', NAME, '--cascade=foreground', '--wait=true', '--timeout=180s']);
    await waitFor(async () => ((await env.kube.pods(NS, `app.kubernetes.io/instance=${NAME}`)).length === 0 ? true : undefined), { what: 'the old pods gone', timeoutMs: 3 * MIN });
    const claims = [0, 1, 2].map((o) => `data-${NAME}-${o}`);
    await env.cp.kubectl(['-n', NS, 'delete', 'pvc', ...claims, '--wait=true', '--timeout=120s']);

    // Fresh, empty claims under the StatefulSet's names; `strata restore` writes the metadata into each.
    const strata = join(env.images!.binDirs['e2e-a']!, 'strata');
    for (const claim of claims) {
      await createClaim(claim, 'ReadWriteOnce');
      const dataDir = await claimDir(claim);
      expect(readdirSync(dataDir)).toEqual([]);
      const restored = await runCommand(strata, ['restore', '--input', input, '--data-dir', dataDir]);
      expect(restored.code, `strata restore into ${claim}: ${restored.stdout}${restored.stderr}`).toBe(0);
      // The pods run as the volume's owner (runAsUser/fsGroup 10001): hand the restored files to it, as an
      // operator running `strata restore` as root on a node would.
      const owner = statSync(dataDir);
      chownTree(dataDir, owner.uid, owner.gid);
    }

    await env.kube.createCluster(NS, NAME, { ...SPEC, backup: undefined });
    await checks.untilAvailable(3, 6 * MIN);
    const client = s3Client(await s3TargetOf(env.kube, NS, NAME));
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'keep' }));
    expect((listed.Contents ?? []).map((c) => c.Key).sort()).toEqual([...written.keys()].sort());
    for (const [key, hash] of written) {
      const got = await client.send(new GetObjectCommand({ Bucket: 'keep', Key: key }));
      expect(sha256(Buffer.from(await got.Body!.transformToByteArray())), key).toBe(hash);
    }
    // The restored cluster takes new writes.
    await client.send(new PutObjectCommand({ Bucket: 'keep', Key: 'after-restore', Body: randomBytes(50_000) }));
  });
});
