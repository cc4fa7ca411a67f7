import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BodyMeter, gunzipRange, gzipBoundBytes, gzipPieces, worthCompressing } from './data-compression.js';

async function* pieces(data: Uint8Array, size = 1000): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.byteLength; i += size) yield data.subarray(i, i + size);
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const piece of body) out.push(piece);
  return Buffer.concat(out);
}

const text = Buffer.from('strata keeps your objects safe; '.repeat(5000));

describe('data compression', () => {
  it('gzipPieces and gunzipRange round-trip, whole and by range', async () => {
    const stored = await collect(gzipPieces(pieces(text)));
    expect(stored.byteLength).toBeLessThan(text.byteLength / 10);
    expect(stored.byteLength).toBeLessThanOrEqual(gzipBoundBytes(text.byteLength));
    expect((await collect(gunzipRange(pieces(stored), text.byteLength, 0, text.byteLength - 1))).equals(text)).toBe(true);
    for (const [start, end] of [[0, 0], [5, 99_999], [70_000, 70_010], [text.byteLength - 1, text.byteLength - 1]]) {
      expect((await collect(gunzipRange(pieces(stored), text.byteLength, start, end))).equals(text.subarray(start, end + 1))).toBe(true);
    }
  });

  it('reports a damaged or short stream as Corruption', async () => {
    const stored = gzipSync(text);
    const flipped = Buffer.from(stored);
    flipped[Math.floor(flipped.byteLength / 2)] ^= 0xff;
    await expect(collect(gunzipRange(pieces(flipped), text.byteLength, 0, text.byteLength - 1))).rejects.toMatchObject({ code: 'Corruption' });
    await expect(collect(gunzipRange(pieces(stored), text.byteLength + 1, 0, text.byteLength))).rejects.toMatchObject({ code: 'Corruption' });
  });

  it('a body error ends the compressed stream with that error', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield text.subarray(0, 1000);
      throw new Error('bad signature');
    }
    await expect(collect(gzipPieces(failing()))).rejects.toThrow(/bad signature/);
  });

  it('BodyMeter counts and hashes the plain bytes', async () => {
    const meter = new BodyMeter(pieces(text));
    expect(() => meter.digest()).toThrow();
    await collect(meter.pieces());
    expect(meter.sizeBytes).toBe(text.byteLength);
    expect(meter.digest().toString('hex')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('compresses what shrinks, not what does not', async () => {
    expect(await worthCompressing(text.subarray(0, 65536))).toBe(true);
    expect(await worthCompressing(randomBytes(65536))).toBe(false);
    expect(await worthCompressing(new Uint8Array(0))).toBe(false);
  });
});
