/**
 * Micro benchmark of the LevelDB Raft log (storage/level LevelLogStore): synced saves per second and
 * latency at 1 and 64 concurrent savers, next to the disk's own 4 KiB write+fdatasync latency measured
 * in the same run (before and after the saves). Each save carries one ~200-byte entry and a hard state,
 * like a Ready of one proposal. The Raft target: a synced save costs about one fdatasync.
 *
 *   npx tsx bench/raft/log-store-bench.ts [--dir /path/on/the/disk/to/test] [--saves 3000]
 *
 * Prints one JSON line per figure, then a table.
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LevelLogStore } from '../../node/src/storage/level/level-log-store.js';

const { values: args } = parseArgs({
  options: { dir: { type: 'string' }, saves: { type: 'string' }, fsyncs: { type: 'string' } },
});
const baseDir = mkdtempSync(join(args.dir ?? tmpdir(), 'strata-log-bench-'));
const savesPerRun = Number(args.saves ?? 3000);
const fsyncSamples = Number(args.fsyncs ?? 200);
const ENTRY_BYTES = 200;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

/** Appends 4 KiB and fdatasyncs, `samples` times; returns sorted latencies in ms. */
function measureFdatasync(samples: number, name: string): number[] {
  const path = join(baseDir, name);
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096, 0xab);
  const out: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const t = performance.now();
      writeSync(fd, block);
      fdatasyncSync(fd);
      out.push(performance.now() - t);
    }
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
  return out.sort((a, b) => a - b);
}

interface RunResult {
  concurrency: number;
  savesPerS: number;
  sorted: number[];
  writes: number;
  saves: number;
}

async function runSavers(concurrency: number, total: number): Promise<RunResult> {
  const dir = join(baseDir, `c${concurrency}`);
  const store = await LevelLogStore.open({ dir });
  await store.load();
  const payload = new Uint8Array(ENTRY_BYTES).fill(0x61);
  let next = 1;
  const saveOne = () => {
    const index = next++;
    return store.save(
      { hardState: { term: 1, vote: 1, commit: index - 1 }, entries: [{ index, term: 1, type: 'normal', data: payload }] },
      true,
    );
  };
  // Warm up (LevelDB files, JIT) outside the measurement.
  for (let i = 0; i < 50; i++) await saveOne();
  const before = store.stats();
  const latencies: number[] = [];
  let remaining = total;
  const saver = async () => {
    while (remaining > 0) {
      remaining--;
      const t = performance.now();
      await saveOne();
      latencies.push(performance.now() - t);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, saver));
  const elapsedMs = performance.now() - start;
  const after = store.stats();
  await store.close();
  return {
    concurrency,
    savesPerS: (total / elapsedMs) * 1000,
    sorted: latencies.sort((a, b) => a - b),
    writes: after.writes - before.writes,
    saves: after.saves - before.saves,
  };
}

async function main(): Promise<void> {
  const fsyncBefore = measureFdatasync(fsyncSamples, 'fsync-before');
  const runs: RunResult[] = [];
  for (const c of [1, 64]) runs.push(await runSavers(c, c === 1 ? Math.min(savesPerRun, 2000) : savesPerRun * 4));
  const fsyncAfter = measureFdatasync(fsyncSamples, 'fsync-after');
  const fsyncAll = [...fsyncBefore, ...fsyncAfter].sort((a, b) => a - b);
  const fsyncMedian = quantile(fsyncAll, 0.5);

  const lines: Record<string, unknown>[] = [
    {
      bench: 'log-store',
      metric: 'fdatasync_ms',
      value: round(fsyncMedian),
      unit: 'ms',
      p50Ms: round(fsyncMedian),
      p99Ms: round(quantile(fsyncAll, 0.99)),
      beforeP50Ms: round(quantile(fsyncBefore, 0.5)),
      afterP50Ms: round(quantile(fsyncAfter, 0.5)),
      samples: fsyncAll.length,
      writeBytes: 4096,
    },
  ];
  for (const r of runs) {
    const p50 = quantile(r.sorted, 0.5);
    lines.push({
      bench: 'log-store',
      metric: 'saves_per_s',
      value: Math.round(r.savesPerS),
      unit: '1/s',
      concurrency: r.concurrency,
      p50Ms: round(p50),
      p99Ms: round(quantile(r.sorted, 0.99)),
      saves: r.saves,
      levelWrites: r.writes,
      savesPerWrite: round(r.saves / r.writes, 2),
      entryBytes: ENTRY_BYTES,
      baseline: 'fdatasync_p50',
      baselineValue: round(fsyncMedian),
      ratio: round(p50 / fsyncMedian, 2),
    });
  }
  for (const line of lines) console.log(JSON.stringify(line));

  console.log('');
  console.log('figure                 value        p50 ms   p99 ms   saves/write  p50/fdatasync');
  for (const l of lines) {
    const name = l.metric === 'saves_per_s' ? `saves/s @${String(l.concurrency)}` : 'fdatasync 4 KiB';
    console.log(
      `${name.padEnd(22)} ${String(l.value).padStart(8)}   ${String(l.p50Ms).padStart(7)}  ${String(l.p99Ms).padStart(7)}` +
        `   ${String(l.savesPerWrite ?? '-').padStart(10)}  ${String(l.ratio ?? '-').padStart(12)}`,
    );
  }
}

try {
  await main();
} finally {
  rmSync(baseDir, { recursive: true, force: true });
}
