import { describe, expect, it } from 'vitest';
import { SIM_BUCKET, SimCluster } from '../testing/sim-cluster.js';

/** Puts `count` inline objects k0.. of `sizeBytes` each, one after the other, each acknowledged. */
async function putInlineObjects(cluster: SimCluster, count: number, sizeBytes: number): Promise<void> {
  const data = Buffer.alloc(sizeBytes, 1);
  for (let i = 0; i < count; i++) {
    await cluster.await(
      cluster.propose({ op: 'putObject', bucket: SIM_BUCKET, key: `k${i}`, manifest: { sizeBytes, etag: `e${i}`, lastModifiedMs: 0, layout: { kind: 'inline', data } } }),
      5_000,
      `put k${i}`,
    );
  }
}

/**
 * Snapshots are taken in the background: while one is written (here: held at its first pause, as a
 * big state would be for a second), every node keeps appending, committing and applying. The Raft loop
 * once awaited the snapshot, and a node with 100+ MB of metadata stopped for a second or more. A node
 * that crashes meanwhile restarts from the snapshot and log it had.
 */
describe('Replica snapshots', () => {
  it('commit and apply go on while a snapshot is being written, a crash meanwhile loses nothing, and the snapshot lands after', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let pauses = 0;
    const cluster = await SimCluster.start({
      seed: 11,
      nodes: 3,
      snapshotEveryEntries: 12,
      keepEntriesAfterSnapshot: 2,
      snapshotPause: () => {
        pauses++;
        return held;
      },
    });
    const replica = (id: number) => cluster.nodes.get(id)!.replica!;
    const before = [1, 2, 3].map((id) => replica(id).status().snapshotIndex);

    // 300 KB of inline data per object: the state passes 1 MiB, so the writer reaches a pause.
    await putInlineObjects(cluster, 20, 300_000);
    expect(await cluster.runUntil(() => [1, 2, 3].every((id) => replica(id).status().applied >= replica(cluster.leaderId()).status().raft.hardState.commit), 2_000)).toBe(true);
    expect(pauses).toBeGreaterThan(0);
    expect([1, 2, 3].map((id) => replica(id).status().snapshotIndex)).toEqual(before);
    expect([1, 2, 3].map((id) => cluster.nodes.get(id)!.machine!.inner.getObject(SIM_BUCKET, 'k19')?.etag)).toEqual(['e19', 'e19', 'e19']);

    // A node that dies while its snapshot is being written starts again from its previous snapshot and log.
    const follower = [1, 2, 3].find((id) => id !== cluster.leaderId())!;
    cluster.crash(follower, { loseUnsynced: true, tornTail: false });
    await cluster.restart(follower);
    expect(await cluster.runUntil(() => replica(follower).status().applied >= replica(cluster.leaderId()).status().raft.hardState.commit, 2_000)).toBe(true);
    expect(cluster.nodes.get(follower)!.machine!.inner.getObject(SIM_BUCKET, 'k19')?.etag).toBe('e19');
    expect(replica(follower).status().snapshotIndex).toBe(before[follower - 1]);

    release();
    expect(await cluster.runUntil(() => [1, 2, 3].every((id) => replica(id).status().snapshotIndex > before[id - 1]!), 2_000)).toBe(true);
    await cluster.stopAll();
  });

  it('a follower behind the compacted log gets the snapshot read back from the leader\'s disk (its bytes left memory once durable)', async () => {
    const cluster = await SimCluster.start({ seed: 5, nodes: 3, snapshotEveryEntries: 12, keepEntriesAfterSnapshot: 2 });
    const replica = (id: number) => cluster.nodes.get(id)!.replica!;
    const follower = [1, 2, 3].find((id) => id !== cluster.leaderId())!;
    cluster.crash(follower, { loseUnsynced: false, tornTail: false });
    await putInlineObjects(cluster, 40, 20_000);
    const leader = replica(cluster.leaderId());
    expect(await cluster.runUntil(() => leader.status().snapshotIndex > 24, 2_000)).toBe(true);
    await cluster.restart(follower);
    expect(await cluster.runUntil(() => replica(follower).status().applied >= leader.status().raft.hardState.commit, 5_000)).toBe(true);
    // It came by snapshot (the entries it missed are gone from the leader's log), and holds the whole state.
    expect(replica(follower).status().snapshotIndex).toBeGreaterThan(12);
    const machine = cluster.nodes.get(follower)!.machine!.inner;
    expect(Array.from({ length: 40 }, (_, i) => machine.getObject(SIM_BUCKET, `k${i}`)?.etag)).toEqual(Array.from({ length: 40 }, (_, i) => `e${i}`));
    await cluster.stopAll();
  });
});
