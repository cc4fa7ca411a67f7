/**
 * Closed-loop HTTP load generator shared by every benchmark that compares Strata with a baseline, so both
 * systems see "the same kind of client load": C workers on keep-alive connections, each sending its next
 * request as soon as the previous answer is read, for a fixed duration after a warm-up. A request counts when it
 * completes inside the measured window [end of warm-up, deadline]; workers stop issuing at the deadline.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { summarizeLatencies } from './latency-summary.js';

export interface LoadRequest {
  method: string;
  /** Absolute URL, e.g. http://127.0.0.11:2379/v3/kv/put. */
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface HttpLoadOptions {
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  /** Builds the request a worker sends next; `seq` counts that worker's requests from 0. */
  makeRequest: (workerId: number, seq: number) => LoadRequest;
  /** Whether a response counts as a success (default: any 2xx). */
  isSuccess?: (status: number, body: string) => boolean;
  /** Per-request timeout; a timed-out request is an error (default 10 s). */
  requestTimeoutMs?: number;
  /** Pause after a failed request so a refused connection cannot turn a worker into a busy loop. */
  errorBackoffMs?: number;
}

export interface HttpLoadResult {
  concurrency: number;
  /** Measured window (excludes warm-up). */
  durationMs: number;
  /** Successful requests in the window. */
  ops: number;
  /** Successful requests over the whole run, warm-up included: what the server acknowledged. */
  acknowledged: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  errors: number;
  /** First few distinct error descriptions, to tell a refused connection from a 500. */
  errorSamples: string[];
  /** Latency of every counted request, in completion order, so several runs can be pooled. */
  latenciesMs: number[];
}

export function resolveHttpLoadOptions(options: HttpLoadOptions): Required<HttpLoadOptions> {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${options.concurrency}`);
  }
  if (!(options.durationMs > 0)) throw new RangeError(`durationMs must be > 0, got ${options.durationMs}`);
  if (!(options.warmupMs >= 0)) throw new RangeError(`warmupMs must be >= 0, got ${options.warmupMs}`);
  // `??` rather than a spread: an explicit `undefined` must still get the default.
  return {
    ...options,
    isSuccess: options.isSuccess ?? ((status) => status >= 200 && status < 300),
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    errorBackoffMs: options.errorBackoffMs ?? 20,
  };
}

interface Outcome {
  ok: boolean;
  description: string;
}

function sendOnce(agent: http.Agent, req: LoadRequest, opts: Required<HttpLoadOptions>): Promise<Outcome> {
  return new Promise((resolve) => {
    const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
    const headers: Record<string, string | number> = { ...req.headers };
    // An explicit length keeps the request a single write and avoids chunked encoding on both servers.
    headers['content-length'] = body?.length ?? 0;
    const r = http.request(req.url, { method: req.method, agent, headers, timeout: opts.requestTimeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        const ok = opts.isSuccess(status, text);
        resolve({ ok, description: ok ? '' : `HTTP ${status}: ${text.slice(0, 160)}` });
      });
      res.on('error', (err) => resolve({ ok: false, description: `response: ${err.message}` }));
    });
    r.on('timeout', () => r.destroy(new Error(`timeout after ${opts.requestTimeoutMs} ms`)));
    r.on('error', (err) => resolve({ ok: false, description: `request: ${err.message}` }));
    r.end(body);
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runHttpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  const opts = resolveHttpLoadOptions(options);
  // One socket per worker: maxSockets >= C so no request waits in the agent's queue (that wait would be
  // client-side latency, not the server's).
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency, maxFreeSockets: opts.concurrency });
  const start = performance.now();
  const measureFrom = start + opts.warmupMs;
  const deadline = measureFrom + opts.durationMs;
  const latenciesMs: number[] = [];
  const errorSamples = new Set<string>();
  let errors = 0;
  let acknowledged = 0;

  const worker = async (workerId: number): Promise<void> => {
    for (let seq = 0; performance.now() < deadline; seq++) {
      const req = opts.makeRequest(workerId, seq);
      const t0 = performance.now();
      const outcome = await sendOnce(agent, req, opts);
      const t1 = performance.now();
      const counted = t1 >= measureFrom && t1 <= deadline;
      if (outcome.ok) {
        acknowledged++;
        if (counted) latenciesMs.push(t1 - t0);
      } else {
        if (counted) errors++;
        if (errorSamples.size < 5) errorSamples.add(outcome.description);
        await sleep(opts.errorBackoffMs);
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: opts.concurrency }, (_, i) => worker(i)));
  } finally {
    agent.destroy();
  }
  const summary = summarizeLatencies(latenciesMs);
  return {
    concurrency: opts.concurrency,
    durationMs: opts.durationMs,
    ops: summary.count,
    acknowledged,
    opsPerSecond: summary.count / (opts.durationMs / 1000),
    p50Ms: summary.p50Ms,
    p99Ms: summary.p99Ms,
    meanMs: summary.meanMs,
    maxMs: summary.maxMs,
    errors,
    errorSamples: [...errorSamples],
    latenciesMs,
  };
}
