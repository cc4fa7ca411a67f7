import { describe, expect, it } from 'vitest';
import { InMemoryChunkStore } from '../objects/in-memory-chunk-store.testkit.js';
import { bodyOf, collect, objectServiceHarness, pattern } from '../objects/object-service.testkit.js';
import type { PlacementNode } from '../placement/placement.js';
import { SeededRandom } from '../platform/random.js';
import { ChunkRelocator } from './chunk-relocator.js';
import { ClusterMaintenance } from './cluster-maintenance.js';

/** Five in-memory nodes (2+1 layouts), 12 objects, node 1 the leader; ClusterMaintenance over real metadata and stores. */
async function setup(
  options: { nodes?: number; objects?: number; wrap?: (relocator: ChunkRelocator) => Pick<ChunkRelocator, 'relocate'>; moveLimit?: () => number } = {},
) {
  const nodeCount = options.nodes ?? 5;
  let view: () => Promise<PlacementNode[]> = async () => [];
  // The object service places by the same view as the maintenance (draining nodes take no new data).
  const h = await objectServiceHarness({ nodes: nodeCount, erasure: { dataShards: 2, parityShards: 1 }, placementView: () => view() });
  const meta = h.metadata.meta;
  meta.bootstrap('c', { id: 1, address: 'n1:9000' });
  for (const id of h.nodeIds.slice(1)) meta.applyMembership(id, { type: 'addLearner', nodeId: id, address: `n${id}:9000`, adminUrl: `http://n${id}:9090` });
  const down = new Set<number>();
  view = async () => meta.members().map((m) => ({ id: m.id, state: m.state, online: !down.has(m.id), availableBytes: 2 ** 30 }));
  const objects = new Map<string, Buffer>();
  for (let i = 0; i < (options.objects ?? 12); i++) {
    const data = pattern(5_000 + i * 977, i);
    await h.service.putObject({ bucket: 'b', key: `k${i}`, body: bodyOf(data), sizeBytes: data.byteLength });
    objects.set(`k${i}`, data);
  }
  const runtime = {
    nodeId: 1,
    leaderId: 1,
    onlineMembers: () => meta.members().map((m) => m.id).filter((id) => !down.has(id)),
    removeNode: async (id: number) => meta.applyMembership(99, { type: 'remove', nodeId: id }),
  };
  const relocator = new ChunkRelocator({ metadata: h.metadata, chunkStores: h.stores, clock: h.clock, random: new SeededRandom(5), blockTimeoutMs: 500 });
  const maintenanceFor = (rt: ConstructorParameters<typeof ClusterMaintenance>[0]['runtime']) =>
    new ClusterMaintenance({
      runtime: rt,
      metadata: h.metadata,
      usage: { view, usedBytes: () => new Map() },
      relocator: options.wrap ? options.wrap(relocator) : relocator,
      clock: h.clock,
      recoveryTimeoutMs: 50,
      superviseIntervalMs: 20,
      retryDelayMs: 20,
      leaderUrlOf: (id) => meta.member(id)?.adminUrl,
      moveLimit: options.moveLimit,
    });
  const maintenance = maintenanceFor(runtime);
  const allIntact = async () => {
    for (const [key, data] of objects) {
      const got = await collect((await h.service.getObject('b', key)).body);
      if (!got.equals(data)) return false;
    }
    return true;
  };
  const until = async (check: () => Promise<boolean> | boolean) => {
    for (let i = 0; i < 500 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await check()).toBe(true);
  };
  return { ...h, meta, down, runtime, maintenance, maintenanceFor, allIntact, until };
}

