import { createErasureCodec, erasureCodecForLayout, type ErasureCodec } from '../erasure/erasure-codec.js';
import type { PlacementNode } from '../placement/placement.js';
import type { Clock } from '../platform/clock.js';
import { StrataError } from '../platform/errors.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { noopMetrics, type MetricsSink } from '../platform/metrics.js';
import type { Random } from '../platform/random.js';
import type { ChunkStoreDirectory } from '../ports/chunk-store.js';
import type { CompressionSetting } from './data-compression.js';
import type { MetadataAccess } from './metadata-access.js';

export interface ErasureScheme {
  dataShards: number;
  parityShards: number;
}

export interface ObjectServiceOptions {
  selfId: number;
  metadata: MetadataAccess;
  chunkStores: ChunkStoreDirectory;
  /** Who is active/online and how much room each has (the composition root wires membership + usage). */
  placementView: () => Promise<PlacementNode[]>;
  clock: Clock;
  /** Object version ids and upload ids. */
  random: Random;
  logger?: Logger;
  metrics?: MetricsSink;
  /** Object bytes per stripe (default 1 MiB). */
  stripeDataBytes?: number;
  /** Objects (and parts) at most this big go inline into the Raft metadata (default 16 KiB). */
  inlineThresholdBytes?: number;
  /** k+m for new objects; 'auto' = defaultErasureScheme(number of active members). */
  erasure?: ErasureScheme | 'auto';
  /** Longest a chunk create/append/commit may take before the write is aborted (default 30 s). */
  writeTimeoutMs?: number;
  /**
   * How long a write waits for enough reachable nodes (placement finds too few online, or a chosen node
   * refuses the connection) before it fails with a retryable Unavailable (default 10 s): a node restarting
   * in a rolling restart is back within that.
   */
  placementWaitMs?: number;
  /** Longest one block read may take before the read turns to parity (default 10 s). */
  readTimeoutMs?: number;
  /** Every multipart part but the last must be at least this big (S3: 5 MiB). */
  minPartSizeBytes?: number;
  /** [data] cache_size: bytes of decoded stripes kept in the read cache (default 0 = no cache). */
  cacheSizeBytes?: number;
  /** [data] compression of the erasure-coded data of new objects (default 'none'); inline objects are never compressed. */
  compression?: CompressionSetting;
  /**
   * [data] max_concurrent_transfers: erasure-coded object reads and writes this gateway runs at once
   * (default 8); more wait in line, up to transferWaitMs, then fail as Overloaded (S3 SlowDown).
   */
  maxConcurrentTransfers?: number;
  /** Longest a transfer waits for a slot (default 30 s). */
  transferWaitMs?: number;
  /** The codec new layouts are written with. */
  createCodec?: (scheme: ErasureScheme) => ErasureCodec;
  /** The codec a stored layout names (throws Corruption for an unknown id). */
  codecForLayout?: (layout: { codecId: string } & ErasureScheme) => ErasureCodec;
}

export type ResolvedObjectServiceOptions = Required<ObjectServiceOptions>;

export const MIB = 1024 * 1024;

export function resolveObjectServiceOptions(options: ObjectServiceOptions): ResolvedObjectServiceOptions {
  const resolved: ResolvedObjectServiceOptions = {
    logger: silentLogger,
    metrics: noopMetrics,
    stripeDataBytes: MIB,
    inlineThresholdBytes: 16 * 1024,
    erasure: 'auto',
    writeTimeoutMs: 30_000,
    placementWaitMs: 10_000,
    readTimeoutMs: 10_000,
    minPartSizeBytes: 5 * MIB,
    cacheSizeBytes: 0,
    compression: 'none',
    maxConcurrentTransfers: 8,
    transferWaitMs: 30_000,
    createCodec: createErasureCodec,
    codecForLayout: erasureCodecForLayout,
    ...stripUndefined(options),
  } as ResolvedObjectServiceOptions;
  const positive = (name: keyof ObjectServiceOptions, value: number, min: number): void => {
    if (!Number.isSafeInteger(value) || value < min) throw new StrataError('InvalidConfig', `object service option ${name} must be an integer >= ${min}, got ${value}`);
  };
  positive('stripeDataBytes', resolved.stripeDataBytes, 8);
  positive('inlineThresholdBytes', resolved.inlineThresholdBytes, 0);
  positive('writeTimeoutMs', resolved.writeTimeoutMs, 1);
  positive('readTimeoutMs', resolved.readTimeoutMs, 1);
  positive('placementWaitMs', resolved.placementWaitMs, 0);
  positive('minPartSizeBytes', resolved.minPartSizeBytes, 0);
  positive('cacheSizeBytes', resolved.cacheSizeBytes, 0);
  positive('maxConcurrentTransfers', resolved.maxConcurrentTransfers, 1);
  positive('transferWaitMs', resolved.transferWaitMs, 1);
  if (resolved.compression !== 'none' && resolved.compression !== 'gzip') {
    throw new StrataError('InvalidConfig', `object service option compression must be none or gzip, got ${String(resolved.compression)}`);
  }
  if (resolved.erasure !== 'auto') {
    positive('erasure', resolved.erasure.dataShards, 1);
    positive('erasure', resolved.erasure.parityShards, 0);
  }
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
