/**
 * Closed-loop S3 load: C workers, each sending its next request as soon as the previous answer is drained,
 * for a fixed time after a warm-up (as bench/load/http-load.ts, whose rules it follows: a request counts
 * when it completes inside the measured window). Workloads: PUT and GET of fixed-size objects, and
 * ListObjectsV2 walks of a prefix page by page. Besides rate, bytes and latency it measures its own CPU
 * (process.cpuUsage), so a run can show the generator was not the bottleneck, and each server process's
 * CPU and peak RSS (/proc) over the same span.
 */
import { performance } from 'node:perf_hooks';
import crypto from 'node:crypto';
import { summarizeLatencies } from '../load/latency-summary.js';
import { watchProcesses, type ProcessUsage, type WatchedProcess } from './process-stats.js';
import type { S3Client, S3Outcome } from './s3-client.js';

export interface ClosedLoopOptions {
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  /** One request of worker `worker`; `seq` counts that worker's requests from 0. */
  step: (worker: number, seq: number) => Promise<S3Outcome>;
  /** Server processes whose CPU and peak RSS are read before and after. */
  processes?: readonly WatchedProcess[];
  /** Pause after a failed request so a refusing server cannot turn a worker into a busy loop. */
  errorBackoffMs?: number;
  /**
   * The measured window is at least this many median warm-up latencies long (capped by maxDurationMs), so
   * a workload whose requests take seconds (16 MiB at 64 in flight) still completes many inside it.
   */
  minWindowLatencies?: number;
  maxDurationMs?: number;
}

export interface ClosedLoopResult {
  concurrency: number;
  /** The measured window actually used (see ClosedLoopOptions.minWindowLatencies). */
  durationMs: number;
  ops: number;
  /** Successful requests over the whole run, warm-up included (objects written, for a PUT workload). */
  acknowledged: number;
  /** Body bytes of the counted requests. */
  bytes: number;
  opsPerSecond: number;
  mibPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  errorSamples: string[];
  latenciesMs: number[];
  /** The generator's own CPU over the whole run (warm-up included), and the wall time it covers. */
  generatorCpuSeconds: number;
  wallSeconds: number;
  /** Each server process over the whole run (warm-up included), with `bytesAll` the bytes it carried. */
  servers: ProcessUsage[];
  bytesAll: number;
}

