/**
 * Recycled stripe and parity buffers for erasure-coded writes (decision 0023). A PUT allocated a fresh
 * stripe (1 MiB by default) and a fresh parity region for every stripe. A buffer comes back once every
 * chunk writer has resolved its append (ChunkWriter.append: the writer no longer needs the block then); a
 * write that fails keeps its buffers out of the pool, since a timed-out append may still be using them.
 */
import { BufferPool } from '../platform/buffer-pool.js';

export class StripeBufferPool {
  private readonly pool: BufferPool;

  constructor(maxFreeBytes = 8 * 1024 * 1024) {
    this.pool = new BufferPool((bytes) => Buffer.allocUnsafeSlow(bytes), { maxFreeBytes });
  }

  /** Free bytes held now (for tests). */
  get heldBytes(): number {
    return this.pool.heldBytes;
  }

  /** `bytes` of uninitialised memory, at the start of a buffer of its own. */
  take(bytes: number): Uint8Array {
    return this.pool.take(bytes).subarray(0, bytes);
  }

  /** Gives back the buffer under `view` (one from take(), or a view of it); anything else is ignored. */
  release(view: Uint8Array): void {
    this.pool.release(view);
  }
}
