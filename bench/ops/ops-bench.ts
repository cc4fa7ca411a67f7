/**
 * Cluster operations benchmark (issue 4, Speed): recovery and rebalance throughput against the disk and
 * loopback limits measured in the same run, and foreground GET p99 during them against p99 at rest.
 *
 * Two runs, each on its own fresh cluster (erasure 2+1, 4 nodes): `unthrottled` (move throttle
 * effectively off, no foreground load: the throughput figures) and `throttled` (the default 64 MB/s, a
 * closed loop of 1 MiB GETs running throughout: the foreground figures). Each run fills the cluster,
 * SIGKILLs node 4, removes it with --force and times recovery to done; then, now a 3-node cluster holding
 * the same data, starts node 5, POSTs rebalance and times it to done; then reads a sample of objects back
 * by SHA-256. Prints JSON lines (stdout) then a table. Exits 1 only when the system misbehaves (an object
 * reads back wrong or a chunk is unrecoverable), never on timing.
 *
 *   node --import tsx bench/ops/ops-bench.ts [--fill-mib 1024] [--fill-seconds 60] [--get-concurrency 8]
 *     [--rest-seconds 12] [--window-seconds 3] [--throttle-mb 64] [--runs unthrottled,throttled] [--data-root DIR] ...
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import type { AdminClient } from '../../node/src/client/index.js';
import { killAllManagedProcesses } from '../support/managed-process.js';
import { waitUntil } from '../support/wait-until.js';
import { probeDiskRead, probeDiskWrite, probeLoopback } from './limits-probe.js';
import { ObjectSet, type GetLoop } from './object-set.js';
import { OpsCluster } from './ops-cluster.js';
import { readCpuSeconds } from '../s3/process-stats.js';
import { MiB, busyPct, parseProcStatCpu, summarizePhase, type MoveFigure, type PhaseLatency } from './ops-figures.js';
import { buildFigureLines, renderTable, type ClusterRun, type LimitsDetail, type MachineInfo, type OpsMeasurements } from './ops-report.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const log = (msg: string) => process.stderr.write(`[ops-bench] ${new Date().toISOString().slice(11, 19)} ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Addresses 127.0.0.51-59: each run's node i on hosts[i-1]; node 5 (the one that joins) last. */
const HOSTS: Record<ClusterRun['label'], string[]> = {
  unthrottled: ['127.0.0.51', '127.0.0.52', '127.0.0.53', '127.0.0.54', '127.0.0.55'],
  // The unthrottled cluster is gone by then, so its first address is free again for this run's node 5.
  throttled: ['127.0.0.56', '127.0.0.57', '127.0.0.58', '127.0.0.59', '127.0.0.51'],
};
const THROTTLE_OFF_MB = 100_000;
const GET_WARMUP_MS = 3000;

interface Flags {
  fillMiB: number;
  fillSeconds: number;
  putConcurrency: number;
  getConcurrency: number;
  restSeconds: number;
  windowSeconds: number;
  verifyObjects: number;
  moveTimeoutSeconds: number;
  stripeSize: string;
  diskProbeMiB: number;
  fsyncEveryMiB: number;
  loopbackSeconds: number;
  settleSeconds: number;
  throttleMb: number;
  keepData: boolean;
  runs: ClusterRun['label'][];
  dataRoot: string;
}

