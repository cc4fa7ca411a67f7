import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mapLimit, randomData, sha256, sha256OfStream } from './s3-helpers.js';
import { TEST_CREDENTIALS } from './test-cluster.js';

const MiB = 1024 * 1024;

export interface MixedS3LoadOptions {
  /** S3 endpoint of each node, by node id. */
  endpoints: Map<number, string>;
  bucket: string;
  /** Concurrent request loops. Default 2. */
  workers?: number;
  /** Every n-th operation of a worker is a multipart upload. Default 25. */
  multipartEvery?: number;
}

interface Counts {
  put: number;
  get: number;
  list: number;
  multipart: number;
}

/**
 * A continuous mixed S3 workload through the AWS SDK v3 with its default retry behaviour (standard mode,
 * 3 attempts): PUTs of inline and multi-stripe sizes, GETs of acknowledged objects checked by SHA-256,
 * LISTs that must show every object acknowledged before they began, and now and then a 2-part multipart
 * upload. Every request that still fails after the SDK's retries is recorded with the SDK's attempt count.
 *
 * Like a load balancer fed by readiness, it sends requests only to nodes "in rotation": a test takes a node
 * out before stopping it and puts it back once it is ready again.
 */
export class MixedS3Load {
  /** Acknowledged objects: key -> SHA-256 of the bytes sent. */
  readonly objects = new Map<string, string>();
  readonly failures: string[] = [];
  readonly counts: Counts = { put: 0, get: 0, list: 0, multipart: 0 };
  /** The slowest successful request of each kind, in ms (SDK retries and server-side waits included). */
  readonly slowestMs: Counts = { put: 0, get: 0, list: 0, multipart: 0 };
  private readonly clients = new Map<number, S3Client>();
  private readonly inRotation = new Set<number>();
  private readonly inFlight = new Map<number, number>();
  private readonly workers: number;
  private readonly multipartEvery: number;
  private stopped = true;
  private running: Promise<void>[] = [];
  private next = 0;

