/**
 * A small pure hash for rendezvous (highest-random-weight) placement: FNV-1a over the seed and the
 * node id, finished with murmur3's fmix32 so that seeds differing in one character give unrelated
 * rankings. Stable forever: placements recorded in layouts do not depend on it, but tests and
 * operators comparing runs do.
 */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnvByte(state: number, byte: number): number {
  return Math.imul(state ^ byte, FNV_PRIME) >>> 0;
}

function fnvWord(state: number, word: number): number {
  let h = state;
  for (let shift = 0; shift < 32; shift += 8) h = fnvByte(h, (word >>> shift) & 0xff);
  return h;
}

/** murmur3's 32-bit finaliser: every input bit flips each output bit with probability ~1/2. */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a state after the seed's UTF-16 code units (both bytes of each); hash it once per placement. */
export function hashSeed(seed: string): number {
  let h = FNV_OFFSET_BASIS;
  for (let i = 0; i < seed.length; i++) {
    const unit = seed.charCodeAt(i);
    h = fnvByte(fnvByte(h, unit & 0xff), unit >>> 8);
  }
  return h;
}

/** A uniform number in (0, 1) for (seed, node): the node's draw in the seed's lottery. */
export function rendezvousDraw(seedHash: number, nodeId: number): number {
  const low = nodeId >>> 0;
  const high = Math.floor(nodeId / 2 ** 32) >>> 0;
  const h = fmix32(fnvWord(fnvWord(seedHash, low), high));
  return (h + 0.5) / 2 ** 32;
}
