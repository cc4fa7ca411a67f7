/**
 * Shard memory helpers. The native codec wants the k data shards in one contiguous buffer and the m
 * parity shards in another, so shards are made as subarrays of one allocation, and inputs that already
 * are laid out that way are recognised and passed through without a copy.
 */

/** Uninitialised memory outside Node's small-buffer pool (callers overwrite or zero every byte). */
export function allocateUninitialized(sizeBytes: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(sizeBytes);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, sizeBytes);
}

/** `shardCount` zero-filled shards of `shardSize` bytes, subarrays of one contiguous buffer. */
export function allocateShards(shardCount: number, shardSize: number): Uint8Array[] {
  return viewShards(new Uint8Array(shardCount * shardSize), shardCount, shardSize);
}

/** Splits a region of `shardCount * shardSize` bytes into shard views (no copy). */
export function viewShards(region: Uint8Array, shardCount: number, shardSize: number): Uint8Array[] {
  const shards: Uint8Array[] = [];
  for (let i = 0; i < shardCount; i++) shards.push(region.subarray(i * shardSize, (i + 1) * shardSize));
  return shards;
}

/**
 * When shards[from..to) are all present, each `shardSize` long and lie back to back in one
 * ArrayBuffer, the view spanning them; otherwise undefined.
 */
export function contiguousRegion(
  shards: readonly (Uint8Array | undefined)[],
  from: number,
  to: number,
  shardSize: number,
): Uint8Array | undefined {
  const first = shards[from];
  if (first === undefined) return undefined;
  for (let i = from; i < to; i++) {
    const shard = shards[i];
    if (
      shard === undefined ||
      shard.byteLength !== shardSize ||
      shard.buffer !== first.buffer ||
      shard.byteOffset !== first.byteOffset + (i - from) * shardSize
    ) {
      return undefined;
    }
  }
  return new Uint8Array(first.buffer, first.byteOffset, (to - from) * shardSize);
}

/**
 * shards[from..to) as one contiguous region: the shards' own memory when they already are contiguous
 * (and none is missing), else a fresh buffer holding copies of the present ones (missing slots left
 * for the codec to fill). `copied` says which happened.
 */
export function gatherRegion(
  shards: readonly (Uint8Array | undefined)[],
  from: number,
  to: number,
  shardSize: number,
): { region: Uint8Array; copied: boolean } {
  const inPlace = contiguousRegion(shards, from, to, shardSize);
  if (inPlace !== undefined) return { region: inPlace, copied: false };
  const region = allocateUninitialized((to - from) * shardSize);
  for (let i = from; i < to; i++) {
    const shard = shards[i];
    if (shard !== undefined) region.set(shard, (i - from) * shardSize);
  }
  return { region, copied: true };
}