export function resolveClosedLoopOptions(options: ClosedLoopOptions): Required<ClosedLoopOptions> {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${options.concurrency}`);
  }
  if (!(options.durationMs > 0)) throw new RangeError(`durationMs must be > 0, got ${options.durationMs}`);
  if (!(options.warmupMs >= 0)) throw new RangeError(`warmupMs must be >= 0, got ${options.warmupMs}`);
  return { processes: [], errorBackoffMs: 20, minWindowLatencies: 5, maxDurationMs: Math.max(60_000, options.durationMs), ...options };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runClosedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const opts = resolveClosedLoopOptions(options);
  const watch = watchProcesses(opts.processes);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  // The window opens once the warm-up time has passed and every worker has finished a request (so workers
  // whose requests take longer than the warm-up are out of step with each other before measuring starts).
  let measureFrom = Number.POSITIVE_INFINITY;
  let deadline = Number.POSITIVE_INFINITY;
  let windowMs = opts.durationMs;
  const warmupLatenciesMs: number[] = [];
  const warmed = new Set<number>();
  const latenciesMs: number[] = [];
  const errorSamples = new Set<string>();
  let errors = 0;
  let acknowledged = 0;
  let bytes = 0;
  let bytesAll = 0;

  const maybeOpenWindow = (now: number): void => {
    if (measureFrom !== Number.POSITIVE_INFINITY || now < start + opts.warmupMs || warmed.size < opts.concurrency) return;
    const typical = summarizeLatencies(warmupLatenciesMs).p50Ms;
    windowMs = Math.min(opts.maxDurationMs, Math.max(opts.durationMs, Number.isFinite(typical) ? typical * opts.minWindowLatencies : 0));
    measureFrom = now;
    deadline = now + windowMs;
  };

  const worker = async (w: number): Promise<void> => {
    for (let seq = 0; performance.now() < deadline; seq++) {
      const t0 = performance.now();
      const outcome = await opts.step(w, seq);
      const t1 = performance.now();
      const counted = t1 >= measureFrom && t1 <= deadline;
      if (measureFrom === Number.POSITIVE_INFINITY) {
        warmed.add(w);
        if (outcome.ok) warmupLatenciesMs.push(t1 - t0);
      }
      if (outcome.ok) {
        acknowledged++;
        bytesAll += outcome.bytes;
        if (counted) {
          latenciesMs.push(t1 - t0);
          bytes += outcome.bytes;
        }
      } else {
        if (counted) errors++;
        if (errorSamples.size < 5) errorSamples.add(outcome.description);
        await sleep(opts.errorBackoffMs);
      }
      maybeOpenWindow(performance.now());
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, (_, i) => worker(i)));
  const wallSeconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const servers = watch.finish();
  const summary = summarizeLatencies(latenciesMs);
  const seconds = windowMs / 1000;
  return {
    concurrency: opts.concurrency,
    durationMs: windowMs,
    ops: summary.count,
    acknowledged,
    bytes,
    opsPerSecond: summary.count / seconds,
    mibPerSecond: bytes / 1024 / 1024 / seconds,
    p50Ms: summary.p50Ms,
    p99Ms: summary.p99Ms,
    maxMs: summary.maxMs,
    errors,
    errorSamples: [...errorSamples],
    latenciesMs,
    generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
    wallSeconds,
    servers,
    bytesAll,
  };
}

/** Object keys of a PUT workload: one sequence per worker, so a GET workload can read them back. */
export function objectKey(prefix: string, worker: number, seq: number): string {
  return `${prefix}/w${String(worker).padStart(3, '0')}-${String(seq).padStart(7, '0')}`;
}

/**
 * A body per worker: windows at different offsets of one random pool (nothing can compress or dedupe
 * them across workers), so 64 workers of 16 MiB cost 16 MiB of memory, not 1 GiB.
 */
export function workerBodies(concurrency: number, sizeBytes: number): Buffer[] {
  const stride = 4096;
  const pool = crypto.randomBytes(sizeBytes + concurrency * stride);
  return Array.from({ length: concurrency }, (_, w) => pool.subarray(w * stride, w * stride + sizeBytes));
}

/** Objects a PUT workload wrote (acknowledged), so a GET workload can read them back. */
export interface WrittenObjects {
  sizeBytes: number;
  keys: string[];
}

/** Writes objects of one size: worker w writes `objectKey(prefix, w, seq)`; acknowledged keys go to `written`. */
export function putStep(client: S3Client, prefix: string, bodies: Buffer[], written: WrittenObjects): ClosedLoopOptions['step'] {
  return async (w, seq) => {
    const body = bodies[w];
    const key = objectKey(prefix, w, seq);
    const r = await client.putObject(w, key, body);
    if (r.ok) written.keys.push(key);
    return r;
  };
}

/** Reads back objects a PUT workload wrote, spread over all of them, checking each body's length. */
export function getStep(client: S3Client, written: WrittenObjects): ClosedLoopOptions['step'] {
  const keys = [...written.keys];
  if (keys.length === 0) throw new Error('no objects were written to read back');
  // A large prime stride makes consecutive requests hit different objects.
  let cursor = Math.floor(keys.length / 2);
  return (w) => {
    cursor = (cursor + 7919) % keys.length;
    return client.getObject(w, keys[cursor], written.sizeBytes);
  };
}

/** Walks a prefix page by page with continuation tokens; each worker restarts at the end. */
export function listStep(client: S3Client, prefix: string, pageKeys: number, expectKeys: number): ClosedLoopOptions['step'] {
  const tokens = new Map<number, string | undefined>();
  const seen = new Map<number, number>();
  return async (w) => {
    const r = await client.listPage(w, prefix, pageKeys, tokens.get(w));
    if (!r.ok) return r;
    const total = (seen.get(w) ?? 0) + r.keyCount;
    if (r.truncated && r.nextToken !== undefined) {
      tokens.set(w, r.nextToken);
      seen.set(w, total);
    } else {
      tokens.delete(w);
      seen.delete(w);
      // A walk that ends short means pages were lost: report it as an error rather than a fast listing.
      if (total !== expectKeys) return { ...r, ok: false, description: `listing ended after ${total} keys, expected ${expectKeys}` };
    }
    if (r.keyCount !== pageKeys && r.truncated) {
      return { ...r, ok: false, description: `page of ${r.keyCount} keys (asked ${pageKeys}) before the end` };
    }
    return { ...r, bytes: 0 };
  };
}

/**
 * Writes `count` small objects as fast as a pool of `concurrency` in-flight PUTs allows (the listing
 * workload's population). Returns how many were acknowledged and how long it took.
 */
export async function populateKeys(client: S3Client, keys: readonly string[], sizeBytes: number, concurrency: number,
  onProgress?: (done: number) => void): Promise<{ acknowledged: number; seconds: number; errorSamples: string[] }> {
  const body = Buffer.alloc(sizeBytes, 0x62);
  const t0 = performance.now();
  let next = 0;
  let acknowledged = 0;
  const errorSamples: string[] = [];
  const worker = async (w: number): Promise<void> => {
    while (next < keys.length) {
      const key = keys[next++];
      // A failed write is retried a few times; the listing must hold exactly these keys.
      for (let attempt = 0; attempt < 5; attempt++) {
        const r = await client.putObject(w, key, body);
        if (r.ok) {
          acknowledged++;
          if (onProgress !== undefined && acknowledged % 10_000 === 0) onProgress(acknowledged);
          break;
        }
        if (errorSamples.length < 5) errorSamples.push(r.description);
        await sleep(50 * (attempt + 1));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return { acknowledged, seconds: (performance.now() - t0) / 1000, errorSamples };
}