  constructor(private readonly options: MixedS3LoadOptions) {
    for (const [id, endpoint] of options.endpoints) {
      // No maxAttempts: the SDK's own default retries, as the task demands.
      this.clients.set(id, new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: TEST_CREDENTIALS }));
      this.inRotation.add(id);
    }
    this.workers = options.workers ?? 2;
    this.multipartEvery = options.multipartEvery ?? 25;
  }

  get requests(): number {
    return this.counts.put + this.counts.get + this.counts.list + this.counts.multipart;
  }

  async createBucket(): Promise<void> {
    await this.client().send(new CreateBucketCommand({ Bucket: this.options.bucket }));
  }

  /** PUT `count` objects now (3 at a time). */
  async fill(count: number): Promise<void> {
    await mapLimit(Array.from({ length: count }, () => this.next++), 3, (i) => this.put(i));
  }

  /** Stop sending new requests to node `id`; resolves once its requests in flight have ended. */
  async takeOut(id: number): Promise<void> {
    this.inRotation.delete(id);
    while ((this.inFlight.get(id) ?? 0) > 0) await new Promise((r) => setTimeout(r, 20));
  }

  putBack(id: number): void {
    this.inRotation.add(id);
  }

  start(): void {
    this.stopped = false;
    this.running = Array.from({ length: this.workers }, async () => {
      let op = 0;
      while (!this.stopped) {
        op++;
        if (op % this.multipartEvery === 0) await this.multipart(this.next++);
        else if (op % 7 === 0) await this.list();
        else if (op % 2 === 0) await this.put(this.next++);
        else await this.get(this.randomKey());
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
  }

  /** Every acknowledged object read back through every node; returns the keys that differ or fail. */
  async verifyAll(): Promise<string[]> {
    const bad: string[] = [];
    for (const [id, client] of this.clients) {
      await mapLimit([...this.objects], 3, async ([key, hash]) => {
        try {
          const res = await client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
          const got = await sha256OfStream(res.Body as AsyncIterable<Uint8Array>);
          if (got.hash !== hash) bad.push(`${key} via node-${id}: sha256 differs`);
        } catch (err) {
          bad.push(`${key} via node-${id}: ${describe(err)}`);
        }
      });
    }
    return bad;
  }

  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
  }

  /** A client of a node in rotation, counted in flight until `fn` settles. */
  private async withClient<T>(kind: keyof Counts, fn: (client: S3Client) => Promise<T>): Promise<T> {
    const ids = [...this.inRotation];
    const id = ids[Math.floor(Math.random() * ids.length)]!;
    this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
    const started = Date.now();
    try {
      const result = await fn(this.clients.get(id)!);
      this.slowestMs[kind] = Math.max(this.slowestMs[kind], Date.now() - started);
      return result;
    } finally {
      this.inFlight.set(id, this.inFlight.get(id)! - 1);
    }
  }

  private client(): S3Client {
    return this.clients.get([...this.inRotation][0]!)!;
  }

  private randomKey(): string | undefined {
    const keys = [...this.objects.keys()];
    return keys[Math.floor(Math.random() * keys.length)];
  }

  /** Sizes: inline (2 KiB), one stripe, several stripes. */
  private sizeOf(i: number): number {
    const kind = i % 3;
    if (kind === 0) return 2_000 + (i % 100);
    if (kind === 1) return 40_000 + ((i * 7919) % 20_000);
    return 150_000 + ((i * 7919) % 150_000);
  }

  private async put(i: number): Promise<void> {
    const key = `obj-${String(i).padStart(5, '0')}`;
    const data = randomData(this.sizeOf(i));
    this.counts.put++;
    try {
      await this.withClient('put', (c) => c.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: data })));
      this.objects.set(key, sha256(data));
    } catch (err) {
      this.failures.push(`PUT ${key}: ${describe(err)}`);
    }
  }

  private async get(key: string | undefined): Promise<void> {
    if (key === undefined) return;
    this.counts.get++;
    try {
      const hash = await this.withClient('get', async (c) => {
        const res = await c.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
        return (await sha256OfStream(res.Body as AsyncIterable<Uint8Array>)).hash;
      });
      if (hash !== this.objects.get(key)) this.failures.push(`GET ${key}: sha256 differs`);
    } catch (err) {
      this.failures.push(`GET ${key}: ${describe(err)}`);
    }
  }

  /** Every object acknowledged before the LIST began must be in it (all pages). */
  private async list(): Promise<void> {
    const expected = [...this.objects.keys()];
    this.counts.list++;
    try {
      const seen = await this.withClient('list', async (c) => {
        const keys = new Set<string>();
        let token: string | undefined;
        do {
          const page = await c.send(new ListObjectsV2Command({ Bucket: this.options.bucket, ContinuationToken: token }));
          for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.add(o.Key);
          token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
        } while (token !== undefined);
        return keys;
      });
      const missing = expected.filter((k) => !seen.has(k));
      if (missing.length > 0) this.failures.push(`LIST: ${missing.length} acknowledged objects missing, e.g. ${missing.slice(0, 3).join(', ')}`);
    } catch (err) {
      this.failures.push(`LIST: ${describe(err)}`);
    }
  }

  /** A 2-part upload: 5 MiB (the smallest part S3 allows but the last) and a short last part. */
  private async multipart(i: number): Promise<void> {
    const key = `mpu-${String(i).padStart(5, '0')}`;
    const parts = [randomData(5 * MiB), randomData(100_000 + (i % 1000))];
    this.counts.multipart++;
    await this.withClient('multipart', async (c) => {
      let uploadId: string | undefined;
      try {
        const created = await c.send(new CreateMultipartUploadCommand({ Bucket: this.options.bucket, Key: key }));
        uploadId = created.UploadId!;
        const etags: string[] = [];
        for (const [n, body] of parts.entries()) {
          const part = await c.send(new UploadPartCommand({ Bucket: this.options.bucket, Key: key, UploadId: uploadId, PartNumber: n + 1, Body: body }));
          etags.push(part.ETag!);
        }
        await c.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.options.bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: etags.map((ETag, n) => ({ ETag, PartNumber: n + 1 })) },
          }),
        );
        this.objects.set(key, sha256(Buffer.concat(parts)));
      } catch (err) {
        this.failures.push(`MULTIPART ${key}: ${describe(err)}`);
        if (uploadId !== undefined) await c.send(new AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      }
    });
  }
}

/** The error as the SDK reports it, with how many attempts it made. */
function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number; attempts?: number } };
  const status = e.$metadata?.httpStatusCode === undefined ? '' : ` HTTP ${e.$metadata.httpStatusCode}`;
  const attempts = e.$metadata?.attempts === undefined ? '' : ` after ${e.$metadata.attempts} attempts`;
  return `${e.name ?? 'Error'}${status}${attempts}: ${e.message ?? String(err)} (at ${new Date().toISOString()})`;
}
