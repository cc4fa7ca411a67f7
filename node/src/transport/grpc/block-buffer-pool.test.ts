import { describe, expect, it } from 'vitest';
import { BlockBufferPool } from './block-buffer-pool.js';
import { BLOCK_MESSAGE_HEADROOM } from './chunk-wire.js';

/** The view a store yields from a taken buffer. */
const blockOf = (buf: Buffer, bytes: number): Buffer => buf.subarray(BLOCK_MESSAGE_HEADROOM, BLOCK_MESSAGE_HEADROOM + bytes);

describe('BlockBufferPool', () => {
  it('hands a released buffer out again for a block that fits, and a new one otherwise', () => {
    const pool = new BlockBufferPool();
    const first = pool.take(1000);
    expect(first.byteLength).toBe(BLOCK_MESSAGE_HEADROOM + 1000);
    pool.release(blockOf(first, 1000));
    expect(pool.size).toBe(1);
    const again = pool.take(600);
    expect(again.buffer).toBe(first.buffer);
    expect(pool.size).toBe(0);
    pool.release(blockOf(again, 600));
    const bigger = pool.take(1001);
    expect(bigger.buffer).not.toBe(first.buffer);
    expect(pool.size).toBe(1);
  });

  it('takes back only its own buffers, seen through the block view, each once', () => {
    const pool = new BlockBufferPool();
    pool.release(Buffer.alloc(5000).subarray(BLOCK_MESSAGE_HEADROOM));
    pool.release(Buffer.allocUnsafe(100));
    const own = pool.take(100);
    pool.release(own.subarray(BLOCK_MESSAGE_HEADROOM + 1, BLOCK_MESSAGE_HEADROOM + 50));
    expect(pool.size).toBe(0);
    pool.release(blockOf(own, 100));
    pool.release(blockOf(own, 100));
    expect(pool.size).toBe(1);
    const [first, second] = [pool.take(100), pool.take(100)];
    expect(first.buffer).toBe(own.buffer);
    expect(second.buffer).not.toBe(own.buffer);
  });

  it('keeps at most maxFree buffers and maxFreeBytes, dropping the smallest', () => {
    const pool = new BlockBufferPool({ maxFree: 2, maxFreeBytes: 10_000 });
    const sizes = [1000, 3000, 2000];
    const taken = sizes.map((n) => pool.take(n));
    taken.forEach((buf, i) => pool.release(blockOf(buf, sizes[i])));
    expect(pool.size).toBe(2);
    expect(pool.take(2500).buffer).toBe(taken[1].buffer);
    expect(pool.take(1500).buffer).toBe(taken[2].buffer);
    const huge = pool.take(20_000);
    pool.release(blockOf(huge, 20_000));
    expect(pool.size).toBe(0);
  });
});
