import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminOf, eventually, leaderMetrics, S3Load } from './cluster-s3-load.js';
import { s3Client } from './harness/s3-helpers.js';
import { TestCluster } from './harness/test-cluster.js';

const MiB = 1024 * 1024;
const CAP_MB = 50;
const BUSY_MB = 1;

/** The leader's strata_data_move_limit_bytes_per_second (decision 0020). */
async function moveLimit(cluster: TestCluster): Promise<number> {
  const text = await leaderMetrics(cluster);
  const match = /^strata_data_move_limit_bytes_per_second (\S+)$/m.exec(text);
  if (match === null) throw new Error('strata_data_move_limit_bytes_per_second is not exported by the leader');
  return Number(match[1]);
}

describe('data moves yield to S3 traffic', () => {
  const cluster = new TestCluster({
    subnetBase: 185,
    configToml: `
[data]
stripe_size = "64KiB"
inline_threshold = "4KiB"
move_throttle_mb_per_sec = ${CAP_MB}
move_throttle_busy_mb_per_sec = ${BUSY_MB}
`,
  });
  let load: S3Load;

  beforeAll(async () => {
    await cluster.startNodes(4);
    load = new S3Load([1, 2, 3].map((id) => cluster.s3Url(id)), 'yield', () => 200_000);
    await load.createBucket();
    await load.fill(100); // about 7 MiB of chunks on node 4: seconds at the busy rate
  }, 120_000);

  afterAll(async () => {
    load?.destroy();
    await cluster.stopAll();
    cluster.cleanup();
  });

  it('a drain slows to move_throttle_busy_mb_per_sec while the gateways serve GETs, and finishes once they are quiet', async () => {
    expect(await moveLimit(cluster)).toBe(CAP_MB * MiB);
    // A closed loop of GETs through the three gateways: each has requests in flight nearly all the time.
    const clients = [1, 2, 3].map((id) => s3Client(cluster.s3Url(id)));
    const keys = [...load.objects.keys()];
    let busy = true;
    let gets = 0;
    const failures: string[] = [];
    const workers = Array.from({ length: 6 }, async (_, w) => {
      for (let i = w; busy; i += 6) {
        const key = keys[i % keys.length]!;
        try {
          const res = await clients[i % clients.length]!.send(new GetObjectCommand({ Bucket: 'yield', Key: key }));
          await res.Body!.transformToByteArray();
          gets++;
        } catch (err) {
          failures.push(`GET ${key}: ${String(err)}`);
        }
      }
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 2_500)); // two usage polls see the gateways busy
      const admin = adminOf(cluster);
      expect((await admin.drain(4)).feasible).toBe(true);
      // The leader's limit falls from the cap to the busy rate while the GETs run.
      await eventually('the move limit at the busy rate', () => moveLimit(cluster), (limit) => limit === BUSY_MB * MiB, 30_000);
      const during = await admin.drainStatus(4);
      expect(during.state).toBe('draining');
      // What `strata cluster drain-status` shows as `limit`.
      expect(during.progress.limitBytesPerSec).toBe(BUSY_MB * MiB);
    } finally {
      busy = false;
      await Promise.all(workers);
      for (const client of clients) client.destroy();
    }
    expect(gets).toBeGreaterThan(0);
    expect(failures).toEqual([]);
    // Quiet gateways: the limit grows back towards the cap and the drain completes.
    const admin = adminOf(cluster);
    await eventually('node-4 drained', () => admin.drainStatus(4), (s) => s.state === 'drained', 90_000);
    expect(await moveLimit(cluster)).toBeGreaterThan(BUSY_MB * MiB);
    expect(await load.verifyAll()).toEqual([]);
  }, 240_000);
});
