import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../src/client/admin-client.js';
import type { ClusterStatus } from '../src/ports/admin-service.js';
import type { RecoveryStatus, StorageStatus } from '../src/ports/maintenance-admin.js';
import { MixedS3Load } from './harness/mixed-s3-load.js';
import { strata, strataJson, waitRejoined } from './harness/strata-cli.js';
import { TestCluster } from './harness/test-cluster.js';

/** Small stripes so objects span several; the default recovery_timeout (10m): a restart must not start a rebuild. */
const ROLLING_TOML = `
[data]
stripe_size = "64KiB"
inline_threshold = "4KiB"
`;

/**
 * The guide's "Rolling Restart" under a continuous S3 load, as an operator runs it: for each node, move
 * leadership away if it leads, take it out of the load balancer, SIGTERM, wait for the exit, start it with
 * the same data, wait until it is ready and has caught up (`strata cluster status --json`), put it back.
 */
describe('rolling restart of a 3-node cluster under S3 load', () => {
  const cluster = new TestCluster({ subnetBase: 250, configToml: ROLLING_TOML });
  const ids = [1, 2, 3];
  let env: Record<string, string>;
  let load: MixedS3Load;

  beforeAll(async () => {
    await cluster.startNodes(3);
    env = { STRATA_ENDPOINT: ids.map((id) => cluster.adminUrl(id)).join(',') };
    load = new MixedS3Load({ endpoints: new Map(ids.map((id) => [id, cluster.s3Url(id)])), bucket: 'rolling' });
    await load.createBucket();
    await load.fill(24);
  }, 120_000);

  afterAll(async () => {
    await load?.stop();
    load?.destroy();
    await cluster.stopAll();
    cluster.cleanup();
  });

  it('restarts every node one at a time: no failed S3 request beyond the SDK retries, every object intact', async () => {
    load.start();
    const admin = new AdminClient({ endpoints: ids.map((id) => cluster.adminUrl(id)) });
    for (const id of ids) {
      const before = await strataJson<ClusterStatus>(['cluster', 'status'], env);
      if (before.leaderId === id) {
        console.log(`node-${id} leads: moving leadership away first`);
        // As an operator would: hand leadership to another voter before restarting the leader.
        const newLeader = await admin.transferLeadership();
        expect(newLeader).not.toBe(id);
        const after = await until(`a leader other than node-${id}`, () => strataJson<ClusterStatus>(['cluster', 'status'], env), (s) => s.leaderId !== id && s.leaderId !== 0);
        expect(after.leaderId).toBe(newLeader);
      }

      const requestsBefore = load.requests;
      await load.takeOut(id);
      const stoppedAt = Date.now();
      await cluster.node(id).stop(30_000);
      // SIGTERM ends the process by itself (exit 0), not the SIGKILL after the grace period.
      expect(await cluster.node(id).exitCode(), `node-${id} exit code after SIGTERM`).toBe(0);
      const exitedMs = Date.now() - stoppedAt;

      cluster.start(id);
      await cluster.node(id).waitReady(60_000);
      const readyMs = Date.now() - stoppedAt;
      const rejoined = await waitRejoined(id, env);
      expect(rejoined.node).toMatchObject({ online: true, voter: true, role: 'follower', state: 'active' });
      load.putBack(id);
      console.log(
        `node-${id}: exited ${exitedMs} ms after SIGTERM, ready after ${readyMs} ms, caught up (match ${rejoined.node.matchIndex}) ` +
          `${rejoined.waitedMs} ms later; ${load.requests - requestsBefore} S3 requests meanwhile, ${load.failures.length} failed so far`,
      );
      // Some traffic with the node back in rotation before the next one goes.
      const resumed = load.requests;
      await until('10 more S3 requests', async () => load.requests, (n) => n >= resumed + 10);
    }

    const status = await strata(['cluster', 'status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^nodes: +3 \(3 online, 3 voters\)$/m);
    // A restart is not a loss: no rebuild started (recovery_timeout is 10m), nothing degraded.
    expect(await strataJson<RecoveryStatus>(['recovery', 'status'], env)).toMatchObject({ inProgress: 0, nodes: [], unrecoverable: 0 });
    expect((await strataJson<StorageStatus>(['storage', 'status'], env)).degradedChunks).toBe(0);
    await load.stop();
    console.log(`rolling restart: requests ${JSON.stringify(load.counts)}, slowest ms ${JSON.stringify(load.slowestMs)}, ${load.objects.size} objects acknowledged`);

    expect(load.failures).toEqual([]);
    expect(load.counts.multipart).toBeGreaterThan(0);
    expect(load.counts.list).toBeGreaterThan(0);
    expect(await load.verifyAll()).toEqual([]);
  }, 170_000);
});

/** Poll `probe` until `check` passes (20 s at most). */
async function until<T>(what: string, probe: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
