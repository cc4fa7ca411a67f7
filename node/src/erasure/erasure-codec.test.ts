import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStrataError } from '../platform/errors.js';
import { createErasureCodec, erasureCodecForLayout } from './erasure-codec.js';
import { allocateShards } from './shard-buffers.js';
import { shardSizeBytes, splitStripe } from './stripe.js';

/** A stripe's k+m shards as the write path makes them: split data, contiguous parity, encoded. */
async function encodedStripe(k: number, m: number, data: Uint8Array): Promise<Uint8Array[]> {
  const shardSize = shardSizeBytes(data.byteLength, k);
  const shards = [...splitStripe(data, k, shardSize), ...allocateShards(m, shardSize)];
  await createErasureCodec({ dataShards: k, parityShards: m }).encode(shards);
  return shards;
}

/** Copies each shard into its own ArrayBuffer (nothing contiguous: the codec must copy). */
function scattered(shards: Uint8Array[]): Uint8Array[] {
  return shards.map((shard) => Uint8Array.from(shard));
}

function patterned(length: number, salt: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + salt * 7 + (i >> 8)) & 0xff;
  return out;
}

const scheme = fc.record({ k: fc.integer({ min: 1, max: 8 }), m: fc.integer({ min: 0, max: 4 }) });

describe('ErasureCodec (rs-ronomon-v1)', () => {
  it('rebuilds every shard bit-exact from any k of k+m (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        scheme.chain(({ k, m }) =>
          fc.record({
            k: fc.constant(k),
            m: fc.constant(m),
            data: fc.uint8Array({ minLength: 0, maxLength: 4096 }),
            // A random permutation prefix: which shards survive (at least k of them).
            keep: fc.shuffledSubarray([...Array(k + m).keys()], { minLength: k, maxLength: k + m }),
            // Survivors as views of the write path's contiguous buffers (read in place) or loose copies.
            inPlace: fc.boolean(),
          }),
        ),
        async ({ k, m, data, keep, inPlace }) => {
          const shards = await encodedStripe(k, m, data);
          const expected = shards.map((shard) => Buffer.from(shard));
          const partial = shards.map((shard, i) => (keep.includes(i) ? (inPlace ? shard : Uint8Array.from(shard)) : undefined));
          const rebuilt = await createErasureCodec({ dataShards: k, parityShards: m }).reconstruct(partial);
          expect(rebuilt).toHaveLength(k + m);
          rebuilt.forEach((shard, i) => expect(Buffer.from(shard).equals(expected[i])).toBe(true));
          shards.forEach((shard, i) => expect(Buffer.from(shard).equals(expected[i])).toBe(true));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses with Corruption when fewer than k shards are present (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        scheme.chain(({ k, m }) =>
          fc.record({
            k: fc.constant(k),
            m: fc.constant(m),
            data: fc.uint8Array({ minLength: 1, maxLength: 512 }),
            keep: fc.shuffledSubarray([...Array(k + m).keys()], { minLength: 0, maxLength: k - 1 }),
          }),
        ),
        async ({ k, m, data, keep }) => {
          const shards = await encodedStripe(k, m, data);
          const partial = shards.map((shard, i) => (keep.includes(i) ? shard : undefined));
          const error = await createErasureCodec({ dataShards: k, parityShards: m }).reconstruct(partial).catch((e: unknown) => e);
          expect(isStrataError(error, 'Corruption')).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('gives the same parity for contiguous and scattered shards, writing into the caller parity shards', async () => {
    for (const [k, m] of [[1, 1], [2, 1], [4, 2], [8, 4], [5, 3]]) {
      const contiguous = await encodedStripe(k, m, patterned(1000 * k + 3, k));
      const loose = scattered(contiguous);
      for (let j = k; j < k + m; j++) loose[j].fill(0xaa);
      await createErasureCodec({ dataShards: k, parityShards: m }).encode(loose);
      for (let j = k; j < k + m; j++) {
        expect(Buffer.from(loose[j]).equals(Buffer.from(contiguous[j]))).toBe(true);
        expect(loose[j].some((byte) => byte !== 0)).toBe(true);
      }
    }
  });

  it('is not fooled by shards of one buffer that are out of order or spaced apart', async () => {
    const k = 3;
    const m = 2;
    const shardSize = 64;
    const expected = await encodedStripe(k, m, patterned(k * shardSize, 4));
    // One backing buffer, slots in reverse order (data) and with a gap between them (parity).
    const backing = new Uint8Array(16 * shardSize);
    const slot = (index: number) => backing.subarray(index * shardSize, (index + 1) * shardSize);
    const shards = [slot(2), slot(1), slot(0), slot(5), slot(7)];
    for (let i = 0; i < k; i++) shards[i].set(expected[i]);
    await createErasureCodec({ dataShards: k, parityShards: m }).encode(shards);
    for (let i = 0; i < k + m; i++) expect(Buffer.from(shards[i]).equals(Buffer.from(expected[i]))).toBe(true);
    expect(backing.subarray(6 * shardSize, 7 * shardSize).every((byte) => byte === 0)).toBe(true);

    const partial: (Uint8Array | undefined)[] = [undefined, slot(1), slot(0), slot(5), slot(7)];
    const rebuilt = await createErasureCodec({ dataShards: k, parityShards: m }).reconstruct(partial);
    expect(Buffer.from(rebuilt[0]).equals(Buffer.from(expected[0]))).toBe(true);
  });

  it('encodes into contiguous parity shards in place and leaves data shards untouched', async () => {
    const k = 4;
    const m = 2;
    const data = patterned(4 * 4096, 9);
    const dataShards = splitStripe(data, k, 4096);
    expect(dataShards[0].buffer).toBe(data.buffer); // exact fit: views, no copy
    const parity = allocateShards(m, 4096);
    await createErasureCodec({ dataShards: k, parityShards: m }).encode([...dataShards, ...parity]);
    expect(Buffer.from(data).equals(Buffer.from(patterned(4 * 4096, 9)))).toBe(true);
    expect(parity[0].buffer).toBe(parity[1].buffer);
    expect(parity.every((shard) => shard.some((byte) => byte !== 0))).toBe(true);
  });

  it('reconstructs without writing into present shards, and returns them as given', async () => {
    const shards = await encodedStripe(4, 2, patterned(10_000, 3));
    const snapshot = shards.map((shard) => Buffer.from(shard));
    const partial: (Uint8Array | undefined)[] = [...shards];
    partial[1] = undefined;
    partial[4] = undefined;
    const rebuilt = await createErasureCodec({ dataShards: 4, parityShards: 2 }).reconstruct(partial);
    expect(rebuilt[0]).toBe(shards[0]);
    expect(rebuilt[5]).toBe(shards[5]);
    shards.forEach((shard, i) => expect(Buffer.from(shard).equals(snapshot[i])).toBe(true));
    expect(Buffer.from(rebuilt[1]).equals(snapshot[1])).toBe(true);
    expect(Buffer.from(rebuilt[4]).equals(snapshot[4])).toBe(true);
  });

  it('runs many encodes concurrently on one codec', async () => {
    const codec = createErasureCodec({ dataShards: 4, parityShards: 2 });
    const stripes = Array.from({ length: 16 }, (_, i) => {
      const shardSize = shardSizeBytes(65_536, 4);
      return [...splitStripe(patterned(65_536, i), 4, shardSize), ...allocateShards(2, shardSize)];
    });
    await Promise.all(stripes.map((shards) => codec.encode(shards)));
    for (const [i, shards] of stripes.entries()) {
      const expected = await encodedStripe(4, 2, patterned(65_536, i));
      expect(Buffer.from(shards[5]).equals(Buffer.from(expected[5]))).toBe(true);
    }
  });

  it('with no parity (1 node): encode is a no-op, nothing can be rebuilt', async () => {
    const codec = createErasureCodec({ dataShards: 1, parityShards: 0 });
    expect(codec.parityShards).toBe(0);
    const shards = splitStripe(patterned(100, 1), 1, shardSizeBytes(100, 1));
    const before = Buffer.from(shards[0]);
    await codec.encode(shards);
    expect(Buffer.from(shards[0]).equals(before)).toBe(true);
    expect(await codec.reconstruct([shards[0]])).toEqual([shards[0]]);
    const error = await codec.reconstruct([undefined]).catch((e: unknown) => e);
    expect(isStrataError(error, 'Corruption')).toBe(true);
    const wide = createErasureCodec({ dataShards: 3, parityShards: 0 });
    const three = splitStripe(patterned(50, 2), 3, 24);
    expect((await wide.reconstruct([...three])).map((s) => Buffer.from(s))).toEqual(three.map((s) => Buffer.from(s)));
  });

  it('keeps the parity bytes of rs-ronomon-v1 stable (layouts written today must decode tomorrow)', async () => {
    const codec = createErasureCodec({ dataShards: 4, parityShards: 2 });
    expect(codec.id).toBe('rs-ronomon-v1');
    const shards = await encodedStripe(4, 2, patterned(4 * 1024, 5));
    const digest = createHash('sha256').update(shards[4]).update(shards[5]).digest('hex');
    // Golden value from @ronomon/reed-solomon 6.0.0; a change means a new codec id is needed.
    expect(digest).toBe(GOLDEN_4_2_PARITY_SHA256);
  });

  it('refuses schemes the library cannot do, and layouts of unknown codecs', () => {
    for (const options of [{ dataShards: 0, parityShards: 1 }, { dataShards: 25, parityShards: 1 }, { dataShards: 4, parityShards: 7 }, { dataShards: 2, parityShards: -1 }, { dataShards: 1.5, parityShards: 1 }]) {
      expect(() => createErasureCodec(options)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    }
    expect(() => erasureCodecForLayout({ codecId: 'rs-klauspost-v1', dataShards: 4, parityShards: 2 })).toThrow(expect.objectContaining({ code: 'Corruption' }));
    expect(erasureCodecForLayout({ codecId: 'rs-ronomon-v1', dataShards: 4, parityShards: 2 }).parityShards).toBe(2);
  });

  it('reports Corruption when present shards disagree in size', async () => {
    const codec = createErasureCodec({ dataShards: 2, parityShards: 1 });
    const error = await codec.reconstruct([new Uint8Array(16), new Uint8Array(24), undefined]).catch((e: unknown) => e);
    expect(isStrataError(error, 'Corruption')).toBe(true);
  });
});

const GOLDEN_4_2_PARITY_SHA256 = '974ead6c2fcf1ae1732d3782c22fab7b1989d99eab6827dd00c8f96d4d372c83';
