import { createRequire } from 'node:module';

/**
 * The typed face of @ronomon/reed-solomon 6 (a CommonJS native addon without type declarations).
 * Catches: shards are multiples of 8 bytes; the k data shards lie contiguous in `buffer`, the m parity
 * shards contiguous in `parity`; m >= 1; an empty Buffer aborts the process (callers never pass one).
 * The work runs on libuv's thread pool and ends in `callback`.
 */
export interface ReedSolomonNative {
  readonly MAX_K: number;
  readonly MAX_M: number;
  /** An encoding context for k data and m parity shards; reusable, also concurrently. */
  create(dataShards: number, parityShards: number): Uint8Array;
  /**
   * Computes the shards flagged in `targets` (bit i = shard i; data 0..k-1, parity k..k+m-1) from those
   * flagged in `sources` (at least k of them, at most m targets).
   */
  encode(
    context: Uint8Array,
    sources: number,
    targets: number,
    buffer: Uint8Array,
    bufferOffset: number,
    bufferSize: number,
    parity: Uint8Array,
    parityOffset: number,
    paritySize: number,
    callback: (error?: Error | null) => void,
  ): void;
}

let loaded: ReedSolomonNative | undefined;

export function loadReedSolomon(): ReedSolomonNative {
  // ESM cannot import a .node file: go through require.
  loaded ??= createRequire(import.meta.url)('@ronomon/reed-solomon') as ReedSolomonNative;
  return loaded;
}
