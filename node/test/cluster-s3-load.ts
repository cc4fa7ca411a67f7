import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AdminClient } from '../src/client/admin-client.js';
import { mapLimit, randomData, s3Client, sha256, sha256OfStream } from './harness/s3-helpers.js';
import { afterAll, beforeAll } from 'vitest';
import { TestCluster } from './harness/test-cluster.js';

/**
 * Real S3 traffic for the data-movement tests: objects PUT through the AWS SDK (its own retries on),
 * remembered by SHA-256 once acknowledged; a background loop keeps writing new objects and reading
 * random acknowledged ones, and records every request that failed after the SDK's retries.
 */
export class S3Load {
  readonly objects = new Map<string, string>();
  readonly failures: string[] = [];
  private readonly clients: S3Client[];
  private stopped = true;
  private running?: Promise<void>;
  private next = 0;
  requests = 0;

  constructor(
    endpoints: string[],
    private readonly bucket: string,
    private readonly sizeBytes: (i: number) => number = (i) => 40_000 + ((i * 7919) % 200_000),
  ) {
    this.clients = endpoints.map((e) => s3Client(e));
  }

  async createBucket(): Promise<void> {
    await this.clients[0]!.send(new CreateBucketCommand({ Bucket: this.bucket }));
  }

  /** PUT `count` objects now (4 at a time). */
  async fill(count: number): Promise<void> {
    await mapLimit(Array.from({ length: count }, () => this.next++), 4, (i) => this.put(i));
  }

  start(): void {
    this.stopped = false;
    this.running = (async () => {
      while (!this.stopped) {
        await this.put(this.next++);
        const keys = [...this.objects.keys()];
        await this.get(keys[Math.floor(Math.random() * keys.length)]!);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Every acknowledged object read back through every client; returns the keys that differ or fail. */
  async verifyAll(): Promise<string[]> {
    const bad: string[] = [];
    for (const [c, client] of this.clients.entries()) {
      await mapLimit([...this.objects], 4, async ([key, hash]) => {
        try {
          const res = await client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
          const got = await sha256OfStream(res.Body as AsyncIterable<Uint8Array>);
          if (got.hash !== hash) bad.push(`${key} via client ${c}: sha256 differs`);
        } catch (err) {
          bad.push(`${key} via client ${c}: ${String(err)}`);
        }
      });
    }
    return bad;
  }

  destroy(): void {
    for (const client of this.clients) client.destroy();
  }

  private client(): S3Client {
    return this.clients[Math.floor(Math.random() * this.clients.length)]!;
  }

  private async put(i: number): Promise<void> {
    const key = `obj-${String(i).padStart(5, '0')}`;
    const data = randomData(this.sizeBytes(i));
    this.requests++;
    try {
      await this.client().send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: data }));
      this.objects.set(key, sha256(data));
    } catch (err) {
      this.failures.push(`PUT ${key}: ${String(err)}`);
    }
  }

  private async get(key: string): Promise<void> {
    this.requests++;
    try {
      const res = await this.client().send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const got = await sha256OfStream(res.Body as AsyncIterable<Uint8Array>);
      if (got.hash !== this.objects.get(key)) this.failures.push(`GET ${key}: sha256 differs`);
    } catch (err) {
      this.failures.push(`GET ${key}: ${String(err)}`);
    }
  }
}

/** TOML for data-movement tests: small stripes so objects span several, short timeouts, a generous throttle. */
export const MOVEMENT_TOML = `
[data]
stripe_size = "64KiB"
inline_threshold = "4KiB"
recovery_timeout = "3s"
move_throttle_mb_per_sec = 50
`;

/** An admin client over the nodes running now (it follows the leader). */
export function adminOf(cluster: TestCluster): AdminClient {
  return new AdminClient({ endpoints: cluster.liveEndpoints(), timeoutMs: 10_000 });
}

/** The Prometheus text of the current leader (where the data movers run). */
export async function leaderMetrics(cluster: TestCluster): Promise<string> {
  const leader = (await adminOf(cluster).clusterStatus()).nodes.find((n) => n.role === 'leader');
  if (leader === undefined) throw new Error('no leader in the cluster status');
  return (await fetch(`${leader.adminUrl}/metrics`)).text();
}

/** Poll `probe` until `check` passes; throws with the last value after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (check(value)) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 1500) ?? String(last)}`);
}

/**
 * For a describe block: a TestCluster of `nodes` nodes with MOVEMENT_TOML and an S3Load on nodes 1-3 whose
 * bucket holds `objects` objects, set up before the block's tests and torn down after them.
 */
export function loadedCluster(options: { subnetBase: number; nodes: number; bucket: string; objects: number }): { cluster: TestCluster; load: () => S3Load } {
  const cluster = new TestCluster({ subnetBase: options.subnetBase, configToml: MOVEMENT_TOML });
  let load: S3Load | undefined;

  beforeAll(async () => {
    await cluster.startNodes(options.nodes);
    load = new S3Load([1, 2, 3].map((id) => cluster.s3Url(id)), options.bucket);
    await load.createBucket();
    await load.fill(options.objects);
  }, 120_000);

  afterAll(async () => {
    await load?.stop();
    load?.destroy();
    await cluster.stopAll();
    cluster.cleanup();
  });

  return {
    cluster,
    load: () => {
      if (load === undefined) throw new Error('the S3 load is set up in beforeAll');
      return load;
    },
  };
}
