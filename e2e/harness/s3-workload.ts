// A continuous S3 workload through the client Service (AWS SDK v3, default retries): PUT, GET, LIST and
// multipart uploads of random data, each object's SHA-256 remembered once its PUT was acknowledged. A
// request that fails after the SDK's own retries is recorded as a failure (the scenarios assert how many
// they tolerate); verify() reads back every acknowledged object at the end.
import { createHash, randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { KubeView } from './kube-view.js';

export interface S3Target {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The client Service `<cluster>-s3` (its ClusterIP, reachable from the test process) and the cluster's keys. */
export async function s3TargetOf(kube: KubeView, ns: string, cluster: string, port = 9080): Promise<S3Target> {
  const ip = await kube.serviceClusterIp(ns, `${cluster}-s3`);
  return {
    endpoint: `http://${ip}:${port}`,
    accessKeyId: await kube.secretValue(ns, `${cluster}-credentials`, 'access_key_id'),
    secretAccessKey: await kube.secretValue(ns, `${cluster}-credentials`, 'secret_access_key'),
  };
}

export function s3Client(target: S3Target): S3Client {
  return new S3Client({
    endpoint: target.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    // The SDK's standard retry mode with a few more attempts: a pod restarting behind the Service is what
    // a real client rides out the same way.
    maxAttempts: 6,
  });
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function bodyHash(body: unknown): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of body as AsyncIterable<Uint8Array>) hash.update(chunk);
  return hash.digest('hex');
}

export interface WorkloadOptions {
  bucket: string;
  /** Object sizes drawn uniformly from [min, max] bytes. */
  minObjectBytes: number;
  maxObjectBytes: number;
  /** Every n-th operation is a multipart upload (5 MiB + a tail: S3's minimum part size), at most maxMultipart. */
  multipartEvery: number;
  maxMultipart: number;
  /** Pause between operations, so the load stays light on a shared 2-core machine. */
  pauseMs: number;
}

export function resolveWorkloadOptions(options: Partial<WorkloadOptions> = {}): WorkloadOptions {
  return {
    bucket: options.bucket ?? 'e2e-workload',
    minObjectBytes: options.minObjectBytes ?? 1_000,
    maxObjectBytes: options.maxObjectBytes ?? 200_000,
    multipartEvery: options.multipartEvery ?? 60,
    maxMultipart: options.maxMultipart ?? 2,
    pauseMs: options.pauseMs ?? 150,
  };
}

export interface Failure {
  op: string;
  key: string;
  error: string;
  at: string;
}

export class S3Workload {
  readonly o: WorkloadOptions;
  /** key -> SHA-256 of every acknowledged PUT / completed multipart upload. */
  readonly acknowledged = new Map<string, string>();
  readonly failures: Failure[] = [];
  readonly counts = { put: 0, get: 0, list: 0, multipart: 0 };
  private readonly client: S3Client;
  private stopped = true;
  private loop?: Promise<void>;
  private seq = 0;

  constructor(target: S3Target, options: Partial<WorkloadOptions> = {}) {
    this.o = resolveWorkloadOptions(options);
    this.client = s3Client(target);
  }

  async createBucket(): Promise<void> {
    await this.client.send(new CreateBucketCommand({ Bucket: this.o.bucket }));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Failures since a mark (failures.length at some earlier point). */
  failuresSince(mark: number): Failure[] {
    return this.failures.slice(mark);
  }

  /** Waits until `n` more operations have been acknowledged (bounded), so a phase is known to have had load. */
  async waitForProgress(n: number, timeoutMs: number): Promise<void> {
    const total = () => this.counts.put + this.counts.get + this.counts.list + this.counts.multipart;
    const target = total() + n;
    const deadline = Date.now() + timeoutMs;
    while (total() < target) {
      if (Date.now() > deadline) {
        throw new Error(`workload made ${total() - target + n} of ${n} operations in ${timeoutMs / 1000} s; last failures: ${JSON.stringify(this.failures.slice(-3))}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Reads back every acknowledged object; returns the keys missing or with a wrong SHA-256. */
  async verify(): Promise<{ checked: number; bad: string[] }> {
    const bad: string[] = [];
    for (const [key, expected] of this.acknowledged) {
      try {
        const got = await this.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: key }));
        const hash = await bodyHash(got.Body);
        if (hash !== expected) bad.push(`${key}: sha256 ${hash} != ${expected}`);
      } catch (err) {
        bad.push(`${key}: ${(err as Error).name} ${(err as Error).message}`);
      }
    }
    return { checked: this.acknowledged.size, bad };
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const n = this.seq++;
      if (n % this.o.multipartEvery === this.o.multipartEvery - 1 && this.counts.multipart < this.o.maxMultipart) await this.step('multipart', () => this.multipart(n));
      else if (n % 4 === 1 && this.acknowledged.size > 0) await this.step('get', () => this.getRandom());
      else if (n % 10 === 3) await this.step('list', () => this.list());
      else await this.step('put', () => this.put(n));
      await new Promise((r) => setTimeout(r, this.o.pauseMs));
    }
  }

  private async step(op: keyof S3Workload['counts'], fn: () => Promise<string>): Promise<void> {
    let key = '';
    const started = Date.now();
    try {
      key = await fn();
      this.counts[op]++;
      const ms = Date.now() - started;
      // Slow requests in the log show what a restart or a move cost the clients (SDK retries included).
      if (ms > 5_000) process.stderr.write(`[e2e] workload: ${op} ${key} took ${(ms / 1000).toFixed(1)} s\n`);
    } catch (err) {
      const failure = { op, key, error: `${(err as Error).name}: ${(err as Error).message}`, at: new Date().toISOString() };
      this.failures.push(failure);
      // In the run's log as it happens, next to the node agent's pod lines: what was restarting at the time.
      process.stderr.write(`[e2e] workload: ${op} ${key} failed after the SDK retries: ${failure.error}\n`);
    }
  }

  private keyOf(n: number): string {
    return `obj/${String(n).padStart(6, '0')}`;
  }

  private async put(n: number): Promise<string> {
    const size = this.o.minObjectBytes + Math.floor(Math.random() * (this.o.maxObjectBytes - this.o.minObjectBytes + 1));
    const data = randomBytes(size);
    const key = this.keyOf(n);
    await this.client.send(new PutObjectCommand({ Bucket: this.o.bucket, Key: key, Body: data }));
    this.acknowledged.set(key, sha256(data));
    return key;
  }

  private async getRandom(): Promise<string> {
    const keys = [...this.acknowledged.keys()];
    const key = keys[Math.floor(Math.random() * keys.length)]!;
    const got = await this.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: key }));
    const hash = await bodyHash(got.Body);
    // A wrong body is a failure of its own kind, never retried away.
    if (hash !== this.acknowledged.get(key)) throw new Error(`GET ${key}: sha256 ${hash} != ${this.acknowledged.get(key)}`);
    return key;
  }

  private async list(): Promise<string> {
    const listed = await this.client.send(new ListObjectsV2Command({ Bucket: this.o.bucket, Prefix: 'obj/', MaxKeys: 1000 }));
    const present = new Set((listed.Contents ?? []).map((c) => c.Key));
    // Everything acknowledged before the LIST was sent must be listed (read-after-write).
    const missing = [...this.acknowledged.keys()].filter((k) => k.startsWith('obj/') && !present.has(k));
    if (missing.length > 0 && !listed.IsTruncated) throw new Error(`LIST misses acknowledged keys: ${missing.slice(0, 5).join(', ')}`);
    return 'obj/';
  }

  private async multipart(n: number): Promise<string> {
    const key = `mpu/${String(n).padStart(6, '0')}`;
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(300_000 + Math.floor(Math.random() * 100_000))];
    const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.o.bucket, Key: key }));
    const uploadId = created.UploadId!;
    const etags: { PartNumber: number; ETag: string }[] = [];
    for (const [i, body] of parts.entries()) {
      const part = await this.client.send(new UploadPartCommand({ Bucket: this.o.bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: body }));
      etags.push({ PartNumber: i + 1, ETag: part.ETag! });
    }
    await this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.o.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: etags } }));
    this.acknowledged.set(key, sha256(Buffer.concat(parts)));
    return key;
  }
}
