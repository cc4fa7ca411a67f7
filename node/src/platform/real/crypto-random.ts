import { randomInt, randomUUID } from 'node:crypto';
import type { Random } from '../random.js';

/** Randomness from the OS, for production (timeouts, ids). */
export class CryptoRandom implements Random {
  next(): number {
    return randomInt(0, 2 ** 48 - 1) / 2 ** 48;
  }

  int(bound: number): number {
    return randomInt(0, bound);
  }

  between(min: number, max: number): number {
    return randomInt(min, max + 1);
  }
}

export function newUuid(): string {
  return randomUUID();
}
