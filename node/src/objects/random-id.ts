import type { Random } from '../platform/random.js';

/** 128 random bits as 32 hex digits (object version ids, upload ids). From platform Random: seedable. */
export function randomHexId(random: Random): string {
  let out = '';
  for (let i = 0; i < 8; i++) out += random.int(0x10000).toString(16).padStart(4, '0');
  return out;
}
