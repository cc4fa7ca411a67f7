/**
 * Recycled stripe and parity buffers for erasure-coded writes (decision 0023). A PUT allocated a fresh
 * stripe (1 MiB by default) and a fresh parity region for every stripe, and under load that churn of
 * large ArrayBuffers is what drives V8's collections. A buffer comes back once every chunk writer has
 * resolved its append (ChunkWriter.append: the writer no longer needs the block then); a write that
 * fails keeps its buffers out of the pool, since a timed-out append may still be using them.
 */
import { allocateUninitialized } from '../erasure/shard-buffers.js';

export class StripeBufferPool {
  /** Buffers out on loan, by their ArrayBuffer: only these are taken back, each once. */
  private readonly lent = new WeakSet<ArrayBufferLike>();
  /** Free buffers by size (stripes and parity regions come in a few sizes). */
  private readonly free = new Map<number, Uint8Array[]>();
  private freeBytes = 0;

  constructor(private readonly maxFreeBytes = 8 * 1024 * 1024) {}

  /** Free bytes held now (for tests). */
  get heldBytes(): number {
    return this.freeBytes;
  }

  /** `bytes` of uninitialised memory, a buffer of its own (offset 0). */
  take(bytes: number): Uint8Array {
    let buf = this.free.get(bytes)?.pop();
    if (buf !== undefined) this.freeBytes -= bytes;
    else buf = allocateUninitialized(bytes);
    this.lent.add(buf.buffer);
    return buf;
  }

  /** Gives back the buffer under `view` (one from take(), or a view of it); anything else is ignored. */
  release(view: Uint8Array): void {
    const arrayBuffer = view.buffer;
    if (!this.lent.has(arrayBuffer)) return;
    this.lent.delete(arrayBuffer);
    const bytes = arrayBuffer.byteLength;
    if (this.freeBytes + bytes > this.maxFreeBytes) return;
    let list = this.free.get(bytes);
    if (list === undefined) this.free.set(bytes, (list = []));
    list.push(new Uint8Array(arrayBuffer, 0, bytes));
    this.freeBytes += bytes;
  }
}