function parseFlags(argv: string[]): Flags {
  const { values } = parseArgs({
    args: argv,
    options: {
      'fill-mib': { type: 'string', default: '1024' },
      'fill-seconds': { type: 'string', default: '60' },
      'put-concurrency': { type: 'string', default: '8' },
      'get-concurrency': { type: 'string', default: '8' },
      'rest-seconds': { type: 'string', default: '12' },
      'window-seconds': { type: 'string', default: '3' },
      'verify-objects': { type: 'string', default: '128' },
      'move-timeout-seconds': { type: 'string', default: '300' },
      'stripe-size': { type: 'string', default: '1MiB' },
      'disk-probe-mib': { type: 'string', default: '512' },
      'fsync-every-mib': { type: 'string', default: '16' },
      'loopback-seconds': { type: 'string', default: '3' },
      'settle-seconds': { type: 'string', default: '45' },
      // The throttled run's move_throttle_mb_per_sec (the product's default).
      'throttle-mb': { type: 'string', default: '64' },
      'keep-data': { type: 'boolean', default: false },
      runs: { type: 'string', default: 'unthrottled,throttled' },
      'data-root': { type: 'string', default: path.join(repoRoot, '.cache', 'bench', `ops-${process.pid}`) },
    },
  });
  const positive = (name: string): number => {
    const raw = (values as Record<string, unknown>)[name] as string | undefined;
    const v = Number(raw);
    if (!(v > 0)) throw new Error(`--${name} must be a positive number, got ${raw}`);
    return v;
  };
  const runs = (values.runs ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const r of runs) if (r !== 'unthrottled' && r !== 'throttled') throw new Error(`--runs: unknown run ${r} (unthrottled, throttled)`);
  return {
    fillMiB: positive('fill-mib'), fillSeconds: positive('fill-seconds'), putConcurrency: Math.round(positive('put-concurrency')),
    getConcurrency: Math.round(positive('get-concurrency')), restSeconds: positive('rest-seconds'), windowSeconds: positive('window-seconds'),
    verifyObjects: Math.round(positive('verify-objects')), moveTimeoutSeconds: positive('move-timeout-seconds'),
    stripeSize: values['stripe-size'] ?? '1MiB', diskProbeMiB: Math.round(positive('disk-probe-mib')),
    fsyncEveryMiB: Math.round(positive('fsync-every-mib')), loopbackSeconds: positive('loopback-seconds'),
    settleSeconds: Number(values['settle-seconds']), throttleMb: positive('throttle-mb'), keepData: values['keep-data'] ?? false,
    runs: runs as ClusterRun['label'][], dataRoot: path.resolve(values['data-root'] ?? ''),
  };
}

function stripeBytes(size: string): number {
  const m = /^(\d+)\s*(KiB|MiB)?$/.exec(size.trim());
  if (m === null) throw new Error(`--stripe-size: expected e.g. 64KiB or 1MiB, got ${size}`);
  return Number(m[1]) * (m[2] === 'MiB' ? MiB : m[2] === 'KiB' ? 1024 : 1);
}

function machineInfo(): MachineInfo {
  const mem = /MemTotal:\s+(\d+) kB/.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  return {
    cores: os.cpus().length, memTotalMiB: mem === null ? Number.NaN : Math.round(Number(mem[1]) / 1024),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown', loadAvgStart: os.loadavg(), loadAvgEnd: [],
  };
}

async function measureLimits(flags: Flags): Promise<LimitsDetail> {
  const dir = path.join(flags.dataRoot, 'limits');
  log(`disk: writing ${flags.diskProbeMiB} MiB in 1 MiB blocks, fdatasync every ${flags.fsyncEveryMiB} MiB, in ${dir}`);
  const write = probeDiskWrite({ dir, totalMiB: flags.diskProbeMiB, fsyncEveryMiB: flags.fsyncEveryMiB });
  let read: { mibPerSec: number; mode: string };
  try {
    read = probeDiskRead(write.file);
  } finally {
    fs.rmSync(write.file, { force: true });
  }
  log(`disk: write ${write.mibPerSec.toFixed(1)} MiB/s, read ${read.mibPerSec.toFixed(1)} MiB/s (${read.mode}); loopback for ${flags.loopbackSeconds} s`);
  let loop = { mibPerSec: Number.NaN, seconds: 0 };
  try {
    loop = await probeLoopback({ repoRoot, dir, receiverHost: '127.0.0.52', port: 9500, seconds: flags.loopbackSeconds });
  } catch (err) {
    log(`loopback probe failed: ${describe(err)}`);
  }
  log(`loopback: ${loop.mibPerSec.toFixed(1)} MiB/s`);
  return {
    diskWriteMiBps: write.mibPerSec, diskReadMiBps: read.mibPerSec, loopbackMiBps: loop.mibPerSec,
    diskWriteMiB: flags.diskProbeMiB, fsyncEveryMiB: flags.fsyncEveryMiB, diskReadMode: read.mode, loopbackSeconds: loop.seconds,
  };
}

function configToml(flags: Flags, throttleMb: number): string {
  // recovery_timeout stays long: recovery here starts from `remove --force`, as in the guide's procedure.
  // cache_size = 0: the read cache would serve part of the 1 MiB GET set at rest from memory, while moved
  // chunks get new ids and miss it: at rest and during would differ by the cache.
  return `[data]\nerasure_data_shards = 2\nerasure_parity_shards = 1\nstripe_size = "${flags.stripeSize}"\ncache_size = 0\n` +
    `move_throttle_mb_per_sec = ${throttleMb}\n`;
}

