import { describe, expect, it } from 'vitest';
import { StripeBufferPool } from './stripe-buffer-pool.js';
import { StripeSource } from './stripe-source.js';

async function* pieces(sizes: number[]): AsyncGenerator<Uint8Array> {
  let n = 0;
  for (const size of sizes) yield Uint8Array.from({ length: size }, () => n++ & 0xff);
}

describe('StripeBufferPool', () => {
  it('hands a released buffer of the same size out again, and a fresh one otherwise', () => {
    const pool = new StripeBufferPool();
    const a = pool.take(4096);
    expect(a.byteOffset).toBe(0);
    expect(a.buffer.byteLength).toBe(4096);
    pool.release(a.subarray(100, 200));
    expect(pool.heldBytes).toBe(4096);
    expect(pool.take(4096).buffer).toBe(a.buffer);
    expect(pool.heldBytes).toBe(0);
    expect(pool.take(4096).buffer).not.toBe(a.buffer);
    expect(pool.take(2048).byteLength).toBe(2048);
  });

  it('takes back only buffers it lent, each once, up to its byte cap', () => {
    const pool = new StripeBufferPool(10_000);
    pool.release(new Uint8Array(4096));
    expect(pool.heldBytes).toBe(0);
    const a = pool.take(4096);
    pool.release(a);
    pool.release(a);
    expect(pool.heldBytes).toBe(4096);
    const [b, c, d] = [pool.take(4096), pool.take(4096), pool.take(4096)];
    expect(b.buffer).toBe(a.buffer);
    for (const buf of [b, c, d]) pool.release(buf);
    expect(pool.heldBytes).toBe(8192);
  });
});

describe('StripeSource with a pool', () => {
  it('cuts stripes from pooled buffers, taking none past a body that ends on a stripe boundary', async () => {
    const pool = new StripeBufferPool();
    const source = new StripeSource(pieces([1000, 3000, 96]), 1024, true, pool);
    const stripes: Uint8Array[] = [];
    for await (const stripe of source.stripes()) stripes.push(Uint8Array.from(stripe));
    expect(stripes.map((s) => s.byteLength)).toEqual([1024, 1024, 1024, 1024]);
    expect(stripes.flatMap((s) => [...s])).toEqual(Array.from({ length: 4096 }, (_, i) => i & 0xff));
    expect(source.sizeBytes).toBe(4096);

    const reused = new StripeSource(pieces([1500]), 1024, true, pool);
    const got: Uint8Array[] = [];
    for await (const stripe of reused.stripes()) {
      got.push(stripe);
      pool.release(stripe);
    }
    expect(got.map((s) => s.byteLength)).toEqual([1024, 476]);
    expect(got[1].buffer).toBe(got[0].buffer);
  });
});
