import { assert } from '../platform/assert.js';
import { StrataError } from '../platform/errors.js';
import type { ErasureCodec, ErasureCodecOptions } from './erasure-codec.js';
import { loadReedSolomon, type ReedSolomonNative } from './ronomon-native.js';
import { allocateUninitialized, contiguousRegion, gatherRegion, viewShards } from './shard-buffers.js';

/** Never change what this id decodes: layouts written with it must stay readable. */
export const RONOMON_CODEC_ID = 'rs-ronomon-v1';

export interface RonomonCodecOptions {
  dataShards: number;
  parityShards: number;
}

/** Validates the scheme against the native library's limits (k <= 24, m <= 6). */
export function resolveRonomonCodecOptions(options: ErasureCodecOptions): RonomonCodecOptions {
  const native = loadReedSolomon();
  const { dataShards, parityShards } = options;
  if (!Number.isInteger(dataShards) || dataShards < 1 || dataShards > native.MAX_K) {
    throw new StrataError('InvalidArgument', `dataShards must be an integer in 1..${native.MAX_K}, got ${dataShards}`);
  }
  if (!Number.isInteger(parityShards) || parityShards < 0 || parityShards > native.MAX_M) {
    throw new StrataError('InvalidArgument', `parityShards must be an integer in 0..${native.MAX_M}, got ${parityShards}`);
  }
  return { dataShards, parityShards };
}

/** Bit i set for each i in `indexes` (k + m <= 30, so plain numbers do). */
function mask(indexes: readonly number[]): number {
  let bits = 0;
  for (const i of indexes) bits |= 1 << i;
  return bits;
}

/**
 * ErasureCodec over @ronomon/reed-solomon (Cauchy Reed-Solomon, native, on libuv's thread pool).
 * Its parity also depends on the shard size (the library's cache blocking), so a stripe must be
 * reconstructed with the shard size it was encoded with: whole shards, never a byte range of them.
 */
export class RonomonErasureCodec implements ErasureCodec {
  readonly id = RONOMON_CODEC_ID;
  readonly dataShards: number;
  readonly parityShards: number;
  private readonly native: ReedSolomonNative;
  /** Absent when parityShards = 0: the library refuses m = 0, and there is nothing to compute. */
  private readonly context: Uint8Array | undefined;

  constructor(options: RonomonCodecOptions) {
    this.dataShards = options.dataShards;
    this.parityShards = options.parityShards;
    this.native = loadReedSolomon();
    this.context = this.parityShards > 0 ? this.native.create(this.dataShards, this.parityShards) : undefined;
  }

  async encode(shards: Uint8Array[]): Promise<void> {
    const k = this.dataShards;
    const m = this.parityShards;
    assert(shards.length === k + m, () => `encode wants ${k + m} shards, got ${shards.length}`);
    const shardSize = shards[0].byteLength;
    assert(shardSize > 0 && shardSize % 8 === 0, () => `shard size must be a positive multiple of 8, got ${shardSize}`);
    for (const shard of shards) {
      assert(shard.byteLength === shardSize, () => `shards differ in size: ${shard.byteLength} != ${shardSize}`);
    }
    if (m === 0) return;

    const data = gatherRegion(shards, 0, k, shardSize).region;
    const parityInPlace = contiguousRegion(shards, k, k + m, shardSize);
    const parity = parityInPlace ?? allocateUninitialized(m * shardSize);
    await this.run(mask(range(0, k)), mask(range(k, k + m)), data, parity, shardSize);
    if (parityInPlace === undefined) {
      viewShards(parity, m, shardSize).forEach((computed, j) => shards[k + j].set(computed));
    }
  }

  async reconstruct(shards: (Uint8Array | undefined)[]): Promise<Uint8Array[]> {
    const k = this.dataShards;
    const m = this.parityShards;
    assert(shards.length === k + m, () => `reconstruct wants ${k + m} shard slots, got ${shards.length}`);
    const present = range(0, k + m).filter((i) => shards[i] !== undefined);
    const missing = range(0, k + m).filter((i) => shards[i] === undefined);
    if (present.length < k) {
      throw new StrataError('Corruption', `cannot rebuild the stripe: ${present.length} of ${k + m} shards present, ${k} needed`, {
        details: { present, missing, dataShards: k, parityShards: m },
      });
    }
    const shardSize = shards[present[0]]!.byteLength;
    const sizes = present.map((i) => shards[i]!.byteLength);
    if (shardSize === 0 || shardSize % 8 !== 0 || sizes.some((size) => size !== shardSize)) {
      throw new StrataError('Corruption', `shards of one stripe disagree in size or are not a multiple of 8: ${sizes.join(', ')}`, {
        details: { present, sizes },
      });
    }
    if (missing.length === 0) return shards.slice() as Uint8Array[];
    // Missing shards are written into fresh regions; a region with no missing shard is read in place.
    const data = gatherRegion(shards, 0, k, shardSize).region;
    const parity = gatherRegion(shards, k, k + m, shardSize).region;
    await this.run(mask(present), mask(missing), data, parity, shardSize);
    const dataViews = viewShards(data, k, shardSize);
    const parityViews = viewShards(parity, m, shardSize);
    return shards.map((shard, i) => shard ?? (i < k ? dataViews[i] : parityViews[i - k]));
  }

  private run(sources: number, targets: number, data: Uint8Array, parity: Uint8Array, shardSize: number): Promise<void> {
    const context = this.context;
    assert(context !== undefined, 'no native context without parity');
    // Both regions are at least 8 bytes here: the native code aborts the process on an empty Buffer.
    assert(shardSize >= 8 && data.byteLength === this.dataShards * shardSize && parity.byteLength === this.parityShards * shardSize, 'region sizes');
    return new Promise<void>((resolve, reject) => {
      this.native.encode(context, sources, targets, data, 0, data.byteLength, parity, 0, parity.byteLength, (error) => {
        if (error) reject(new StrataError('Internal', `reed-solomon failed: ${error.message}`, { cause: error }));
        else resolve();
      });
    });
  }
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}
