/**
 * Raft benchmark: metadata commits per second and p50/p99 latency of Strata against a 3-member etcd on the
 * same machine and disk, driven by the same closed-loop HTTP load, at 1 and 64 concurrent proposers.
 * Prints one JSON line per figure and a table. Never fails on time; exits non-zero only when it could not
 * measure at all (bad flags). A system that cannot be started is reported as unavailable, with the reason.
 *
 *   node --import tsx bench/raft/raft-bench.ts [--duration-seconds 10] [--warmup-seconds 2] [--rounds 2]
 *     [--concurrency 1,64] [--systems strata,etcd] [--data-root DIR] [--fsync-iterations 200]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { probeFdatasync, type FdatasyncProbeResult } from '../disk/fdatasync-probe.js';
import { EtcdCluster } from '../etcd/etcd-cluster.js';
import { runHttpLoad, type LoadRequest } from '../load/http-load.js';
import { summarizeLatencies } from '../load/latency-summary.js';
import {
  etcdCountRun, etcdPutRequest, strataCountRun, strataCreateBucketRequest, strataCreatedBucket,
} from './commit-workloads.js';
import { poolRounds, type RoundResult } from './pool-runs.js';
import { buildFigureLines, renderTable, type RaftBenchMeasurements, type SystemRun } from './raft-report.js';
import { StrataCluster, strataServerExists } from './strata-cluster.js';
import { killAllManagedProcesses } from '../support/managed-process.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

interface BenchFlags {
  durationSeconds: number;
  warmupSeconds: number;
  concurrencies: number[];
  systems: Set<string>;
  dataRoot: string;
  fsyncIterations: number;
  rounds: number;
}

function parseFlags(argv: string[]): BenchFlags {
  const { values } = parseArgs({
    args: argv,
    options: {
      'duration-seconds': { type: 'string', default: '10' },
      'warmup-seconds': { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '1,64' },
      systems: { type: 'string', default: 'strata,etcd' },
      // Same disk as the repository (and /tmp on this machine); both systems' data dirs go under it.
      'data-root': { type: 'string', default: path.join(repoRoot, '.cache', 'bench', `raft-${process.pid}`) },
      'fsync-iterations': { type: 'string', default: '200' },
      rounds: { type: 'string', default: '2' },
    },
  });
  const positive = (name: string, raw: string | undefined): number => {
    const v = Number(raw);
    if (!(v > 0)) throw new Error(`--${name} must be a positive number, got ${raw}`);
    return v;
  };
  const concurrencies = (values.concurrency ?? '').split(',').map((c) => positive('concurrency', c));
  const systems = new Set((values.systems ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''));
  for (const s of systems) if (s !== 'strata' && s !== 'etcd') throw new Error(`--systems: unknown system ${s}`);
  return {
    durationSeconds: positive('duration-seconds', values['duration-seconds']),
    warmupSeconds: Number(values['warmup-seconds']),
    concurrencies,
    systems,
    dataRoot: path.resolve(values['data-root'] ?? ''),
    fsyncIterations: positive('fsync-iterations', values['fsync-iterations']),
    rounds: Math.round(positive('rounds', values.rounds)),
  };
}

const log = (msg: string) => process.stderr.write(`[raft-bench] ${msg}\n`);
const describe = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];

interface SystemUnderTest {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Request builder aimed at the current leader, resolved before each run. */
  workload(runId: string): Promise<(w: number, seq: number) => LoadRequest>;
  /** How many of the run's writes the system holds afterwards (read back from the leader). */
  countRun(runId: string): Promise<number>;
  isSuccess?: (status: number) => boolean;
}

/** Set when a cluster failed to start: its logs stay in the data root for a post-mortem. */
let keepDataRoot = false;

async function runOnce(sut: SystemUnderTest, c: number, round: number, flags: BenchFlags): Promise<RoundResult> {
  const runId = `${Date.now().toString(36)}r${round}c${c}`;
  const makeRequest = await sut.workload(runId);
  const result = await runHttpLoad({
    concurrency: c, warmupMs: flags.warmupSeconds * 1000, durationMs: flags.durationSeconds * 1000,
    makeRequest, isSuccess: sut.isSuccess,
  });
  log(`${sut.name}: round ${round}, ${c} proposers: ${result.opsPerSecond.toFixed(1)}/s ` +
    `p50 ${result.p50Ms.toFixed(2)} ms p99 ${result.p99Ms.toFixed(2)} ms, ${result.errors} errors`);
  if (result.errors > 0) log(`  e.g. ${result.errorSamples.join(' | ')}`);
  if (result.ops === 0) throw new Error(`no successful commits (${result.errors} errors: ${result.errorSamples[0] ?? '?'})`);
  // Every acknowledged commit must be readable afterwards; a shortfall means the figures overstate.
  const found = await sut.countRun(runId).catch((err: unknown) => {
    log(`${sut.name}: read-back failed: ${describe(err)}`);
    return undefined;
  });
  if (found !== undefined && found < result.acknowledged) {
    log(`${sut.name}: WARNING only ${found} of ${result.acknowledged} acknowledged writes were found`);
  }
  return { ...result, found };
}

/**
 * Both clusters stay up for the whole measurement and the systems run back to back at each concurrency,
 * in A-B then B-A order on alternate rounds, so a change of background load on a shared machine hits
 * both about equally instead of whichever system happened to run second.
 */
