import { assert } from '../platform/assert.js';
import { allocateUninitialized, contiguousRegion, viewShards } from './shard-buffers.js';

/**
 * Stripes: an object is cut into stripes of up to `stripeDataBytes`; each stripe is split into k data
 * shards of one size (a multiple of 8, the codec's unit), zero-padded at the end.
 */

/** ceil(stripeDataBytes / dataShards), rounded up to a multiple of 8, at least 8. */
export function shardSizeBytes(stripeDataBytes: number, dataShards: number): number {
  assert(Number.isSafeInteger(stripeDataBytes) && stripeDataBytes >= 0, () => `bad stripe size ${stripeDataBytes}`);
  assert(Number.isSafeInteger(dataShards) && dataShards >= 1, () => `bad data shard count ${dataShards}`);
  const perShard = Math.ceil(stripeDataBytes / dataShards);
  return Math.max(8, Math.ceil(perShard / 8) * 8);
}

/**
 * The k data shards of one stripe, subarrays of one contiguous buffer (so the codec needs no copy).
 * When `data` is exactly k * shardSize bytes the shards are views of `data` itself (no copy: the caller
 * must not reuse that memory while the shards live); otherwise one copy into a zero-padded buffer.
 */
export function splitStripe(data: Uint8Array, dataShards: number, shardSize: number): Uint8Array[] {
  assert(Number.isSafeInteger(dataShards) && dataShards >= 1, () => `bad data shard count ${dataShards}`);
  assert(Number.isSafeInteger(shardSize) && shardSize >= 8 && shardSize % 8 === 0, () => `shard size must be a positive multiple of 8, got ${shardSize}`);
  const regionBytes = dataShards * shardSize;
  assert(data.byteLength <= regionBytes, () => `stripe of ${data.byteLength} bytes does not fit ${dataShards} shards of ${shardSize}`);
  if (data.byteLength === regionBytes) return viewShards(data, dataShards, shardSize);
  const region = allocateUninitialized(regionBytes);
  region.set(data);
  region.fill(0, data.byteLength);
  return viewShards(region, dataShards, shardSize);
}

/**
 * The first `dataBytes` of the stripe held by shards[0..k) (parity shards after them are ignored). A
 * view, not a copy, when those bytes lie in one shard or the data shards are contiguous.
 */
export function joinStripe(shards: Uint8Array[], dataShards: number, dataBytes: number): Uint8Array {
  assert(Number.isSafeInteger(dataShards) && dataShards >= 1 && shards.length >= dataShards, () => `need ${dataShards} data shards, got ${shards.length}`);
  const shardSize = shards[0].byteLength;
  for (let i = 0; i < dataShards; i++) {
    assert(shards[i].byteLength === shardSize, () => `data shards differ in size: ${shards[i].byteLength} != ${shardSize}`);
  }
  assert(Number.isSafeInteger(dataBytes) && dataBytes >= 0 && dataBytes <= dataShards * shardSize, () => `${dataBytes} bytes do not fit ${dataShards} shards of ${shardSize}`);
  if (dataBytes <= shardSize) return shards[0].subarray(0, dataBytes);
  const region = contiguousRegion(shards, 0, dataShards, shardSize);
  if (region !== undefined) return region.subarray(0, dataBytes);
  const out = allocateUninitialized(dataBytes);
  for (let i = 0, offset = 0; offset < dataBytes; i++, offset += shardSize) {
    out.set(shards[i].subarray(0, Math.min(shardSize, dataBytes - offset)), offset);
  }
  return out;
}

/**
 * Bytes [from, to) of the stripe held by the data shards shards[0..k), as views of the shards in order
 * (one per shard the range touches): no copy, unlike joinStripe when the shards are apart in memory.
 */
export function stripeDataViews(shards: Uint8Array[], dataShards: number, from: number, to: number): Uint8Array[] {
  assert(Number.isSafeInteger(dataShards) && dataShards >= 1 && shards.length >= dataShards, () => `need ${dataShards} data shards, got ${shards.length}`);
  const shardSize = shards[0].byteLength;
  assert(Number.isSafeInteger(from) && Number.isSafeInteger(to) && 0 <= from && from <= to && to <= dataShards * shardSize, () => `bad range [${from}, ${to}) of ${dataShards} shards of ${shardSize}`);
  const views: Uint8Array[] = [];
  if (from === to) return views;
  for (let i = Math.floor(from / shardSize); i < dataShards && i * shardSize < to; i++) {
    assert(shards[i].byteLength === shardSize, () => `data shards differ in size: ${shards[i].byteLength} != ${shardSize}`);
    const base = i * shardSize;
    views.push(shards[i].subarray(Math.max(from, base) - base, Math.min(to, base + shardSize) - base));
  }
  return views;
}
