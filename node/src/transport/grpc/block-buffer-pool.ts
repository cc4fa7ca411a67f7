/**
 * Recycled buffers for the blocks a node sends over the cluster port. A block used to be allocated twice
 * on the sending node before grpc-js framed it (the file read or the caller's shard, then the message);
 * under load that churn of large ArrayBuffers is what drives V8's garbage collections (external memory
 * pressure). Here a block lives in a buffer with room for the message header (allocBlockBuffer): the
 * chunk service reads it there, an upload copies it there once; it is sent without another copy and
 * the buffer is reused once grpc-js has framed it (the write's callback). Blocks of every size share one
 * small free list; when it is full the smallest buffer is dropped.
 */
import type { BlockReadBuffers } from '../../ports/chunk-store.js';
import { allocBlockBuffer, BLOCK_MESSAGE_HEADROOM, isBlockBufferView } from './chunk-wire.js';

export interface BlockBufferPoolOptions {
  /** Free buffers kept at most (default 16). */
  maxFree?: number;
  /** Bytes of free buffers kept at most (default 8 MiB); a bigger buffer is never kept. */
  maxFreeBytes?: number;
}

export class BlockBufferPool implements BlockReadBuffers {
  readonly headroom = BLOCK_MESSAGE_HEADROOM;
  private readonly free: Buffer[] = [];
  /** Buffers out on loan, by their ArrayBuffer: only these are taken back, each once. */
  private readonly lent = new WeakSet<ArrayBufferLike>();
  private freeBytes = 0;
  private readonly maxFree: number;
  private readonly maxFreeBytes: number;

  constructor(options: BlockBufferPoolOptions = {}) {
    this.maxFree = options.maxFree ?? 16;
    this.maxFreeBytes = options.maxFreeBytes ?? 8 * 1024 * 1024;
  }

  /** Free buffers now (for tests and metrics). */
  get size(): number {
    return this.free.length;
  }

  take(bytes: number): Buffer {
    const needed = this.headroom + bytes;
    const i = this.free.findIndex((buf) => buf.byteLength >= needed);
    let buf: Buffer;
    if (i < 0) buf = allocBlockBuffer(bytes);
    else {
      [buf] = this.free.splice(i, 1);
      this.freeBytes -= buf.byteLength;
    }
    this.lent.add(buf.buffer);
    return buf;
  }

  /**
   * Gives back the buffer under `block` when it came from take() and is still out (a store may have read
   * into its own buffer; a second release is ignored); nothing may use the block after.
   */
  release(block: Uint8Array): void {
    if (!isBlockBufferView(block) || !this.lent.has(block.buffer)) return;
    this.lent.delete(block.buffer);
    if (block.buffer.byteLength > this.maxFreeBytes) return;
    const buf = Buffer.from(block.buffer, 0, block.buffer.byteLength);
    this.free.push(buf);
    this.freeBytes += buf.byteLength;
    while (this.free.length > this.maxFree || this.freeBytes > this.maxFreeBytes) {
      let smallest = 0;
      for (let j = 1; j < this.free.length; j++) if (this.free[j].byteLength < this.free[smallest].byteLength) smallest = j;
      this.freeBytes -= this.free.splice(smallest, 1)[0].byteLength;
    }
  }
}
