import { describe, expect, it } from 'vitest';
import { isStrataError } from '../src/platform/errors.js';
import { adminOf, eventually, leaderMetrics, loadedCluster } from './cluster-s3-load.js';

describe('drain a node under S3 load, then remove it', () => {
  const loaded = loadedCluster({ subnetBase: 210, nodes: 4, bucket: 'drain', objects: 40 });
  const { cluster } = loaded;

  it('refuses remove before the drain, drains to drained with S3 serving, removes, every object intact', async () => {
    const load = loaded.load();
    const admin = adminOf(cluster);
    const status = await admin.clusterStatus();
    // Every member's admin URL is in the membership.
    expect(status.nodes.map((n) => n.adminUrl).sort()).toEqual([1, 2, 3, 4].map((id) => cluster.adminUrl(id)));
    const before = await admin.drainStatus(4);
    expect(before.state).toBe('active');
    expect(before.progress.chunksTotal).toBeGreaterThan(0);

    const refused = await admin.removeNode(4).catch((e: unknown) => e);
    expect(isStrataError(refused, 'FailedPrecondition')).toBe(true);
    expect(String((refused as Error).message)).toMatch(/node-4 is active \(\d+ chunks\).*--force/);

    const dry = await admin.drain(4, { dryRun: true });
    expect(dry).toMatchObject({ nodeId: 4, feasible: true });
    expect(dry.targets.map((t) => t.nodeId).every((id) => [1, 2, 3].includes(id))).toBe(true);
    expect((await admin.drainStatus(4)).state).toBe('active');

    load.start();
    const plan = await admin.drain(4);
    expect(plan.feasible).toBe(true);
    const drained = await eventually('node-4 drained', () => admin.drainStatus(4), (s) => s.state === 'drained');
    expect(drained.progress.chunksDone).toBeGreaterThanOrEqual(plan.chunks);
    expect((await admin.storageStatus()).nodes.find((n) => n.nodeId === 4)?.chunks).toBe(0);
    const metrics = await leaderMetrics(cluster);
    expect(metrics).toMatch(/strata_data_moved_bytes_total [1-9]/);

    await admin.removeNode(4);
    await cluster.waitFor(1, 'node-4 gone from the membership', (s) => s.nodes.every((n) => n.id !== 4));
    await cluster.node(4).stop();
    await load.stop();

    expect(load.failures).toEqual([]);
    expect(await load.verifyAll()).toEqual([]);
  }, 240_000);
});
