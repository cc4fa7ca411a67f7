/**
 * Recycled buffers for the blocks a node sends over the cluster port (decision 0023). A block used to be
 * allocated twice on the sending node before grpc-js framed it (the file read or the caller's shard, then
 * the message). Here a block lives in a buffer with room for the message header (allocBlockBuffer): the
 * chunk service reads it there, an upload copies it there once; it is sent without another copy and the
 * buffer is reused once grpc-js has framed it (the write's callback).
 */
import { BufferPool, type BufferPoolOptions } from '../../platform/buffer-pool.js';
import type { BlockReadBuffers } from '../../ports/chunk-store.js';
import { allocBlockBuffer, BLOCK_MESSAGE_HEADROOM, isBlockBufferView } from './chunk-wire.js';

export class BlockBufferPool implements BlockReadBuffers {
  readonly headroom = BLOCK_MESSAGE_HEADROOM;
  private readonly pool: BufferPool;

  constructor(options: BufferPoolOptions = {}) {
    this.pool = new BufferPool((bytes) => allocBlockBuffer(bytes - BLOCK_MESSAGE_HEADROOM), options);
  }

  /** Free buffers now (for tests and metrics). */
  get size(): number {
    return this.pool.size;
  }

  take(bytes: number): Buffer {
    return this.pool.take(this.headroom + bytes);
  }

  /**
   * Gives back the buffer under `block` when `block` is its data view and it is out on loan (a store may
   * have read into its own buffer; a second release is ignored); nothing may use the block after.
   */
  release(block: Uint8Array): void {
    if (isBlockBufferView(block)) this.pool.release(block);
  }
}
