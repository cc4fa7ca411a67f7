import { describe, expect, it } from 'vitest';
import { adminOf, eventually, loadedCluster } from './cluster-s3-load.js';

describe('replace a failed node: SIGKILL for good, remove --force, recovery, a new node joins', () => {
  const loaded = loadedCluster({ subnetBase: 220, nodes: 4, bucket: 'replace', objects: 40 });
  const { cluster } = loaded;

  it('rebuilds every chunk of the lost node from parity; every object intact; node-5 joins and takes data', async () => {
    const load = loaded.load();
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
