/**
 * A tiny ordered key-value store on LevelDB for local node state (chunk indexes and the like). Keys are
 * bytes or strings (UTF-8) and sort bytewise; values are bytes. Writes go through chained batches (the
 * fast path of classic-level).
 */
import type { Level } from 'level';
import { openLevelDb } from './open-level-db.js';
import { StrataError } from '../../platform/errors.js';

export type KvKey = Uint8Array | string;

export type KvOp = { type: 'put'; key: KvKey; value: Uint8Array } | { type: 'del'; key: KvKey };

export interface KvRange {
  gt?: KvKey;
  gte?: KvKey;
  lt?: KvKey;
  lte?: KvKey;
  reverse?: boolean;
  limit?: number;
}

export interface LevelKvOptions {
  dir: string;
  /** When false, writes asked to sync do not fsync (the seed's `[storage] sync_writes`). */
  syncWrites?: boolean;
  cacheSizeBytes?: number;
}

export type ResolvedLevelKvOptions = Required<LevelKvOptions>;

export function resolveLevelKvOptions(options: LevelKvOptions): ResolvedLevelKvOptions {
  if (typeof options.dir !== 'string' || options.dir === '') {
    throw new StrataError('InvalidConfig', 'kv dir must be a non-empty path');
  }
  const cacheSizeBytes = options.cacheSizeBytes ?? 8 * 1024 * 1024;
  if (!Number.isSafeInteger(cacheSizeBytes) || cacheSizeBytes <= 0) {
    throw new StrataError('InvalidConfig', `kv cacheSizeBytes must be a positive integer, got ${cacheSizeBytes}`);
  }
  return { dir: options.dir, syncWrites: options.syncWrites ?? true, cacheSizeBytes };
}

function toKey(key: KvKey): Buffer {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
}

function toValue(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

const ITERATE_PAGE = 256;

export class LevelKv {
  private readonly options: ResolvedLevelKvOptions;
  private readonly db: Level<Buffer, Buffer>;

  private constructor(options: ResolvedLevelKvOptions, db: Level<Buffer, Buffer>) {
    this.options = options;
    this.db = db;
  }

  static async open(options: LevelKvOptions): Promise<LevelKv> {
    const resolved = resolveLevelKvOptions(options);
    const db = await openLevelDb(resolved.dir, resolved.cacheSizeBytes);
    return new LevelKv(resolved, db);
  }

  async get(key: KvKey): Promise<Uint8Array | undefined> {
    return (await this.db.get(toKey(key))) ?? undefined;
  }

  put(key: KvKey, value: Uint8Array, options: { sync?: boolean } = {}): Promise<void> {
    return this.batch([{ type: 'put', key, value }], options);
  }

  delete(key: KvKey, options: { sync?: boolean } = {}): Promise<void> {
    return this.batch([{ type: 'del', key }], options);
  }

  /** Applies every operation atomically, in order. */
  async batch(ops: KvOp[], options: { sync?: boolean } = {}): Promise<void> {
    const batch = this.db.batch();
    for (const op of ops) {
      if (op.type === 'put') batch.put(toKey(op.key), toValue(op.value));
      else batch.del(toKey(op.key));
    }
    await batch.write({ sync: (options.sync ?? false) && this.options.syncWrites });
  }

  /** Key/value pairs in key order (or reverse) within the range. */
  async *iterate(range: KvRange = {}): AsyncGenerator<[Uint8Array, Uint8Array]> {
    const opts: Record<string, unknown> = {};
    for (const bound of ['gt', 'gte', 'lt', 'lte'] as const) {
      const v = range[bound];
      if (v !== undefined) opts[bound] = toKey(v);
    }
    if (range.reverse) opts.reverse = true;
    if (range.limit !== undefined) opts.limit = range.limit;
    const it = this.db.iterator(opts);
    try {
      for (;;) {
        const page = await it.nextv(ITERATE_PAGE);
        if (page.length === 0) return;
        for (const [k, v] of page) yield [k, v];
      }
    } finally {
      await it.close();
    }
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
