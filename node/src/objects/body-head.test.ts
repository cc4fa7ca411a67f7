import { describe, expect, it } from 'vitest';
import { readBodyHead } from './body-head.js';

async function* pieces(...sizes: number[]): AsyncGenerator<Uint8Array> {
  let n = 0;
  for (const size of sizes) yield new Uint8Array(size).fill(++n);
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const piece of body) out.push(piece);
  return Buffer.concat(out);
}

describe('readBodyHead', () => {
  it('reads a body that ends within the limit completely', async () => {
    const head = await readBodyHead(pieces(3, 4), 10);
    expect(head).toMatchObject({ bytes: 7, ended: true });
    expect(Buffer.concat(head.pieces)).toEqual(Buffer.from([1, 1, 1, 2, 2, 2, 2]));
  });

  it('a body of exactly the limit is inline; one byte more is not', async () => {
    expect((await readBodyHead(pieces(5, 5), 10)).ended).toBe(true);
    const over = await readBodyHead(pieces(5, 6, 2), 10);
    expect(over).toMatchObject({ bytes: 11, ended: false });
  });

  it('replays the whole body, head first, when it is too big', async () => {
    const head = await readBodyHead(pieces(4, 4, 4, 4), 5);
    expect(head.bytes).toBe(8);
    expect(await collect(head.replay())).toEqual(Buffer.from([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4]));
  });

  it('keeps its own copy of pieces whose producer reuses a buffer', async () => {
    const shared = new Uint8Array(2);
    async function* reusing(): AsyncGenerator<Uint8Array> {
      for (const v of [7, 8, 9]) yield shared.fill(v);
    }
    const head = await readBodyHead(reusing(), 100);
    expect(Buffer.concat(head.pieces)).toEqual(Buffer.from([7, 7, 8, 8, 9, 9]));
  });

  it('passes a body error on', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(1);
      throw new Error('checksum mismatch');
    }
    await expect(readBodyHead(failing(), 100)).rejects.toThrow('checksum mismatch');
  });
});