async function measure(
  systems: SystemUnderTest[], flags: BenchFlags, afterRound: (round: number) => void,
): Promise<Map<string, Map<number, SystemRun>>> {
  const out = new Map<string, Map<number, SystemRun>>();
  const failed = new Map<string, string>();
  const started: SystemUnderTest[] = [];
  try {
    for (const sut of systems) {
      log(`${sut.name}: starting 3 members`);
      try {
        await sut.start();
        started.push(sut);
      } catch (err) {
        log(`${sut.name}: failed to start: ${err instanceof Error ? err.message : String(err)}`);
        failed.set(sut.name, `failed to start: ${describe(err)}`);
        keepDataRoot = true;
      }
    }
    const rounds = new Map<string, RoundResult[]>();
    for (let round = 1; round <= flags.rounds; round++) {
      const order = round % 2 === 1 ? started : [...started].reverse();
      for (const c of flags.concurrencies) {
        for (const sut of order) {
          const key = `${sut.name}@${c}`;
          if (failed.has(key)) continue;
          log(`${sut.name}: round ${round}/${flags.rounds}, ${c} proposers, ${flags.warmupSeconds} s warm-up + ${flags.durationSeconds} s`);
          try {
            rounds.set(key, [...(rounds.get(key) ?? []), await runOnce(sut, c, round, flags)]);
          } catch (err) {
            failed.set(key, describe(err));
          }
        }
      }
      afterRound(round);
    }
    for (const sut of systems) {
      const runs = new Map<number, SystemRun>();
      for (const c of flags.concurrencies) {
        const reason = failed.get(sut.name) ?? failed.get(`${sut.name}@${c}`);
        runs.set(c, reason !== undefined ? { ok: false, reason } : { ok: true, figures: poolRounds(rounds.get(`${sut.name}@${c}`) ?? []) });
      }
      out.set(sut.name, runs);
    }
  } finally {
    for (const sut of started) {
      log(`${sut.name}: stopping`);
      await sut.stop();
    }
  }
  return out;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  fs.mkdirSync(flags.dataRoot, { recursive: true });
  // On Ctrl-C the finally below never runs: kill the members first, then remove their data.
  process.on('exit', () => {
    killAllManagedProcesses();
    if (!keepDataRoot) fs.rmSync(flags.dataRoot, { recursive: true, force: true });
  });
  try {
    // The disk's speed moves a lot on a shared machine, so it is probed before the measurements and after
    // each round, and the samples are pooled: the floor then describes the whole run.
    const probes: FdatasyncProbeResult[] = [];
    const probe = (when: string) => {
      const p = probeFdatasync({ dir: flags.dataRoot, iterations: flags.fsyncIterations });
      log(`fdatasync ${when}: p50 ${p.p50Ms.toFixed(3)} ms, p99 ${p.p99Ms.toFixed(3)} ms (${p.iterations} x 4 KiB)`);
      probes.push(p);
    };
    log(`data root ${flags.dataRoot}`);
    probe('at the start');

    const notRun = (reason: string) => new Map(flags.concurrencies.map((c): [number, SystemRun] => [c, { ok: false, reason }]));
    const systems: SystemUnderTest[] = [];
    const unavailable = new Map<string, Map<number, SystemRun>>();
    let etcdVersion = 'n/a';
    if (flags.systems.has('etcd')) {
      try {
        const cluster = new EtcdCluster({ dataRoot: flags.dataRoot });
        etcdVersion = cluster.version();
        systems.push({
          name: 'etcd',
          start: () => cluster.start(),
          stop: () => cluster.stop(),
          // The leader, found via /v3/maintenance/status: a follower would forward each put to it.
          workload: async (runId) => etcdPutRequest(await cluster.leaderClientUrl(), runId),
          countRun: async (runId) => etcdCountRun(await cluster.leaderClientUrl(), runId),
        });
      } catch (err) {
        unavailable.set('etcd', notRun(describe(err)));
      }
    }
    if (flags.systems.has('strata')) {
      if (!strataServerExists(repoRoot)) {
        unavailable.set('strata', notRun('strata-server not built yet (node/src/main.ts missing)'));
      } else {
        const cluster = new StrataCluster({ dataRoot: flags.dataRoot, repoRoot });
        systems.push({
          name: 'strata',
          start: () => cluster.start(),
          stop: () => cluster.stop(),
          workload: async (runId) => strataCreateBucketRequest(await cluster.leaderAdminUrl(), runId),
          countRun: async (runId) => strataCountRun(await cluster.leaderAdminUrl(), runId),
          isSuccess: strataCreatedBucket,
        });
      }
    }
    // Clusters are idle between rounds, so the disk is probed there (the last round's probe is the end one).
    const measured = await measure(systems, flags, (round) => probe(`after round ${round}`));
    if (systems.length === 0) probe('at the end');

    const resultOf = (name: string) => measured.get(name) ?? unavailable.get(name) ?? notRun('not selected (--systems)');
    const pooled = summarizeLatencies(probes.flatMap((p) => p.samplesMs));
    const measurements: RaftBenchMeasurements = {
      durationSeconds: flags.durationSeconds,
      rounds: flags.rounds,
      warmupSeconds: flags.warmupSeconds,
      fdatasync: {
        p50Ms: pooled.p50Ms, p99Ms: pooled.p99Ms, iterations: pooled.count,
        blockSizeBytes: probes[0].blockSizeBytes, probeP50sMs: probes.map((p) => p.p50Ms),
      },
      etcdVersion,
      strata: resultOf('strata'),
      etcd: resultOf('etcd'),
    };
    const lines = buildFigureLines(measurements);
    for (const line of lines) process.stdout.write(`${JSON.stringify(line)}\n`);
    process.stdout.write(`\n${renderTable(measurements, lines)}\n`);
  } finally {
    if (keepDataRoot) log(`kept ${flags.dataRoot} for its logs; remove it when done`);
    else fs.rmSync(flags.dataRoot, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`[raft-bench] ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
