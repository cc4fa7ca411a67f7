/**
 * The data a cluster holds during the operations benchmark: objects of 1-4 MiB written with their SHA-256
 * remembered (bodies are windows of one random pool, so 1 GiB of objects costs a few MiB of memory),
 * a closed loop of foreground GETs of the 1 MiB ones that records every request's completion time
 * (phases are cut into windows afterwards), and a read-back that checks SHA-256s.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { S3Client } from '../s3/s3-client.js';
import { SigV4Signer, encodeKeyPath, type SigV4Credentials } from '../s3/sigv4-sign.js';
import { MiB, type RequestSample } from './ops-figures.js';

export interface StoredObject {
  key: string;
  sizeBytes: number;
  sha256: string;
}

export interface ObjectSetOptions {
  /** S3 gateways (nodes that stay up for the whole run). */
  endpoints: string[];
  bucket: string;
  credentials: SigV4Credentials;
  /** Object sizes in MiB, cycled through (1 MiB objects are the GET probe's). */
  sizesMiB?: number[];
}

export function resolveObjectSetOptions(options: ObjectSetOptions): Required<ObjectSetOptions> {
  return { sizesMiB: [1, 4, 2, 3], ...options };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ObjectSet {
  readonly objects: StoredObject[] = [];
  private readonly o: Required<ObjectSetOptions>;
  private readonly pool: Buffer;
  private readonly signer: SigV4Signer;

  constructor(options: ObjectSetOptions) {
    this.o = resolveObjectSetOptions(options);
    this.pool = crypto.randomBytes((Math.max(...this.o.sizesMiB) + 4) * MiB);
    this.signer = new SigV4Signer(this.o.credentials);
  }

  get filledBytes(): number {
    return this.objects.reduce((s, o) => s + o.sizeBytes, 0);
  }

  private client(concurrency: number): S3Client {
    return new S3Client({ endpoints: this.o.endpoints, bucket: this.o.bucket, credentials: this.o.credentials, maxSocketsPerEndpoint: concurrency });
  }

  async createBucket(): Promise<void> {
    const c = this.client(1);
    try {
      const r = await c.createBucket();
      if (!r.ok) throw new Error(`create bucket ${this.o.bucket}: ${r.description}`);
    } finally {
      c.close();
    }
  }

  /**
   * PUTs objects (sizes cycling through sizesMiB) with `concurrency` in flight until `targetBytes` are
   * acknowledged or `maxSeconds` pass. A failed PUT is retried a few times; one that keeps failing throws.
   */
  async fill(targetBytes: number, maxSeconds: number, concurrency: number, onProgress?: (bytes: number) => void): Promise<{ seconds: number }> {
    const c = this.client(concurrency);
    const t0 = performance.now();
    const deadline = t0 + maxSeconds * 1000;
    let next = this.objects.length;
    let issued = this.filledBytes;
    let lastReport = 0;
    try {
      const worker = async (w: number): Promise<void> => {
        while (issued < targetBytes && performance.now() < deadline) {
          const i = next++;
          const size = this.o.sizesMiB[i % this.o.sizesMiB.length] * MiB;
          issued += size;
          // A different window of the pool per object, stamped with its index: no two objects are equal.
          const offset = (i * 4099) % (this.pool.length - size);
          const body = Buffer.from(this.pool.subarray(offset, offset + size));
          body.writeUInt32LE(i, 0);
          const key = `ops/${String(i).padStart(6, '0')}`;
          const sha256 = crypto.createHash('sha256').update(body).digest('hex');
          let attempt = 0;
          for (;;) {
            const r = await c.putObject(w, key, body);
            if (r.ok) break;
            if (++attempt >= 5) throw new Error(`PUT ${key} failed ${attempt} times: ${r.description}`);
            await sleep(200 * attempt);
          }
          this.objects.push({ key, sizeBytes: size, sha256 });
          const done = this.filledBytes;
          if (onProgress !== undefined && done - lastReport >= 128 * MiB) {
            lastReport = done;
            onProgress(done);
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
    } finally {
      c.close();
    }
    return { seconds: (performance.now() - t0) / 1000 };
  }

  /** Objects of `sizeBytes` (the GET probe's). */
  keysOfSize(sizeBytes: number): string[] {
    return this.objects.filter((o) => o.sizeBytes === sizeBytes).map((o) => o.key);
  }

  /**
   * Starts a closed loop of GETs of `sizeBytes` objects, `concurrency` in flight, each worker on its own
   * keep-alive connection; every request is recorded with its completion time. stop() ends it.
   */
  startGetLoop(sizeBytes: number, concurrency: number): GetLoop {
    const keys = this.keysOfSize(sizeBytes);
    if (keys.length === 0) throw new Error(`no ${sizeBytes}-byte objects to read`);
    const c = this.client(concurrency);
    const samples: RequestSample[] = [];
    const errors: string[] = [];
    let stopped = false;
    let cursor = 0;
    const worker = async (w: number): Promise<void> => {
      while (!stopped) {
        cursor = (cursor + 7919) % keys.length;
        const t0 = performance.now();
        const r = await c.getObject(w, keys[cursor], sizeBytes);
        const t1 = performance.now();
        samples.push({ endMs: t1, latencyMs: t1 - t0, ok: r.ok });
        if (!r.ok) {
          if (errors.length < 5) errors.push(r.description);
          await sleep(20);
        }
      }
    };
    const running = Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
    return {
      samples,
      errors,
      stop: async () => {
        stopped = true;
        await running;
        c.close();
      },
    };
  }

  /**
   * Reads back up to `maxObjects` objects spread evenly over the set (all of them if fewer) and compares
   * SHA-256s; returns how many were read and a description of each that differs or fails.
   */
  async verify(maxObjects: number, concurrency = 4): Promise<{ verified: number; bad: string[] }> {
    const step = Math.max(1, this.objects.length / maxObjects);
    const picked: StoredObject[] = [];
    for (let i = 0; i < this.objects.length && picked.length < maxObjects; i += step) picked.push(this.objects[Math.floor(i)]);
    const bad: string[] = [];
    let next = 0;
    const worker = async (w: number): Promise<void> => {
      while (next < picked.length) {
        const o = picked[next++];
        const endpoint = this.o.endpoints[w % this.o.endpoints.length];
        const got = await this.getSha256(endpoint, o.key).catch((err: unknown) => `error: ${err instanceof Error ? err.message : String(err)}`);
        if (got !== o.sha256) bad.push(`${o.key} via ${endpoint}: ${got.startsWith('error') ? got : `sha256 ${got.slice(0, 12)}..., expected ${o.sha256.slice(0, 12)}...`}`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
    return { verified: picked.length, bad };
  }

  private getSha256(endpoint: string, key: string): Promise<string> {
    const url = new URL(endpoint);
    const p = `/${this.o.bucket}/${encodeKeyPath(key)}`;
    const headers = this.signer.sign({ method: 'GET', host: url.host, path: p });
    return new Promise((resolve, reject) => {
      const req = http.request({ method: 'GET', hostname: url.hostname, port: Number(url.port), path: p, headers, timeout: 60_000 }, (res) => {
        const hash = crypto.createHash('sha256');
        const status = res.statusCode ?? 0;
        res.on('data', (chunk: Buffer) => hash.update(chunk));
        res.on('end', () => (status === 200 ? resolve(hash.digest('hex')) : reject(new Error(`HTTP ${status}`))));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
  }
}

export interface GetLoop {
  readonly samples: RequestSample[];
  readonly errors: string[];
  stop(): Promise<void>;
}
