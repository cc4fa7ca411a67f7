/**
 * [storage] direct_io: reads of committed chunk files with O_DIRECT, bypassing the page cache (the
 * [data] cache_size read cache holds hot stripes instead, so the OS does not cache them a second time).
 *
 * O_DIRECT needs the buffer address, the file offset and the length aligned to the device's logical
 * block size. Node offers no aligned allocation, but a WebAssembly.Memory is page-aligned (V8 maps it
 * whole), so views at multiples of 4096 into one are aligned. The chunk file format is not aligned (48-byte
 * header, slots of block + CRC), so a read fetches the aligned span around the wanted bytes and copies
 * them out. Writes stay buffered (see docs/decisions/0012-configuration-effects.md).
 */
import type { FileHandle } from 'node:fs/promises';

/** Alignment of buffers, offsets and lengths: covers logical block sizes up to 4 KiB. */
export const DIRECT_ALIGN_BYTES = 4096;
const WASM_PAGE_BYTES = 65536;

export interface AlignedBufferPoolOptions {
  /** Bytes of each pooled buffer (a multiple of DIRECT_ALIGN_BYTES). */
  slotBytes: number;
  /** Buffers held (one WebAssembly.Memory of slots x slotBytes); more concurrent reads get a one-off memory. */
  slots: number;
}

/** Page-aligned scratch buffers for O_DIRECT reads, reused so a read costs no mapping. */
export class AlignedBufferPool {
  private readonly free: Buffer[] = [];
  readonly slotBytes: number;

  constructor(options: AlignedBufferPoolOptions) {
    this.slotBytes = roundUp(options.slotBytes, DIRECT_ALIGN_BYTES);
    const memory = alignedMemory(this.slotBytes * options.slots);
    for (let i = 0; i < options.slots; i++) this.free.push(Buffer.from(memory, i * this.slotBytes, this.slotBytes));
  }

  /** A buffer of at least `bytes`, aligned; give it back with release() once its bytes were copied out. */
  acquire(bytes: number): { buf: Buffer; release(): void } {
    if (bytes <= this.slotBytes) {
      const pooled = this.free.pop();
      if (pooled !== undefined) return { buf: pooled, release: () => void this.free.push(pooled) };
    }
    const size = roundUp(bytes, DIRECT_ALIGN_BYTES);
    return { buf: Buffer.from(alignedMemory(size), 0, size), release: () => {} };
  }
}

function alignedMemory(bytes: number): ArrayBuffer {
  return new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / WASM_PAGE_BYTES)) }).buffer;
}

function roundUp(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}

/**
 * Bytes [position, position + length) of a file opened with O_DIRECT, in a fresh buffer (shorter at
 * the end of the file). One aligned read per scratch buffer; a short read is the end of the file.
 */
export async function readDirect(handle: FileHandle, pool: AlignedBufferPool, position: number, length: number): Promise<Buffer> {
  const alignedStart = Math.floor(position / DIRECT_ALIGN_BYTES) * DIRECT_ALIGN_BYTES;
  const alignedEnd = roundUp(position + length, DIRECT_ALIGN_BYTES);
  const scratch = pool.acquire(alignedEnd - alignedStart);
  try {
    const span = scratch.buf.subarray(0, alignedEnd - alignedStart);
    let got = 0;
    while (got < span.byteLength) {
      const { bytesRead } = await handle.read(span, got, span.byteLength - got, alignedStart + got);
      got += bytesRead;
      // Short of an aligned boundary means the end of the file; the next offset would not be aligned.
      if (bytesRead === 0 || got % DIRECT_ALIGN_BYTES !== 0) break;
    }
    const from = position - alignedStart;
    const to = Math.min(got, from + length);
    return Buffer.from(span.subarray(from, Math.max(from, to)));
  } finally {
    scratch.release();
  }
}
