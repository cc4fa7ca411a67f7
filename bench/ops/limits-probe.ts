/**
 * The machine's limits a data mover works against, measured in the benchmark's run: the disk's sequential
 * write rate with fsync (1 MiB blocks, fdatasync every N MiB and at the end) and its read rate, on the
 * file system of the data dirs, and loopback TCP between two processes (loopback-peer.ts at each end).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ManagedProcess } from '../support/managed-process.js';
import { waitUntil } from '../support/wait-until.js';
import { MiB, rateMiBPerSec } from './ops-figures.js';

export interface DiskProbeOptions {
  dir: string;
  totalMiB?: number;
  fsyncEveryMiB?: number;
}

export function resolveDiskProbeOptions(options: DiskProbeOptions): Required<DiskProbeOptions> {
  return { totalMiB: 512, fsyncEveryMiB: 16, ...options };
}

/** Writes the probe file (kept for the read probe; the caller removes it) and returns MiB/s. */
export function probeDiskWrite(options: DiskProbeOptions): { mibPerSec: number; file: string } {
  const o = resolveDiskProbeOptions(options);
  fs.mkdirSync(o.dir, { recursive: true });
  const file = path.join(o.dir, `disk-probe-${process.pid}.bin`);
  // Random bytes: a file system or device that compresses must not flatter the figure.
  const block = Buffer.allocUnsafe(MiB);
  for (let i = 0; i < MiB; i += 4) block.writeUInt32LE((Math.random() * 0x1_0000_0000) >>> 0, i);
  const fd = fs.openSync(file, 'w');
  const t0 = performance.now();
  try {
    for (let i = 0; i < o.totalMiB; i++) {
      block.writeUInt32LE(i, 0);
      fs.writeSync(fd, block, 0, MiB, i * MiB);
      if ((i + 1) % o.fsyncEveryMiB === 0) fs.fdatasyncSync(fd);
    }
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return { mibPerSec: rateMiBPerSec(o.totalMiB * MiB, performance.now() - t0), file };
}

/**
 * Reads the file back with O_DIRECT through dd (the device, not the page cache that just cached it);
 * where O_DIRECT is refused, a plain read, reported as 'cached'.
 */
export function probeDiskRead(file: string): { mibPerSec: number; mode: 'direct' | 'cached' } {
  const bytes = fs.statSync(file).size;
  const t0 = performance.now();
  const dd = spawnSync('dd', [`if=${file}`, 'of=/dev/null', 'bs=1M', 'iflag=direct'], { encoding: 'utf8' });
  if (dd.status === 0) return { mibPerSec: rateMiBPerSec(bytes, performance.now() - t0), mode: 'direct' };
  const buf = Buffer.allocUnsafe(MiB);
  const fd = fs.openSync(file, 'r');
  const t1 = performance.now();
  try {
    while (fs.readSync(fd, buf, 0, MiB, null) > 0) { /* draining */ }
  } finally {
    fs.closeSync(fd);
  }
  return { mibPerSec: rateMiBPerSec(bytes, performance.now() - t1), mode: 'cached' };
}

export interface LoopbackProbeOptions {
  repoRoot: string;
  dir: string;
  receiverHost: string;
  port: number;
  seconds?: number;
}

/** A sender process streams 1 MiB writes to a receiver process for `seconds`; MiB/s as the receiver saw it. */
export async function probeLoopback(options: LoopbackProbeOptions): Promise<{ mibPerSec: number; seconds: number }> {
  const seconds = options.seconds ?? 3;
  fs.mkdirSync(options.dir, { recursive: true });
  const result = path.join(options.dir, `loopback-${process.pid}.json`);
  fs.rmSync(result, { force: true });
  const peer = path.join(options.repoRoot, 'bench/ops/loopback-peer.ts');
  const common = ['--host', options.receiverHost, '--port', String(options.port)];
  const receiver = new ManagedProcess({
    name: 'loopback-receiver', command: process.execPath, cwd: options.repoRoot, logFile: path.join(options.dir, 'loopback-receiver.log'),
    args: ['--import', 'tsx', peer, 'receive', ...common, '--result', result],
  });
  const sender = new ManagedProcess({
    name: 'loopback-sender', command: process.execPath, cwd: options.repoRoot, logFile: path.join(options.dir, 'loopback-sender.log'),
    args: ['--import', 'tsx', peer, 'send', ...common, '--seconds', String(seconds)],
  });
  try {
    await waitUntil(async () => (fs.existsSync(result) && !receiver.running ? true : undefined), {
      what: 'the loopback probe to finish', timeoutMs: (seconds + 30) * 1000, intervalMs: 100,
    });
    const r = JSON.parse(fs.readFileSync(result, 'utf8')) as { bytes: number; ms: number };
    return { mibPerSec: rateMiBPerSec(r.bytes, r.ms), seconds: r.ms / 1000 };
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)} (${receiver.describeDeath()}; ${sender.describeDeath()})`);
  } finally {
    await Promise.all([sender.stop(), receiver.stop()]);
    fs.rmSync(result, { force: true });
  }
}
