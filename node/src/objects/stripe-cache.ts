import type { Counter, Gauge, MetricsSink } from '../platform/metrics.js';
import { noopMetrics } from '../platform/metrics.js';
import { StrataError } from '../platform/errors.js';

export interface StripeCacheOptions {
  /** [data] cache_size: most bytes of stripe data held; 0 turns the cache off. */
  capacityBytes: number;
  /** strata_data_cache_hits_total, strata_data_cache_misses_total, strata_data_cache_bytes. */
  metrics?: MetricsSink;
}

export function resolveStripeCacheOptions(options: StripeCacheOptions): Required<StripeCacheOptions> {
  if (!Number.isSafeInteger(options.capacityBytes) || options.capacityBytes < 0) {
    throw new StrataError('InvalidConfig', `stripe cache: capacityBytes must be a non-negative integer, got ${options.capacityBytes}`);
  }
  return { capacityBytes: options.capacityBytes, metrics: options.metrics ?? noopMetrics };
}

interface Entry {
  shards: Uint8Array[];
  bytes: number;
}

/** An object (or part) bigger than this share of the cache is not cached (`admits`). */
const MAX_OBJECT_SHARE = 16;

/** At most this many notes of stripes read once, or one per 4 KiB of the cache if that is more. */
const MIN_NOTES = 1024;
const CACHE_BYTES_PER_NOTE = 4096;

/**
 * The read cache of [data] cache_size: an LRU of decoded stripes (their k data shards), keyed by the
 * object's first chunk id and the stripe index. Chunk ids are never reused and chunks never change once
 * committed, so an entry cannot go stale: no invalidation is needed (a deleted object's entries simply
 * age out). Entries are read-only: callers yield views of them and must not write into them.
 *
 * A stripe is kept on its second read, not its first (decision 0026): the first only notes its key.
 * Reads spread over more data than the cache holds then leave the cache alone instead of replacing an
 * entry per read, which cost GETs 7-15% in garbage collection and hit nothing.
 */
export class StripeCache {
  private readonly capacityBytes: number;
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  /** Stripes read once and not kept, oldest first, with their sizes; as many bytes as the cache holds. */
  private readonly readOnce = new Map<string, number>();
  private readOnceBytes = 0;
  /** Bounded by count too: the last stripes of objects can be a few bytes each. */
  private readonly maxNotes: number;
  private readonly hits: Counter;
  private readonly misses: Counter;
  private readonly size: Gauge;

  constructor(options: StripeCacheOptions) {
    const o = resolveStripeCacheOptions(options);
    this.capacityBytes = o.capacityBytes;
    this.maxNotes = Math.max(MIN_NOTES, Math.floor(o.capacityBytes / CACHE_BYTES_PER_NOTE));
    this.hits = o.metrics.counter('strata_data_cache_hits_total', 'Stripe reads served from the read cache ([data] cache_size).');
    this.misses = o.metrics.counter('strata_data_cache_misses_total', 'Stripe reads that went to the chunks (not in the read cache).');
    this.size = o.metrics.gauge('strata_data_cache_bytes', 'Bytes of stripe data held by the read cache.');
  }

  static key(firstChunkId: string, stripe: number): string {
    return `${firstChunkId}#${stripe}`;
  }

  get enabled(): boolean {
    return this.capacityBytes > 0;
  }

  /**
   * Whether the stripes of an object (or part) of `storedBytes` are cached: at most 1/16 of the cache.
   * A bigger one read through would push out the small hot objects the cache is for, and its own stripes
   * are rarely read again before they age out: 64 clients reading 16 MiB objects kept the default 64 MiB
   * cache full of stripes that were almost never hit, about 50 MB of each node's memory.
   */
  admits(storedBytes: number): boolean {
    return this.enabled && storedBytes <= this.capacityBytes / MAX_OBJECT_SHARE;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  get entryCount(): number {
    return this.entries.size;
  }

  /** The stripe's data shards, or undefined (a miss). A hit becomes the most recently used entry. */
  get(key: string): Uint8Array[] | undefined {
    if (!this.enabled) return undefined;
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.misses.inc();
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.hits.inc();
    return entry.shards;
  }

  /**
   * Offers a stripe just read from the chunks. On its first offer only its key is noted; on a second one
   * while that note lasts, it is kept, evicting the least recently used stripes to stay within capacity.
   * A shard that is a view of a much bigger buffer (a batched disk read of small blocks) is copied; one
   * that fills at least 8/9 of its buffer is kept and counted with the whole buffer. A stripe bigger than
   * the cache is not kept.
   */
  set(key: string, shards: readonly Uint8Array[]): void {
    if (!this.enabled) return;
    if (!this.entries.has(key) && !this.seenBefore(key, shards.reduce((sum, s) => sum + s.byteLength, 0))) return;
    // A view that fills most of its buffer (a block read into its own buffer, a gRPC message) is kept as
    // is and counted with its whole buffer; one of a much bigger buffer is copied, so a few small views
    // cannot pin big buffers. No 1 MiB copy per cached stripe in the common case.
    const owned = shards.map((s) => (s.buffer.byteLength - s.byteLength <= s.byteLength / 8 ? s : new Uint8Array(s)));
    const bytes = owned.reduce((sum, s) => sum + s.buffer.byteLength, 0);
    if (bytes > this.capacityBytes) return;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.bytes -= old.bytes;
    }
    this.entries.set(key, { shards: owned, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.capacityBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
    this.size.set(this.bytes);
  }

  /**
   * Whether the stripe was offered before, within the last `capacityBytes` of stripes offered once: the
   * reach an LRU of this size would give it. Notes it otherwise.
   */
  private seenBefore(key: string, bytes: number): boolean {
    const noted = this.readOnce.get(key);
    if (noted !== undefined) {
      this.readOnce.delete(key);
      this.readOnceBytes -= noted;
      return true;
    }
    this.readOnce.set(key, bytes);
    this.readOnceBytes += bytes;
    for (const [oldest, oldBytes] of this.readOnce) {
      if (this.readOnceBytes <= this.capacityBytes && this.readOnce.size <= this.maxNotes) break;
      this.readOnce.delete(oldest);
      this.readOnceBytes -= oldBytes;
    }
    return false;
  }
}
