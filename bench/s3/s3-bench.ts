/**
 * S3 benchmark: Strata (3 nodes), SeaweedFS (weed server -s3 + 2 volume servers) and a bare node:http
 * server (the ceiling) in one run on one machine and disk, driven by the same closed-loop S3 load. PUT and
 * GET of 1 MiB and 16 MiB at concurrency 16 (16 MiB again at 64, for peak RSS), 4 KiB PUT at 32, and
 * ListObjectsV2 pages of 1000 over a prefix of 100k keys. Prints one JSON line per figure and a table.
 * Never fails on time; a system that cannot be started or measured is reported with the reason.
 *
 *   node --import tsx bench/s3/s3-bench.ts [--duration-seconds 10] [--warmup-seconds 2] [--rounds 1]
 *     [--systems strata,seaweedfs,bare] [--workloads put-1MiB-c16,...] [--list-keys 100000]
 *     [--seaweedfs-fsync] [--data-root DIR]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SeaweedfsCluster } from '../seaweedfs/seaweedfs-cluster.js';
import { ManagedProcess, killAllManagedProcesses } from '../support/managed-process.js';
import { waitUntil } from '../support/wait-until.js';
import type { WatchedProcess } from './process-stats.js';
import { S3Client } from './s3-client.js';
import {
  getStep, listStep, populateKeys, putStep, runClosedLoop, workerBodies, type ClosedLoopResult, type WrittenObjects,
} from './s3-load.js';
import {
  buildFigureLines, poolResults, renderTable, type S3BenchMeasurements, type SystemName, type SystemResult, type WorkloadSpec,
} from './s3-report.js';
import { StrataS3Cluster, strataServesS3 } from './strata-s3-cluster.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const KiB = 1024;
const MiB = 1024 * 1024;

/** In run order: each GET reads what the PUT of its size wrote before it. */
export const WORKLOADS: readonly WorkloadSpec[] = [
  { id: 'put-1MiB-c16', op: 'put', objectBytes: MiB, concurrency: 16 },
  { id: 'get-1MiB-c16', op: 'get', objectBytes: MiB, concurrency: 16 },
  { id: 'put-16MiB-c16', op: 'put', objectBytes: 16 * MiB, concurrency: 16 },
  { id: 'get-16MiB-c16', op: 'get', objectBytes: 16 * MiB, concurrency: 16 },
  { id: 'put-4KiB-c32', op: 'put', objectBytes: 4 * KiB, concurrency: 32 },
  { id: 'put-16MiB-c64', op: 'put', objectBytes: 16 * MiB, concurrency: 64 },
  { id: 'get-16MiB-c64', op: 'get', objectBytes: 16 * MiB, concurrency: 64 },
  { id: 'list-1000-c1', op: 'list', objectBytes: 0, concurrency: 1 },
];

interface Flags {
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
  systems: SystemName[];
  workloads: WorkloadSpec[];
  listKeys: number;
  populateConcurrency: number;
  seaweedfsFsync: boolean;
  dataRoot: string;
}

function parseFlags(argv: string[]): Flags {
  const { values } = parseArgs({
    args: argv,
    options: {
      'duration-seconds': { type: 'string', default: '10' },
      'warmup-seconds': { type: 'string', default: '2' },
      rounds: { type: 'string', default: '1' },
      systems: { type: 'string', default: 'strata,seaweedfs,bare' },
      workloads: { type: 'string', default: WORKLOADS.map((w) => w.id).join(',') },
      'list-keys': { type: 'string', default: '100000' },
      'populate-concurrency': { type: 'string', default: '64' },
      'seaweedfs-fsync': { type: 'boolean', default: false },
      'data-root': { type: 'string', default: path.join(repoRoot, '.cache', 'bench', `s3-${process.pid}`) },
    },
  });
  const positive = (name: string, raw: string | undefined): number => {
    const v = Number(raw);
    if (!(v > 0)) throw new Error(`--${name} must be a positive number, got ${raw}`);
    return v;
  };
  const systems = (values.systems ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const s of systems) if (s !== 'strata' && s !== 'seaweedfs' && s !== 'bare') throw new Error(`--systems: unknown system ${s}`);
  const ids = (values.workloads ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const id of ids) if (!WORKLOADS.some((w) => w.id === id)) throw new Error(`--workloads: unknown workload ${id} (known: ${WORKLOADS.map((w) => w.id).join(', ')})`);
  return {
    durationSeconds: positive('duration-seconds', values['duration-seconds']),
    warmupSeconds: Number(values['warmup-seconds']),
    rounds: Math.round(positive('rounds', values.rounds)),
    systems: systems as SystemName[],
    workloads: WORKLOADS.filter((w) => ids.includes(w.id)),
    listKeys: Math.round(positive('list-keys', values['list-keys'])),
    populateConcurrency: Math.round(positive('populate-concurrency', values['populate-concurrency'])),
    seaweedfsFsync: values['seaweedfs-fsync'] ?? false,
    dataRoot: path.resolve(values['data-root'] ?? ''),
  };
}