describe('ClusterMaintenance', () => {
  it('drains a node: plan, draining -> drained, no chunk left, every object intact; then remove', async () => {
    const s = await setup();
    const before = s.meta.referencedChunkCount(3);
    expect(before).toBeGreaterThan(0);
    const dry = await s.maintenance.drain(3, { dryRun: true });
    expect(dry).toMatchObject({ nodeId: 3, feasible: true, chunks: before });
    expect(s.meta.member(3)?.state).toBe('active');
    await expect(s.maintenance.removeNode(3, { force: false })).rejects.toMatchObject({ code: 'FailedPrecondition', message: expect.stringMatching(/node-3 is active \(\d+ chunks\)/) });

    s.maintenance.start();
    const plan = await s.maintenance.drain(3, { dryRun: false });
    expect(plan.targets.reduce((n, t) => n + t.chunks, 0)).toBe(before);
    await s.until(async () => (await s.maintenance.drainStatus(3)).state === 'drained');
    const status = await s.maintenance.drainStatus(3);
    expect(status.progress).toMatchObject({ chunksDone: before, chunksTotal: before });
    expect(s.meta.referencedChunkCount(3)).toBe(0);
    // Node 3's store may go now: nothing references it.
    s.stores.forNode(3).faults.down = true;
    expect(await s.allIntact()).toBe(true);
    await s.maintenance.removeNode(3, { force: false });
    expect(s.meta.member(3)).toBeUndefined();
    await s.maintenance.stop();
  });

  it("shows the move throttle's limit in force in the status of running work only", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const s = await setup({
      moveLimit: () => 8 * 1024 * 1024,
      // Moves wait until released: the drain is seen running.
      wrap: (relocator) => ({ relocate: async (request) => (await held, relocator.relocate(request)) }),
    });
    expect((await s.maintenance.drainStatus(3)).progress.limitBytesPerSec).toBeUndefined();
    s.maintenance.start();
    await s.maintenance.drain(3, { dryRun: false });
    await s.until(async () => (await s.maintenance.drainStatus(3)).progress.chunksTotal > 0);
    expect((await s.maintenance.drainStatus(3)).progress.limitBytesPerSec).toBe(8 * 1024 * 1024);
    expect((await s.maintenance.recoveryStatus()).progress.limitBytesPerSec).toBeUndefined(); // no recovery running
    release();
    await s.until(async () => (await s.maintenance.drainStatus(3)).state === 'drained');
    expect((await s.maintenance.drainStatus(3)).progress.limitBytesPerSec).toBeUndefined();
    await s.maintenance.stop();
  });

  it('refuses an infeasible drain before anything moves, with the reason', async () => {
    const s = await setup({ nodes: 3, objects: 3 });
    await expect(s.maintenance.drain(2, { dryRun: false })).rejects.toMatchObject({ code: 'FailedPrecondition', message: expect.stringMatching(/only 2 other active online nodes/) });
    expect(s.meta.member(2)?.state).toBe('active');
    expect((await s.maintenance.drain(2, { dryRun: true })).feasible).toBe(false);
  });

  it('undrain stops a drain and returns the node to service', async () => {
    const s = await setup();
    await s.maintenance.drain(2, { dryRun: false });
    const status = await s.maintenance.undrain(2);
    expect(status.state).toBe('active');
    expect(s.meta.member(2)?.state).toBe('active');
    await expect(s.maintenance.drainStatus(9)).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('remove --force: recovery rebuilds the lost node\'s chunks from parity, every object intact', async () => {
    const s = await setup();
    const lost = s.meta.referencedChunkCount(4);
    s.stores.forNode(4).faults.down = true;
    s.down.add(4);
    await s.maintenance.removeNode(4, { force: true });
    s.maintenance.start();
    await s.until(() => s.meta.referencedChunkCount(4) === 0);
    await s.until(async () => (await s.maintenance.recoveryStatus()).nodes.length === 0);
    const recovery = await s.maintenance.recoveryStatus();
    expect(recovery.progress.chunksDone).toBe(lost);
    expect((await s.maintenance.storageStatus()).degradedChunks).toBe(0);
    // Lose another node: 2+1 layouts survive it only if the rebuilt columns are real.
    s.stores.forNode(5).faults.down = true;
    expect(await s.allIntact()).toBe(true);
    await s.maintenance.stop();
  });

  it('a member down past recovery_timeout is recovered without being removed', async () => {
    const s = await setup();
    s.stores.forNode(2).faults.down = true;
    s.down.add(2);
    s.maintenance.start();
    await s.until(() => s.meta.referencedChunkCount(2) === 0);
    expect(s.meta.member(2)).toBeDefined();
    expect(await s.allIntact()).toBe(true);
    await s.maintenance.stop();
  });

  it('rebalance fills a new node', async () => {
    const s = await setup({ nodes: 4 });
    // A fifth node joins empty.
    s.stores.stores.set(5, new InMemoryChunkStore(5));
    s.meta.applyMembership(100, { type: 'addLearner', nodeId: 5, address: 'n5:9000' });
    expect(s.meta.referencedChunkCount(5)).toBe(0);
    await s.maintenance.rebalance();
    await s.until(async () => (await s.maintenance.rebalanceStatus()).state === 'done');
    const bytes = s.meta.referencedBytesPerNode();
    const values = [1, 2, 3, 4, 5].map((id) => bytes.get(id) ?? 0);
    expect(Math.min(...values)).toBeGreaterThan(0);
    expect((Math.max(...values) - Math.min(...values)) / (values.reduce((a, b) => a + b) / 5)).toBeLessThan(0.5);
    expect(await s.allIntact()).toBe(true);
  });

  it('a rebalance survives a leader change: the request is replicated, the new leader resumes it and clears it when done', async () => {
    let gate: (() => void) | undefined;
    const gated = new Promise<void>((resolve) => (gate = resolve));
    let calls = 0;
    const s = await setup({
      nodes: 4,
      // Every move waits until the leader has changed: the first leader cannot finish the rebalance.
      wrap: (relocator) => ({ relocate: async (request) => (calls++, await gated, relocator.relocate(request)) }),
    });
    s.stores.stores.set(5, new InMemoryChunkStore(5));
    s.meta.applyMembership(100, { type: 'addLearner', nodeId: 5, address: 'n5:9000' });
    const runtime2 = { nodeId: 2, get leaderId() { return s.runtime.leaderId; }, onlineMembers: s.runtime.onlineMembers, removeNode: s.runtime.removeNode };
    const second = s.maintenanceFor(runtime2);
    s.maintenance.start();
    second.start();
    expect((await s.maintenance.rebalance()).state).toBe('running');
    expect(s.meta.rebalanceRequest()).toMatchObject({ requested: true });
    await s.until(() => calls > 0);
    // Node 1 loses leadership; node 2 takes over. Node 1's worker stops without clearing the request.
    s.runtime.leaderId = 2;
    gate!();
    await s.until(async () => (await second.rebalanceStatus()).state === 'done');
    expect(s.meta.rebalanceRequest()).toMatchObject({ requested: false });
    expect(s.meta.referencedChunkCount(5)).toBeGreaterThan(0);
    await expect(s.maintenance.rebalanceStatus()).rejects.toMatchObject({ code: 'NotLeader' });
    expect(await s.allIntact()).toBe(true);
    // Done and cleared: nothing starts it again.
    await second.supervise();
    expect((await second.rebalanceStatus()).state).toBe('done');
    await s.maintenance.stop();
    await second.stop();
  });

  it('a new leader reports a replicated request it has not picked up yet as running, not idle', async () => {
    const s = await setup({ nodes: 4 });
    s.meta.applyCommand({ op: 'setRebalance', requested: true, requestedMs: 1 });
    const state = (await s.maintenance.rebalanceStatus()).state;
    expect(state).toBe('running');
    await s.until(async () => (await s.maintenance.rebalanceStatus()).state === 'done');
    expect(s.meta.rebalanceRequest()).toEqual({ requested: false, requestedMs: 1 });
    await s.maintenance.stop();
  });

  it('a follower answers NotLeader with the leader\'s admin URL', async () => {
    const s = await setup();
    s.runtime.leaderId = 2;
    await expect(s.maintenance.storageStatus()).rejects.toMatchObject({ code: 'NotLeader', details: { leaderId: 2, leaderUrl: 'http://n2:9090' } });
  });
});
