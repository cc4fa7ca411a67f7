import { afterAll, describe, expect, it } from 'vitest';
import { TestCluster, votersOf } from './harness/test-cluster.js';
import { adminOf } from './cluster-s3-load.js';

describe('[metadata] voters: a few voters, the rest learners; removing a voter promotes a learner', () => {
  // 127.0.0.226-229: the top of this suite's address block (cluster-replace-node uses 221-225).
  const cluster = new TestCluster({ subnetBase: 225, configToml: '[metadata]\nvoters = 3\n' });

  afterAll(async () => {
    await cluster.stopAll();
    cluster.cleanup();
  });

  it('keeps 3 voters with 4 nodes, and promotes the learner when a voter is removed', async () => {
    await cluster.startNodes(3);
    await cluster.start(4, 1).waitReady();
    const withLearner = await cluster.waitFor(1, 'node-4 a caught-up learner', (s) => s.nodes.some((n) => n.id === 4 && n.role === 'learner' && (n.matchIndex ?? 0) > 0));
    expect(votersOf(withLearner)).toEqual([1, 2, 3]);
    // It stays a learner (give the leader a few promotion rounds).
    await new Promise((r) => setTimeout(r, 1_500));
    expect(votersOf(await cluster.status(1))).toEqual([1, 2, 3]);

    const removed = [2, 3].find((id) => id !== withLearner.leaderId)!;
    await adminOf(cluster).removeNode(removed, { force: true });
    const after = await cluster.waitFor(4, 'node-4 promoted to voter', (s) => votersOf(s).includes(4) && !s.nodes.some((n) => n.id === removed));
    expect(votersOf(after)).toHaveLength(3);
  }, 120_000);
});
