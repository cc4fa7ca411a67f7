/**
 * Measures what one durable log append costs on this disk: write 4 KiB at the end of a file, then
 * fdatasync, N times. This is the floor under any fsync-on consensus commit (a leader must make its own
 * entry durable), so the Raft benchmark reports commit latency as a multiple of it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { summarizeLatencies, type LatencySummary } from '../load/latency-summary.js';

export interface FdatasyncProbeOptions {
  /** Folder on the disk under test; a scratch file is created and removed inside it. */
  dir: string;
  iterations?: number;
  blockSizeBytes?: number;
}

export interface FdatasyncProbeResult extends LatencySummary {
  iterations: number;
  blockSizeBytes: number;
  /** Appends per second one synchronous writer achieves (1000 / mean). */
  syncsPerSecond: number;
  /** Every sample, in order, so several probes across a run can be pooled. */
  samplesMs: number[];
}

export function resolveFdatasyncProbeOptions(options: FdatasyncProbeOptions): Required<FdatasyncProbeOptions> {
  return { iterations: 200, blockSizeBytes: 4096, ...options };
}

export function probeFdatasync(options: FdatasyncProbeOptions): FdatasyncProbeResult {
  const opts = resolveFdatasyncProbeOptions(options);
  fs.mkdirSync(opts.dir, { recursive: true });
  const file = path.join(opts.dir, `fdatasync-probe-${process.pid}.bin`);
  const block = Buffer.alloc(opts.blockSizeBytes, 0xa5);
  const samplesMs: number[] = [];
  const fd = fs.openSync(file, 'w');
  try {
    // Synchronous calls on purpose: nothing else runs in this process while probing, and the async
    // variants would add thread-pool hand-off time that the disk did not spend.
    for (let i = 0; i < opts.iterations; i++) {
      const t0 = performance.now();
      fs.writeSync(fd, block, 0, block.length, i * block.length);
      fs.fdatasyncSync(fd);
      samplesMs.push(performance.now() - t0);
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
  const summary = summarizeLatencies(samplesMs);
  return {
    ...summary,
    iterations: opts.iterations,
    blockSizeBytes: opts.blockSizeBytes,
    syncsPerSecond: 1000 / summary.meanMs,
    samplesMs,
  };
}