/** Polls a move's status until `done` says it finished; the figure has the bytes the status reports. */
async function timeMove<T>(what: string, flags: Flags, poll: () => Promise<T>, done: (s: T) => boolean,
  figure: (s: T) => { bytes: number; chunks: number; serverMs?: number }, t0: number): Promise<MoveFigure & { last?: T }> {
  const deadline = t0 + flags.moveTimeoutSeconds * 1000;
  let last: T | undefined;
  let lastLog = 0;
  for (;;) {
    try {
      last = await poll();
      if (done(last)) return { ...figure(last), wallMs: performance.now() - t0, last };
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        const f = figure(last);
        log(`${what}: ${(f.bytes / MiB).toFixed(1)} MiB, ${f.chunks} chunks so far`);
      }
    } catch (err) {
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        log(`${what}: status: ${describe(err)}`);
      }
    }
    if (performance.now() > deadline) {
      const f = last === undefined ? { bytes: 0, chunks: 0 } : figure(last);
      return { ...f, wallMs: performance.now() - t0, error: `not done after ${flags.moveTimeoutSeconds} s`, last };
    }
    await sleep(250);
  }
}

/** CPU of the given nodes and of the whole machine now, to say afterwards what a move cost and whether the machine was saturated. */
function cpuNow(cluster: OpsCluster, ids: number[]): { nodes: number; machine: { busy: number; total: number } } {
  let nodes = 0;
  for (const id of ids) {
    const pid = cluster.pid(id);
    if (pid !== undefined) nodes += readCpuSeconds(pid);
  }
  return { nodes, machine: parseProcStatCpu(fs.readFileSync('/proc/stat', 'utf8')) };
}

function cpuSince(cluster: OpsCluster, ids: number[], from: ReturnType<typeof cpuNow>): { nodesCpuSeconds: number; machineBusyPct: number } {
  const now = cpuNow(cluster, ids);
  return { nodesCpuSeconds: now.nodes - from.nodes, machineBusyPct: busyPct(from.machine, now.machine) };
}

/**
 * Waits until the nodes are quiet (together under a third of a core over the last 2 s) or `maxSeconds`
 * pass, at least 3 s; returns the seconds waited.
 */
async function settle(cluster: OpsCluster, ids: number[], maxSeconds: number): Promise<number> {
  const t0 = performance.now();
  const readings = [cpuNow(cluster, ids).nodes];
  for (;;) {
    await sleep(1000);
    readings.push(cpuNow(cluster, ids).nodes);
    const waited = (performance.now() - t0) / 1000;
    const recent = readings.length >= 3 ? (readings[readings.length - 1] - readings[readings.length - 3]) / 2 : Number.POSITIVE_INFINITY;
    if ((waited >= 3 && recent < 0.33) || waited >= maxSeconds) return waited;
  }
}

async function leaderOf(admin: AdminClient): Promise<number | undefined> {
  return admin.leaderClusterStatus().then((s) => s.leaderId, () => undefined);
}

const changed = (a: number | undefined, b: number | undefined): string | undefined =>
  a !== undefined && b !== undefined && a !== b ? `node-${a} -> node-${b}` : undefined;

const serverSpan = (p: { startedMs?: number; finishedMs?: number }): number | undefined =>
  p.startedMs !== undefined && p.finishedMs !== undefined && p.finishedMs >= p.startedMs ? p.finishedMs - p.startedMs : undefined;

