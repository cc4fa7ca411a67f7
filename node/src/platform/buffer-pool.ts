/**
 * Recycled large buffers (decision 0023): under load, a fresh ArrayBuffer per block or stripe is what
 * drives V8's collections (external memory pressure). Lent buffers are tracked by their ArrayBuffer, so
 * only they come back, each once, through any view of them. Free buffers of every size share one list of
 * at most `maxFree` buffers and `maxFreeBytes`; beyond that the smallest is dropped, and a buffer bigger
 * than `maxFreeBytes` is never kept.
 */
export interface BufferPoolOptions {
  /** Free buffers kept at most (default 16). */
  maxFree?: number;
  /** Bytes of free buffers kept at most (default 8 MiB). */
  maxFreeBytes?: number;
}

export class BufferPool {
  private readonly free: Buffer[] = [];
  private readonly lent = new WeakSet<ArrayBufferLike>();
  private freeBytes = 0;
  private readonly maxFree: number;
  private readonly maxFreeBytes: number;

  /** `allocate(bytes)`: a new buffer of at least `bytes`, with an ArrayBuffer of its own. */
  constructor(
    private readonly allocate: (bytes: number) => Buffer,
    options: BufferPoolOptions = {},
  ) {
    this.maxFree = options.maxFree ?? 16;
    this.maxFreeBytes = options.maxFreeBytes ?? 8 * 1024 * 1024;
  }

  /** Free buffers now. */
  get size(): number {
    return this.free.length;
  }

  /** Free bytes now. */
  get heldBytes(): number {
    return this.freeBytes;
  }

  /** A whole buffer of at least `bytes`: the first free one that fits, else a new one. */
  take(bytes: number): Buffer {
    const i = this.free.findIndex((buf) => buf.byteLength >= bytes);
    let buf: Buffer;
    if (i < 0) buf = this.allocate(bytes);
    else {
      [buf] = this.free.splice(i, 1);
      this.freeBytes -= buf.byteLength;
    }
    this.lent.add(buf.buffer);
    return buf;
  }

  /** Gives back the buffer under `view` if it is out on loan from take(); nothing may use it after. */
  release(view: Uint8Array): void {
    const arrayBuffer = view.buffer;
    if (!this.lent.has(arrayBuffer)) return;
    this.lent.delete(arrayBuffer);
    if (arrayBuffer.byteLength > this.maxFreeBytes) return;
    this.free.push(Buffer.from(arrayBuffer, 0, arrayBuffer.byteLength));
    this.freeBytes += arrayBuffer.byteLength;
    while (this.free.length > this.maxFree || this.freeBytes > this.maxFreeBytes) {
      let smallest = 0;
      for (let j = 1; j < this.free.length; j++) if (this.free[j].byteLength < this.free[smallest].byteLength) smallest = j;
      this.freeBytes -= this.free.splice(smallest, 1)[0].byteLength;
    }
  }
}
