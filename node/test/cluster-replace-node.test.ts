import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from './harness/test-cluster.js';
import { MOVEMENT_TOML, S3Load, adminOf, eventually } from './cluster-s3-load.js';

describe('replace a failed node: SIGKILL for good, remove --force, recovery, a new node joins', () => {
  const cluster = new TestCluster({ subnetBase: 220, configToml: MOVEMENT_TOML });
  let load: S3Load;

  beforeAll(async () => {
    await cluster.startNodes(4);
    load = new S3Load([1, 2, 3].map((id) => cluster.s3Url(id)), 'replace');
    await load.createBucket();
    await load.fill(40);
  }, 120_000);

  afterAll(async () => {
    await load?.stop();
    load?.destroy();
    await cluster.stopAll();
    cluster.cleanup();
  });

  it('rebuilds every chunk of the lost node from parity; every object intact; node-5 joins and takes data', async () => {
    const admin = adminOf(cluster);
    const lostChunks = (await admin.storageStatus()).nodes.find((n) => n.nodeId === 4)!.chunks;
    expect(lostChunks).toBeGreaterThan(0);

    await cluster.node(4).kill();
    load.start();
    await admin.removeNode(4, { force: true });
    await cluster.waitFor(1, 'node-4 gone from the membership', (s) => s.nodes.every((n) => n.id !== 4));

    const recovered = await eventually(
      'recovery complete',
      async () => ({ storage: await admin.storageStatus(), recovery: await admin.recoveryStatus() }),
      (s) => s.storage.degradedChunks === 0 && s.recovery.nodes.length === 0 && s.recovery.inProgress === 0,
    );
    expect(recovered.recovery.progress.chunksDone).toBeGreaterThanOrEqual(lostChunks);
    expect(recovered.recovery.unrecoverable).toBe(0);
    const leaderUrl = (await admin.clusterStatus()).nodes.find((n) => n.role === 'leader')!.adminUrl!;
    const metrics = await (await fetch(`${leaderUrl}/metrics`)).text();
    expect(metrics).toMatch(/strata_recovery_operations_total [1-9]/);
    expect(metrics).toMatch(/strata_recovery_operations_in_progress 0/);

    await cluster.start(5, 1).waitReady();
    await eventually('node-5 online', () => admin.storageStatus(), (s) => s.nodes.some((n) => n.nodeId === 5 && n.online));
    await load.fill(20);
    await load.stop();
    const storage = await admin.storageStatus();
    expect(storage.nodes.find((n) => n.nodeId === 5)!.chunks).toBeGreaterThan(0);
    expect(storage.degradedChunks).toBe(0);

    expect(load.failures).toEqual([]);
    expect(await load.verifyAll()).toEqual([]);
  }, 240_000);
});
