import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../src/client/admin-client.js';
import { BucketWriter } from './harness/bucket-writer.js';
import { TestCluster, votersOf } from './harness/test-cluster.js';

/** Election timeouts of the default config: 300-600 ms. "A few election timeouts" = 10 x 600 ms. */
const FAILOVER_BUDGET_MS = 6_000;

async function namesOn(cluster: TestCluster, id: number): Promise<Set<string>> {
  const client = new AdminClient({ endpoints: [cluster.adminUrl(id)], timeoutMs: 5_000, retries: 5 });
  return new Set((await client.listBuckets()).map((b) => b.name));
}

function missing(acknowledged: string[], present: Set<string>): string[] {
  return acknowledged.filter((name) => !present.has(name));
}

describe('a 3-node cluster of real strata-server processes', () => {
  const cluster = new TestCluster({
    subnetBase: 110,
    // Small snapshots so that a node that was down catches up by snapshot, not only by log replay.
    configToml: '[metadata]\nsnapshot_interval_entries = 200\nsnapshot_keep_entries = 50\n',
  });

  beforeAll(async () => {
    await cluster.startNodes(3);
  });

  afterAll(async () => {
    await cluster.stopAll();
    cluster.cleanup();
  });

  it('serves health probes and the guide\'s metrics on the admin port of every node', async () => {
    const leaders: number[] = [];
    for (const id of [1, 2, 3]) {
      expect((await fetch(`${cluster.adminUrl(id)}/health/live`)).status).toBe(200);
      expect((await fetch(`${cluster.adminUrl(id)}/health/ready`)).status).toBe(200);
      // startNodes() waits until the leader counts 3 voters; a follower applies that membership entry (and
      // its metrics tick) a moment later.
      const metrics = async () => (await fetch(`${cluster.adminUrl(id)}/metrics`)).text();
      let text = await metrics();
      for (let polls = 0; polls < 100 && !/^strata_cluster_nodes_total 3$/m.test(text); polls++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        text = await metrics();
      }
      for (const name of ['strata_raft_term', 'strata_raft_is_leader', 'strata_cluster_nodes_total', 'strata_cluster_nodes_online']) {
        expect(text, `node-${id} exports ${name}`).toMatch(new RegExp(`^${name} \\d+`, 'm'));
      }
      expect(text).toMatch(/^strata_raft_proposal_duration_seconds_bucket/m);
      expect(text).toMatch(/^strata_cluster_nodes_total 3$/m);
      if (/^strata_raft_is_leader 1$/m.test(text)) leaders.push(id);
    }
    expect(leaders).toHaveLength(1);
    expect(leaders[0]).toBe((await cluster.status(1)).leaderId);
  });

  it('elects a new leader after SIGKILL of the leader, loses no acknowledged write, and the old leader catches up by snapshot', async () => {
    const writer = new BucketWriter('kill', () => cluster.liveEndpoints());
    writer.start();
    await writer.waitForAcks(100);

    const before = await cluster.status(1);
    const oldLeader = before.leaderId;
    expect(oldLeader).toBeGreaterThan(0);
    const killedAt = Date.now();
    await cluster.node(oldLeader).kill();

    const survivor = [1, 2, 3].find((id) => id !== oldLeader)!;
    const after = await cluster.waitFor(survivor, 'a new leader', (s) => s.leaderId !== 0 && s.leaderId !== oldLeader && s.term > before.term, FAILOVER_BUDGET_MS);
    const failoverMs = Date.now() - killedAt;
    expect(failoverMs).toBeLessThan(FAILOVER_BUDGET_MS);
    console.log(`failover: new leader node-${after.leaderId} in term ${after.term}, ${failoverMs} ms after SIGKILL of node-${oldLeader}`);

    // Writes go on through the new leader; enough of them to compact the log past the dead node.
    await writer.waitForAcks(writer.acknowledged.length + 600);
    const restartedFrom = await cluster.status(after.leaderId);
    cluster.start(oldLeader);
    await cluster.node(oldLeader).waitReady();
    await cluster.waitFor(oldLeader, 'catch-up', (s) => s.appliedIndex >= restartedFrom.commitIndex);
    await writer.stop();
    console.log(`kill test: ${writer.acknowledged.length} writes acknowledged, ${writer.errors.length} failed cleanly`);

    for (const id of [1, 2, 3]) {
      expect(missing(writer.acknowledged, await namesOn(cluster, id)), `acknowledged writes missing on node-${id}`).toEqual([]);
    }
    const log = await import('node:fs/promises').then((fs) => fs.readFile(cluster.node(oldLeader).options.logFile, 'utf8'));
    expect(log).toContain('installed a snapshot');
  });

  it('adds a 4th node and removes another while writes go on', async () => {
    const writer = new BucketWriter('member', () => cluster.liveEndpoints());
    writer.start();
    await writer.waitForAcks(50);

    await cluster.start(4, 1).waitReady();
    const leaderId = (await cluster.waitFor(1, 'node-4 promoted to voter', (s) => votersOf(s).includes(4))).leaderId;
    await writer.waitForAcks(writer.acknowledged.length + 50);

    const removed = [2, 3].find((id) => id !== leaderId) ?? 2;
    const client = new AdminClient({ endpoints: cluster.liveEndpoints(), timeoutMs: 5_000 });
    await client.removeNode(removed, { force: true });
    const expected = [1, 2, 3, 4].filter((id) => id !== removed).join();
    await cluster.waitFor(4, `membership ${expected}`, (s) => s.nodes.map((n) => n.id).sort().join() === expected);
    await cluster.node(removed).stop();
    await writer.waitForAcks(writer.acknowledged.length + 50);
    await writer.stop();

    for (const id of [1, 2, 3, 4].filter((id) => id !== removed)) {
      expect(missing(writer.acknowledged, await namesOn(cluster, id)), `acknowledged writes missing on node-${id}`).toEqual([]);
    }
  });
});