async function runCluster(label: ClusterRun['label'], flags: Flags): Promise<ClusterRun> {
  const throttled = label === 'throttled';
  const throttle = throttled ? flags.throttleMb : THROTTLE_OFF_MB;
  const cluster = new OpsCluster({ dataRoot: path.join(flags.dataRoot, label), hosts: HOSTS[label], configToml: configToml(flags, throttle) });
  const run: ClusterRun = {
    label, throttleMbPerSec: throttle, objects: 0, filledBytes: 0, fillSeconds: 0, lostNodeChunks: 0,
    recovery: { bytes: 0, chunks: 0, wallMs: 0, error: 'not run' }, rebalance: { bytes: 0, chunks: 0, wallMs: 0, error: 'not run' },
    verified: 0, bad: [], unrecoverable: 0,
  };
  let loop: GetLoop | undefined;
  let keep = false;
  try {
    log(`${label}: starting 4 nodes on ${HOSTS[label].slice(0, 4).join(', ')} (move_throttle_mb_per_sec = ${throttle})`);
    await cluster.startNodes(4);
    const objects = new ObjectSet({ endpoints: [1, 2, 3].map((id) => cluster.s3Url(id)), bucket: 'ops-bench', credentials: cluster.credentials });
    await waitUntil(() => objects.createBucket().then(() => true), { what: 'the bucket', timeoutMs: 30_000, intervalMs: 500 });
    log(`${label}: filling up to ${flags.fillMiB} MiB (at most ${flags.fillSeconds} s, ${flags.putConcurrency} PUTs in flight)`);
    const fill = await objects.fill(flags.fillMiB * MiB, flags.fillSeconds, flags.putConcurrency, (b) => log(`${label}: ${(b / MiB).toFixed(0)} MiB written`));
    run.objects = objects.objects.length;
    run.filledBytes = objects.filledBytes;
    run.fillSeconds = fill.seconds;
    log(`${label}: ${run.objects} objects, ${(run.filledBytes / MiB).toFixed(0)} MiB in ${fill.seconds.toFixed(1)} s`);

    let admin: AdminClient = cluster.admin();
    run.lostNodeChunks = (await admin.storageStatus()).nodes.find((n) => n.nodeId === 4)?.chunks ?? 0;
    const before = await admin.leaderClusterStatus();
    const n4 = before.nodes.find((n) => n.id === 4);
    run.lostNodeRole = before.leaderId === 4 ? 'leader' : n4?.voter === true ? 'voter' : 'learner';
    // A lost leader adds an election to the figure and varies run to run: the lost node is a follower.
    if (before.leaderId === 4) {
      await admin.transferLeadership(1);
      run.lostNodeRole = 'voter (leadership moved away first)';
    }
    // The fill's dirty pages, compactions and snapshots settle before anything is measured.
    run.settleSeconds = await settle(cluster, [1, 2, 3, 4], flags.settleSeconds);
    log(`${label}: settled after ${run.settleSeconds.toFixed(0)} s`);
    const window = { windowMs: flags.windowSeconds * 1000 };
    const marks: Record<string, number> = {};
    if (throttled) {
      loop = objects.startGetLoop(MiB, flags.getConcurrency);
      // Connections open and first requests out of step before anything counts.
      await sleep(GET_WARMUP_MS);
      marks.rest4From = performance.now();
      await sleep(flags.restSeconds * 1000);
    }

    log(`${label}: SIGKILL node-4 (${run.lostNodeRole}, ${run.lostNodeChunks} chunks), remove --force`);
    const cpu0 = cpuNow(cluster, [1, 2, 3]);
    const t0 = performance.now();
    marks.rest4To = t0;
    await cluster.kill(4);
    admin = cluster.admin();
    await admin.removeNode(4, { force: true });
    const leaderAtRecovery = await leaderOf(admin);
    const rec = await timeMove(`${label} recovery`, flags,
      async () => ({ recovery: await admin.recoveryStatus(), storage: await admin.storageStatus() }),
      (s) => s.storage.degradedChunks === 0 && s.recovery.nodes.length === 0 && s.recovery.inProgress === 0,
      (s) => ({ bytes: s.recovery.progress.bytesDone, chunks: s.recovery.progress.chunksDone, serverMs: serverSpan(s.recovery.progress) }), t0);
    marks.recoveryTo = performance.now();
    run.recovery = { bytes: rec.bytes, chunks: rec.chunks, wallMs: rec.wallMs, serverMs: rec.serverMs, error: rec.error, ...cpuSince(cluster, [1, 2, 3], cpu0),
      leaderChange: changed(leaderAtRecovery, await leaderOf(admin)) };
    run.unrecoverable = rec.last?.recovery.unrecoverable ?? 0;
    log(`${label}: recovery ${(rec.bytes / MiB).toFixed(1)} MiB, ${rec.chunks} chunks in ${(rec.wallMs / 1000).toFixed(1)} s${rec.error === undefined ? '' : ` (${rec.error})`}`);

    if (throttled) await sleep(flags.restSeconds * 1000);
    marks.rest3To = performance.now();
    log(`${label}: starting node-5 on ${HOSTS[label][4]}, then rebalance`);
    await cluster.start(5, 1);
    await waitUntil(() => admin.storageStatus().then((s) => (s.nodes.some((n) => n.nodeId === 5 && n.online) ? true : undefined)),
      { what: 'node-5 online in storage status', timeoutMs: 60_000 });
    const cpu2 = cpuNow(cluster, [1, 2, 3, 5]);
    const t2 = performance.now();
    marks.rebalanceFrom = t2;
    const leaderAtRebalance = await leaderOf(admin);
    await admin.rebalance();
    // 'idle' after the POST means the leader now answering has no rebalance: it was dropped (leader change).
    const reb = await timeMove(`${label} rebalance`, flags, () => admin.rebalanceStatus(),
      (s) => s.state !== 'running',
      (s) => ({ bytes: s.progress.bytesDone, chunks: s.progress.chunksDone, serverMs: serverSpan(s.progress) }), t2);
    marks.rebalanceTo = performance.now();
    const leaderChange = changed(leaderAtRebalance, await leaderOf(admin));
    const failed = reb.last?.state === 'failed' ? `rebalance failed: ${reb.last.progress.lastError ?? 'no reason given'}`
      : reb.last?.state === 'idle' ? `rebalance dropped: the leader reports state idle before done${leaderChange === undefined ? '' : ` (leader ${leaderChange})`}` : undefined;
    run.rebalance = { bytes: reb.bytes, chunks: reb.chunks, wallMs: reb.wallMs, serverMs: reb.serverMs, error: reb.error ?? failed,
      ...cpuSince(cluster, [1, 2, 3, 5], cpu2), leaderChange };
    log(`${label}: rebalance ${(reb.bytes / MiB).toFixed(1)} MiB, ${reb.chunks} chunks in ${(reb.wallMs / 1000).toFixed(1)} s, spread ${reb.last?.spread.toFixed(3) ?? '?'}`);

    if (loop !== undefined) {
      await loop.stop();
      const s = loop.samples;
      const phase = (from: number, to: number): PhaseLatency => summarizePhase(s, from, to, window);
      run.foreground = {
        rest4: phase(marks.rest4From, marks.rest4To), recovery: phase(marks.rest4To, marks.recoveryTo),
        rest3: phase(marks.recoveryTo, marks.rest3To), rebalance: phase(marks.rebalanceFrom, marks.rebalanceTo),
      };
      run.getErrorSamples = [...loop.errors];
      if (loop.errors.length > 0) log(`${label}: GET errors, e.g. ${loop.errors.join(' | ')}`);
      loop = undefined;
    }
    log(`${label}: reading back up to ${flags.verifyObjects} objects by SHA-256`);
    const v = await objects.verify(flags.verifyObjects);
    run.verified = v.verified;
    run.bad = v.bad;
    keep = flags.keepData || v.bad.length > 0 || run.unrecoverable > 0;
  } catch (err) {
    run.error = describe(err).split('\n')[0];
    log(`${label}: ${describe(err)}\n${cluster.tails()}`);
    keep = true;
  } finally {
    await loop?.stop();
    await cluster.stop({ keepData: keep });
    if (keep) log(`${label}: data and logs kept in ${cluster.dataRoot}`);
  }
  return run;
}

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2));
  if (!fs.existsSync(path.join(repoRoot, 'dist/node/src/main.js'))) throw new Error('dist/node/src/main.js missing: build first (make build)');
  fs.mkdirSync(flags.dataRoot, { recursive: true });
  const machine = machineInfo();
  const limits = await measureLimits(flags);
  const runs: ClusterRun[] = [];
  for (const label of flags.runs) runs.push(await runCluster(label, flags));
  machine.loadAvgEnd = os.loadavg();
  const m: OpsMeasurements = {
    machine, limits, runs,
    sizes: {
      erasure: '2+1', stripeSizeBytes: stripeBytes(flags.stripeSize), objectSizesMiB: [1, 4, 2, 3], fillTargetMiB: flags.fillMiB,
      getObjectBytes: MiB, getConcurrency: flags.getConcurrency, windowSeconds: flags.windowSeconds, readCacheBytes: 0,
    },
  };
  const lines = buildFigureLines(m);
  for (const line of lines) process.stdout.write(`${JSON.stringify(line)}\n`);
  process.stdout.write(`\n${renderTable(m, lines)}\n`);
  const broken = runs.filter((r) => r.bad.length > 0 || r.unrecoverable > 0);
  if (broken.length === 0 && !flags.keepData) fs.rmSync(flags.dataRoot, { recursive: true, force: true });
  for (const r of broken) log(`${r.label}: MISBEHAVIOUR: ${r.bad.length} objects read back wrong, ${r.unrecoverable} unrecoverable chunks`);
  return broken.length > 0 ? 1 : 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  killAllManagedProcesses();
  process.exit(2);
});
