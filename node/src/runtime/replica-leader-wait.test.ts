import { describe, expect, it } from 'vitest';
import { encodeMetaCommand } from '../meta/index.js';
import { NONE } from '../raft/types.js';
import { SIM_BUCKET, SimCluster } from '../testing/sim-cluster.js';

/**
 * A node that knows no leader for a moment (an election, or under load a follower whose election timer
 * fired) holds its proposals until it learns one, instead of failing them at once with NotLeader (which
 * S3 clients would see as 503 SlowDown). Real Replica over the simulated clock, network and disk; ticks
 * of 10 ms, election timeouts of 100-200 ms, so leaderWaitMs is 400 ms.
 */
describe('Replica while no leader is known', () => {
  const put = (etag: string) => encodeMetaCommand({ op: 'putObject', bucket: SIM_BUCKET, key: 'k', manifest: { sizeBytes: 0, etag, lastModifiedMs: 0 } });

  it('holds a proposal made during an election and commits it under the new leader', async () => {
    const cluster = await SimCluster.start({ seed: 11, nodes: 3 });
    const replica = (id: number) => cluster.nodes.get(id)!.replica!;
    const oldLeader = cluster.leaderId();
    const follower = [1, 2, 3].find((id) => id !== oldLeader)!;
    cluster.crash(oldLeader, { loseUnsynced: false, tornTail: false });
    expect(await cluster.runUntil(() => replica(follower).leaderId === NONE, 2_000), cluster.describe()).toBe(true);

    await cluster.await(replica(follower).propose(put('during-election')), 2_000, 'the proposal made without a leader');
    expect(replica(follower).leaderId).not.toBe(NONE);
    expect(replica(follower).leaderId).not.toBe(oldLeader);
    expect(cluster.nodes.get(follower)!.machine!.inner.getObject(SIM_BUCKET, 'k')?.etag).toBe('during-election');
    await cluster.stopAll();
  });

  it('proposes again when the leader refuses a forwarded proposal (a transfer under way), instead of timing out', async () => {
    const cluster = await SimCluster.start({ seed: 13, nodes: 3 });
    const replica = (id: number) => cluster.nodes.get(id)!.replica!;
    const leader = cluster.leaderId();
    const [proposer, transferee] = [1, 2, 3].filter((id) => id !== leader);
    // The leader hands over to a node it cannot reach: it refuses proposals until the transfer gives up
    // (an election timeout), and the proposer's forwarded proposal is refused there.
    cluster.partition([transferee!], [leader, proposer!]);
    void replica(leader)
      .transferLeadership(transferee)
      .catch(() => undefined);
    const startedMs = cluster.clock.nowMs();
    await cluster.await(replica(proposer!).propose(put('during-transfer')), 1_400, 'the proposal refused during a transfer');
    expect(cluster.clock.nowMs() - startedMs).toBeLessThan(1_000); // the proposal timeout is 1.5 s
    expect(cluster.nodes.get(proposer!)!.machine!.inner.getObject(SIM_BUCKET, 'k')?.etag).toBe('during-transfer');
    expect(cluster.leaderId()).toBe(leader);
    await cluster.stopAll();
  });

  it('fails the proposal with NotLeader once it waited leaderWaitMs and no leader came', async () => {
    const cluster = await SimCluster.start({ seed: 12, nodes: 3 });
    const replica = (id: number) => cluster.nodes.get(id)!.replica!;
    const alone = [1, 2, 3].find((id) => id !== cluster.leaderId())!;
    cluster.partition([alone], [1, 2, 3].filter((id) => id !== alone));
    expect(await cluster.runUntil(() => replica(alone).leaderId === NONE, 2_000), cluster.describe()).toBe(true);

    const startedMs = cluster.clock.nowMs();
    let failedAfterMs: number | undefined;
    const outcome = replica(alone)
      .propose(put('no-leader'))
      .catch((err: unknown) => {
        failedAfterMs = cluster.clock.nowMs() - startedMs;
        throw err;
      });
    await expect(cluster.await(outcome, 2_000, 'the proposal without a leader')).rejects.toMatchObject({ code: 'NotLeader' });
    expect(failedAfterMs).toBeGreaterThanOrEqual(400);
    expect(failedAfterMs).toBeLessThan(1_500); // the refusal, before the proposal timeout
    await cluster.stopAll();
  });
});
