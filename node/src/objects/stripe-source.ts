import { createHash, type Hash } from 'node:crypto';
import { allocateUninitialized } from '../erasure/shard-buffers.js';
import type { StripeBufferPool } from './stripe-buffer-pool.js';

/**
 * Cuts a request body into stripes of `stripeDataBytes` (the last one shorter), hashing MD5 as the bytes
 * pass. Each stripe is a buffer of its own, from `buffers` when given (the consumer gives it back once
 * written). It is not zeroed (a 1 MiB memset per stripe): only its first `filled` bytes are ever handed on.
 */
export class StripeSource {
  private readonly md5: Hash = createHash('md5');
  private byteCount = 0;
  private finished = false;
  private digestValue: Buffer | undefined;

  constructor(
    private readonly body: AsyncIterable<Uint8Array>,
    private readonly stripeDataBytes: number,
    /** false when the bytes are a compressed stream whose MD5 nobody needs (BodyMeter hashes the plain ones). */
    private readonly hash = true,
    private readonly buffers?: StripeBufferPool,
  ) {}

  private newStripe(): Uint8Array {
    return this.buffers?.take(this.stripeDataBytes) ?? allocateUninitialized(this.stripeDataBytes);
  }

  /** Object bytes seen so far. */
  get sizeBytes(): number {
    return this.byteCount;
  }

  /** The MD5 of the whole body; only once every stripe was taken. */
  digest(): Buffer {
    if (!this.finished) throw new Error('StripeSource.digest() before the body was read to its end');
    this.digestValue ??= this.md5.digest();
    return this.digestValue;
  }

  async *stripes(): AsyncGenerator<Uint8Array> {
    // Taken when the first byte for it arrives: a body that ends on a stripe boundary takes no extra one.
    let stripe: Uint8Array | undefined;
    let filled = 0;
    for await (const piece of this.body) {
      if (this.hash) this.md5.update(piece);
      this.byteCount += piece.byteLength;
      let offset = 0;
      while (offset < piece.byteLength) {
        stripe ??= this.newStripe();
        const take = Math.min(piece.byteLength - offset, this.stripeDataBytes - filled);
        stripe.set(piece.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === this.stripeDataBytes) {
          yield stripe;
          stripe = undefined;
          filled = 0;
        }
      }
    }
    this.finished = true;
    if (stripe !== undefined && filled > 0) yield stripe.subarray(0, filled);
  }
}
