import { describe, expect, it } from 'vitest';
import { encodeMetaCommand } from '../meta/index.js';
import { SIM_BUCKET, SimCluster } from '../testing/sim-cluster.js';

/**
 * Regression for seed 708385881 (4 nodes): a follower's proposal reached the leader's log, the follower
 * crashed, restarted, and proposed again; its new process numbered proposals from 1 again, so when the
 * old entry committed and was applied, it answered the new process's proposal with the same number.
 * That put was acknowledged with another command's result and never committed anywhere.
 *
 * The schedule, on the real Replica over the simulated clock, network and disk (election timeouts far
 * beyond the test, so the leader never changes):
 *   1. leader node-1 and follower node-2 are cut off from node-3..5 (no quorum, nothing commits);
 *   2. node-2 proposes k=old: forwarded, appended on node-1, uncommitted;
 *   3. node-2's process dies and starts again; it hears node-1 and knows the leader;
 *   4. node-2 -> node-1 is cut, node-2 proposes k=new: the forwarded proposal is lost on the way;
 *   5. the network heals: k=old commits and node-2 applies it.
 * k=new was never in any log, so its caller must not hear "ok": only a Timeout (outcome unknown).
 */
describe('Replica across a restart', () => {
  it('does not answer a proposal of the new process with an entry the old process proposed', async () => {
    const cluster = await SimCluster.start({
      seed: 7,
      nodes: 5,
      raft: { electionTicks: 2_000, checkQuorum: false, preVote: true },
      proposalTimeoutMs: 5_000,
    });
    const trace = () => cluster.recorder.lastTrace().join('\n');
    const put = (etag: string) => encodeMetaCommand({ op: 'putObject', bucket: SIM_BUCKET, key: 'k', manifest: { sizeBytes: 0, etag, lastModifiedMs: 0 } });
    const replica = (id: number) => cluster.nodes.get(id)!.replica!;
    const valueOn = (id: number) => cluster.nodes.get(id)!.machine!.inner.getObject(SIM_BUCKET, 'k')?.etag;
    expect(cluster.leaderId()).toBe(1);

    // 1 + 2: k=old sits in the leader's log, uncommitted.
    cluster.partition([1, 2], [3, 4, 5]);
    const oldIndex = replica(1).status().raft.lastIndex + 1;
    replica(2)
      .propose(put('old'))
      .catch(() => undefined);
    await cluster.run(200);
    expect(replica(1).status().raft.lastIndex, trace()).toBe(oldIndex);
    expect(replica(1).status().raft.hardState.commit).toBeLessThan(oldIndex);

    // 3: node-2 dies and comes back; it learns the leader from node-1's heartbeats.
    cluster.crash(2, { loseUnsynced: false, tornTail: false });
    await cluster.restart(2);
    expect(await cluster.runUntil(() => replica(2).leaderId === 1, 1_000), trace()).toBe(true);

    // 4: k=new is forwarded into a cut link.
    cluster.blockOneWay(2, 1);
    let outcome: { ok: true; value: unknown } | { ok: false; err: unknown } | undefined;
    replica(2)
      .propose(put('new'))
      .then(
        (value) => (outcome = { ok: true, value }),
        (err: unknown) => (outcome = { ok: false, err }),
      );
    await cluster.run(50);

    // 5: k=old commits everywhere; node-2 applies it while k=new still waits.
    cluster.heal();
    expect(await cluster.runUntil(() => replica(2).status().applied >= oldIndex, 2_000), trace()).toBe(true);
    await cluster.run(200);
    expect(valueOn(2)).toBe('old');
    expect(outcome, `k=new was answered by the entry of k=old at ${oldIndex}\n${trace()}`).toBeUndefined();

    // k=new never reached a log: its caller learns only that the outcome is unknown.
    expect(await cluster.runUntil(() => outcome !== undefined, 6_000)).toBe(true);
    expect(outcome).toMatchObject({ ok: false, err: { code: 'Timeout' } });
    for (const id of [1, 2, 3, 4, 5]) expect(valueOn(id)).toBe('old');
    await cluster.stopAll();
  });
});
