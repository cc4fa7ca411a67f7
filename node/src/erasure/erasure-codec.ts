import { StrataError } from '../platform/errors.js';
import { RONOMON_CODEC_ID, RonomonErasureCodec, resolveRonomonCodecOptions } from './ronomon-codec.js';

/**
 * Reed-Solomon erasure coding of one stripe: k data shards and m parity shards of equal size. Any k of
 * the k+m shards rebuild the others. The work runs on libuv's thread pool, hence the Promises.
 */
export interface ErasureCodec {
  /** Recorded in layouts (e.g. 'rs-ronomon-v1'): parity bytes differ between libraries and versions. */
  readonly id: string;
  readonly dataShards: number;
  readonly parityShards: number;
  /**
   * `shards` has length k+m, all of the same length, a multiple of 8 (at least 8); fills the last m from
   * the first k. Data shards that are subarrays of one contiguous buffer (as splitStripe makes them) are
   * passed to the native code without a copy; so are contiguous parity shards (allocateShards).
   */
  encode(shards: Uint8Array[]): Promise<void>;
  /**
   * Rebuilds the missing (undefined) shards from any k present ones and returns all k+m; present shards
   * are returned as given and never written. Rejects with StrataError('Corruption') when fewer than k
   * are present or the present ones disagree in size.
   */
  reconstruct(shards: (Uint8Array | undefined)[]): Promise<Uint8Array[]>;
}

export interface ErasureCodecOptions {
  dataShards: number;
  /** 0 is allowed (a single node): no parity, encode does nothing. */
  parityShards: number;
}

/** The codec new layouts are written with. */
export const DEFAULT_ERASURE_CODEC_ID = RONOMON_CODEC_ID;

/** Throws StrataError('InvalidArgument') for a scheme the codec cannot do (k 1..24, m 0..6). */
export function createErasureCodec(options: ErasureCodecOptions): ErasureCodec {
  return new RonomonErasureCodec(resolveRonomonCodecOptions(options));
}

/**
 * The codec a layout was written with, by its recorded id. Throws StrataError('Corruption') for an id
 * this build cannot decode (rather than decoding garbage with another library's matrix).
 */
export function erasureCodecForLayout(layout: { codecId: string } & ErasureCodecOptions): ErasureCodec {
  if (layout.codecId !== RONOMON_CODEC_ID) {
    throw new StrataError('Corruption', `unknown erasure codec '${layout.codecId}' in a layout (this build knows '${RONOMON_CODEC_ID}')`, {
      details: { codecId: layout.codecId },
    });
  }
  return createErasureCodec(layout);
}