const log = (msg: string) => process.stderr.write(`[s3-bench] ${msg}\n`);
const describe = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];
const BUCKET = 'strata-bench';

/** One system under test: how to start it, reach it, measure it and stop it. */
interface Target {
  name: SystemName;
  start(): Promise<void>;
  stop(): Promise<void>;
  client(concurrency: number): S3Client;
  processes(): WatchedProcess[];
}

function bareTarget(dataRoot: string): Target {
  const host = '127.0.0.41';
  const port = 9080;
  let proc: ManagedProcess | undefined;
  return {
    name: 'bare',
    start: async () => {
      fs.mkdirSync(path.join(dataRoot, 'bare'), { recursive: true });
      proc = new ManagedProcess({
        name: 'bare-http', command: process.execPath, cwd: repoRoot, logFile: path.join(dataRoot, 'bare', 'bare.log'),
        args: ['--import', 'tsx', path.join(repoRoot, 'bench/s3/bare-http-server.ts'), '--host', host, '--port', String(port)],
      });
      await waitUntil(async () => {
        if (proc !== undefined && !proc.running) throw new Error(proc.describeDeath());
        const res = await fetch(`http://${host}:${port}/probe`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        return res.status === 404 ? true : undefined;
      }, { what: 'bare node:http server', timeoutMs: 30_000 });
    },
    stop: async () => proc?.stop(),
    client: (c) => new S3Client({ endpoints: [`http://${host}:${port}`], bucket: BUCKET, maxSocketsPerEndpoint: c }),
    processes: () => (proc?.pid === undefined ? [] : [{ name: 'bare-http', pid: proc.pid }]),
  };
}

async function createBucket(target: Target): Promise<void> {
  const client = target.client(1);
  try {
    const r = await client.createBucket();
    if (!r.ok) throw new Error(`create bucket ${BUCKET}: ${r.description}`);
  } finally {
    client.close();
  }
}

/**
 * Writes a few objects of every size before measuring, retrying for up to a minute: a fresh SeaweedFS
 * allocates its volumes on the first writes (seconds), which would otherwise land in a measured window.
 */
async function prime(target: Target): Promise<void> {
  const client = target.client(16);
  try {
    const deadline = Date.now() + 60_000;
    for (const size of [0, 4 * KiB, MiB, 16 * MiB]) {
      const body = Buffer.alloc(size, 0x63);
      for (let i = 0; i < 4; i++) {
        for (;;) {
          const r = await client.putObject(i, `prime/${size}-${i}`, body);
          if (r.ok) break;
          if (Date.now() > deadline) throw new Error(`priming PUT of ${size} bytes: ${r.description}`);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    }
  } finally {
    client.close();
  }
}

/** Per system and workload: the rounds measured, or why there are none. */
type Collected = Map<string, ClosedLoopResult[] | { reason: string }>;

async function runWorkload(target: Target, spec: WorkloadSpec, round: number, flags: Flags,
  written: Map<string, WrittenObjects>, listPrefix: string): Promise<ClosedLoopResult> {
  const client = target.client(spec.concurrency);
  try {
    const key = `${target.name}:${spec.objectBytes}`;
    let step;
    if (spec.op === 'put') {
      const w = written.get(key) ?? { sizeBytes: spec.objectBytes, keys: [] };
      written.set(key, w);
      step = putStep(client, `obj/${spec.id}-r${round}`, workerBodies(spec.concurrency, spec.objectBytes), w);
    } else if (spec.op === 'get') {
      const w = written.get(key);
      if (w === undefined || w.keys.length === 0) throw new Error(`no ${spec.objectBytes}-byte objects written by a PUT workload to read`);
      step = getStep(client, w);
    } else {
      step = listStep(client, listPrefix, 1000, flags.listKeys);
    }
    return await runClosedLoop({
      concurrency: spec.concurrency, warmupMs: flags.warmupSeconds * 1000, durationMs: flags.durationSeconds * 1000,
      step, processes: target.processes(),
    });
  } finally {
    client.close();
  }
}

async function populate(target: Target, flags: Flags, prefix: string): Promise<{ putsPerSecond: number; seconds: number; acknowledged: number }> {
  const client = target.client(flags.populateConcurrency);
  try {
    const keys = Array.from({ length: flags.listKeys }, (_, i) => `${prefix}k${String(i).padStart(7, '0')}`);
    const r = await populateKeys(client, keys, 0, flags.populateConcurrency, (n) => log(`${target.name}: populated ${n}/${keys.length}`));
    if (r.acknowledged < keys.length) throw new Error(`only ${r.acknowledged} of ${keys.length} keys written: ${r.errorSamples[0] ?? '?'}`);
    return { putsPerSecond: r.acknowledged / r.seconds, seconds: r.seconds, acknowledged: r.acknowledged };
  } finally {
    client.close();
  }
}

/** Kept after a failure, or on request (STRATA_BENCH_KEEP_DATA=1) for the nodes' logs. */
let keepDataRoot = process.env.STRATA_BENCH_KEEP_DATA === '1';

/**
 * Writes the page cache's dirty pages out before a row, so the writeback of the rows before (SeaweedFS
 * does not fsync by default: a 16 MiB row leaves GBs dirty) does not land in the next system's row.
 */
function flushDirtyPages(): void {
  const started = Date.now();
  execFileSync('sync');
  const ms = Date.now() - started;
  if (ms >= 500) log(`sync: wrote the dirty pages of the rows before in ${(ms / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  fs.mkdirSync(flags.dataRoot, { recursive: true });
  process.on('exit', () => {
    killAllManagedProcesses();
    if (!keepDataRoot) fs.rmSync(flags.dataRoot, { recursive: true, force: true });
  });
  log(`data root ${flags.dataRoot}`);
  const unavailable = new Map<SystemName, string>();
  const targets: Target[] = [];
  let seaweedfsVersion = 'n/a';
  let seaweedfsReplication = 'n/a';
  if (flags.systems.includes('strata')) {
    if (!strataServesS3(repoRoot)) {
      unavailable.set('strata', 'strata-server does not start an S3 gateway yet (node/src/main.ts imports nothing from ./s3/)');
    } else {
      // STRATA_BENCH_NODE_ARGS: extra node flags, e.g. '--cpu-prof --cpu-prof-dir /tmp/prof' to profile under load;
      // STRATA_BENCH_KEEP_DATA=1 keeps the nodes' data and logs.
      const nodeArgs = (process.env.STRATA_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
      const cluster = new StrataS3Cluster({ dataRoot: flags.dataRoot, repoRoot, nodeArgs });
      targets.push({
        name: 'strata', start: () => cluster.start(), stop: () => cluster.stop({ keepData: keepDataRoot }), processes: () => cluster.processes,
        client: (c) => new S3Client({ endpoints: cluster.s3Endpoints, bucket: BUCKET, credentials: cluster.credentials, maxSocketsPerEndpoint: c }),
      });
    }
  }
  if (flags.systems.includes('seaweedfs')) {
    try {
      const cluster = new SeaweedfsCluster({ dataRoot: flags.dataRoot, fsync: flags.seaweedfsFsync });
      seaweedfsVersion = cluster.version();
      seaweedfsReplication = cluster.replication;
      targets.push({
        name: 'seaweedfs', start: () => cluster.start(), stop: () => cluster.stop({ keepData: keepDataRoot }), processes: () => cluster.processes,
        client: (c) => new S3Client({ endpoints: [cluster.s3Endpoint], bucket: BUCKET, credentials: cluster.credentials, maxSocketsPerEndpoint: c }),
      });
    } catch (err) {
      unavailable.set('seaweedfs', describe(err));
    }
  }
  if (flags.systems.includes('bare')) targets.push(bareTarget(flags.dataRoot));

  const started: Target[] = [];
  const collected: Collected = new Map();
  const populated: S3BenchMeasurements['populate'] = {};
  const listPrefix = `list/${Date.now().toString(36)}/`;
  try {
    for (const t of targets) {
      log(`${t.name}: starting`);
      try {
        await t.start();
        if (t.name !== 'bare') await createBucket(t);
        await prime(t);
        started.push(t);
      } catch (err) {
        log(`${t.name}: failed to start: ${err instanceof Error ? err.message : String(err)}`);
        unavailable.set(t.name, `failed to start: ${describe(err)}`);
        keepDataRoot = true;
      }
    }
    const written = new Map<string, WrittenObjects>();
    for (let round = 1; round <= flags.rounds; round++) {
      for (const [i, spec] of flags.workloads.entries()) {
        // Alternate the order per workload and round, so drifting background load hits every system alike.
        const order = (round + i) % 2 === 1 ? started : [...started].reverse();
        for (const t of order) {
          const key = `${t.name}:${spec.id}`;
          const prior = collected.get(key);
          if (prior !== undefined && !Array.isArray(prior)) continue;
          if (spec.op === 'list' && t.name === 'bare') continue;
          try {
            if (spec.op === 'list' && round === 1) {
              log(`${t.name}: populating ${flags.listKeys} keys under ${listPrefix} (${flags.populateConcurrency} in flight)`);
              try {
                populated[t.name] = await populate(t, flags, listPrefix);
              } catch (err) {
                populated[t.name] = { reason: describe(err) };
                throw err;
              }
            }
            flushDirtyPages();
            log(`${t.name}: ${spec.id} round ${round}/${flags.rounds}: >= ${flags.warmupSeconds} s warm-up, then >= ${flags.durationSeconds} s`);
            const r = await runWorkload(t, spec, round, flags, written, listPrefix);
            log(`${t.name}: ${spec.id}: ${r.mibPerSecond.toFixed(1)} MiB/s ${r.opsPerSecond.toFixed(1)} ops/s ` +
              `p50 ${r.p50Ms.toFixed(2)} ms p99 ${r.p99Ms.toFixed(2)} ms over ${(r.durationMs / 1000).toFixed(1)} s, ${r.errors} errors, generator cpu ` +
              `${((r.generatorCpuSeconds / r.wallSeconds) * 100).toFixed(0)}%`);
            if (r.errors > 0) log(`  e.g. ${r.errorSamples.join(' | ')}`);
            if (r.ops === 0) {
              throw new Error(`no request completed in the window (${r.acknowledged} succeeded outside it, ${r.errors} errors: ` +
                `${r.errorSamples[0] ?? "none"})`);
            }
            collected.set(key, [...((prior as ClosedLoopResult[] | undefined) ?? []), r]);
          } catch (err) {
            log(`${t.name}: ${spec.id}: ${describe(err)}`);
            collected.set(key, { reason: describe(err) });
          }
        }
      }
    }
  } finally {
    for (const t of started) {
      log(`${t.name}: stopping`);
      await t.stop().catch((err: unknown) => log(`${t.name}: stop failed: ${describe(err)}`));
    }
  }

  const resultOf = (name: SystemName, spec: WorkloadSpec): SystemResult | undefined => {
    if (!flags.systems.includes(name) || (spec.op === 'list' && name === 'bare')) return undefined;
    const down = unavailable.get(name);
    if (down !== undefined) return { ok: false, reason: down };
    const c = collected.get(`${name}:${spec.id}`);
    if (c === undefined) return { ok: false, reason: 'not run' };
    return Array.isArray(c) ? { ok: true, figures: poolResults(spec, c) } : { ok: false, reason: c.reason };
  };
  for (const [name, reason] of unavailable) if (name !== 'bare') populated[name] ??= { reason };
  const measurements: S3BenchMeasurements = {
    durationSeconds: flags.durationSeconds, warmupSeconds: flags.warmupSeconds, rounds: flags.rounds,
    seaweedfsVersion, seaweedfsReplication, seaweedfsFsync: flags.seaweedfsFsync, listKeys: flags.listKeys,
    populate: populated,
    workloads: flags.workloads.map((spec) => ({
      spec, results: { strata: resultOf('strata', spec), seaweedfs: resultOf('seaweedfs', spec), bare: resultOf('bare', spec) },
    })),
  };
  const lines = buildFigureLines(measurements);
  for (const line of lines) process.stdout.write(`${JSON.stringify(line)}\n`);
  process.stdout.write(`\n${renderTable(measurements, lines)}\n`);
  if (keepDataRoot) log(`kept ${flags.dataRoot} for its logs; remove it when done`);
}

main().catch((err) => {
  process.stderr.write(`[s3-bench] ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
