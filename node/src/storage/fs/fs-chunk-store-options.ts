/**
 * Options of the chunk store on local disk ([storage] of strata.toml), with defaults.
 */
import { statfs } from 'node:fs/promises';
import type { Clock } from '../../platform/clock.js';
import { StrataError } from '../../platform/errors.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { noopMetrics, type MetricsSink } from '../../platform/metrics.js';
import { SystemClock } from '../../platform/real/system-clock.js';

/** Size and free space of the file system holding the chunks. */
export interface DiskSpace {
  totalBytes: number;
  /** Free to an unprivileged writer (statfs bavail). */
  freeBytes: number;
}

export interface FsChunkStoreOptions {
  /** Directory of the chunk files, e.g. <data-dir>/chunks (created when missing). */
  dir: string;
  /** [storage] sync_writes: fsync the file and its directory on commit. Default true. */
  syncWrites?: boolean;
  /**
   * [storage] direct_io: read committed chunks with O_DIRECT (page-aligned scratch buffers, aligned spans
   * copied out; see direct-read.ts), so the page cache does not hold chunk data. Writes stay buffered.
   * A file system that refuses O_DIRECT (tmpfs) is logged once at open and read buffered. Default false.
   */
  directIo?: boolean;
  /** Free space kept back from chunk writes. undefined or 0: 5% of the file system or 1 GiB, whichever is smaller. */
  reserveBytes?: number;
  logger?: Logger;
  /** Gauges strata_chunk_storage_bytes and strata_chunk_storage_available_bytes. */
  metrics?: MetricsSink;
  clock?: Clock;
  /** How free space is measured (tests inject a small disk). Default fs.statfs of `dir`. */
  diskSpace?: (dir: string) => Promise<DiskSpace>;
}

export interface ResolvedFsChunkStoreOptions {
  dir: string;
  syncWrites: boolean;
  directIo: boolean;
  /** undefined: computed at open from the file system size. */
  reserveBytes: number | undefined;
  logger: Logger;
  metrics: MetricsSink;
  clock: Clock;
  diskSpace: (dir: string) => Promise<DiskSpace>;
}

export const DEFAULT_RESERVE_FRACTION = 0.05;
export const DEFAULT_RESERVE_CAP_BYTES = 1024 * 1024 * 1024;

export async function statfsDiskSpace(dir: string): Promise<DiskSpace> {
  const s = await statfs(dir);
  return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
}

export function defaultReserveBytes(totalBytes: number): number {
  return Math.min(Math.floor(totalBytes * DEFAULT_RESERVE_FRACTION), DEFAULT_RESERVE_CAP_BYTES);
}

export function resolveFsChunkStoreOptions(options: FsChunkStoreOptions): ResolvedFsChunkStoreOptions {
  if (typeof options.dir !== 'string' || options.dir === '') throw new StrataError('InvalidConfig', 'chunk store: dir is required');
  const reserve = options.reserveBytes;
  if (reserve !== undefined && (!Number.isSafeInteger(reserve) || reserve < 0)) {
    throw new StrataError('InvalidConfig', `chunk store: reserveBytes must be a non-negative integer, got ${reserve}`);
  }
  return {
    dir: options.dir,
    syncWrites: options.syncWrites ?? true,
    directIo: options.directIo ?? false,
    reserveBytes: reserve === undefined || reserve === 0 ? undefined : reserve,
    logger: options.logger ?? silentLogger,
    metrics: options.metrics ?? noopMetrics,
    clock: options.clock ?? new SystemClock(),
    diskSpace: options.diskSpace ?? statfsDiskSpace,
  };
}
