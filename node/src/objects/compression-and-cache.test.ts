import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ErasureLayout } from '../meta/records.js';
import type { MetricsSink } from '../platform/metrics.js';
import { SeededRandom } from '../platform/random.js';
import { StrataObjectService } from './strata-object-service.js';
import { bodyOf, collect, objectServiceHarness, pattern } from './object-service.testkit.js';

const D = 4096; // stripe bytes in the harness
const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');

/** Compressible text-like bytes: a few words repeated with small variations. */
function compressible(size: number): Buffer {
  const words = ['strata ', 'object ', 'store ', 'erasure ', 'coded ', 'chunk ', '\n'];
  const out = Buffer.alloc(size);
  for (let i = 0, w = 0; i < size; w++) {
    const word = words[(w * 7 + (w >> 3)) % words.length];
    i += out.write(word, i);
  }
  return out;
}

function countingMetrics(): { sink: MetricsSink; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const sink: MetricsSink = {
    counter: (name) => ({ inc: (n = 1) => void counts.set(name, (counts.get(name) ?? 0) + n) }),
    gauge: (name) => ({ set: (v) => void counts.set(name, v) }),
    histogram: () => ({ observe() {} }),
  };
  return { sink, counts };
}

describe('compression of new objects ([data] compression = "gzip")', () => {
  it('round-trips compressible and random data of many sizes; ETag and size are of the plain bytes', async () => {
    const { service, metadata } = await objectServiceHarness({ compression: 'gzip' });
    for (const size of [1025, D - 1, D, D + 1, 5 * D + 17, 40 * D]) {
      for (const [name, data] of [['text', compressible(size)], ['random', randomBytes(size)]] as const) {
        const key = `${name}-${size}`;
        expect(await service.putObject({ bucket: 'b', key, body: bodyOf(data), sizeBytes: size })).toEqual({ etag: md5(data), sizeBytes: size });
        const layout = metadata.meta.getObject('b', key)?.layout as ErasureLayout;
        // Random bytes do not shrink: stored plain, as the layout says.
        expect(layout.compression?.codec).toBe(name === 'text' ? 'gzip' : undefined);
        if (name === 'text' && size >= 5 * D) expect(layout.compression!.storedBytes).toBeLessThan(size / 3);
        const got = await service.getObject('b', key);
        expect(got.head.sizeBytes).toBe(size);
        expect((await collect(got.body)).equals(data)).toBe(true);
      }
    }
  });

  it('stores fewer bytes in the chunks for compressible data', async () => {
    const size = 50 * D;
    const data = compressible(size);
    const stored = async (compression: 'none' | 'gzip'): Promise<number> => {
      const { service, stores } = await objectServiceHarness({ compression });
      await service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data) });
      let blocks = 0;
      for (const s of stores.all()) for await (const info of s.list()) blocks += info.storedBytes;
      return blocks;
    };
    const plain = await stored('none');
    const gzip = await stored('gzip');
    expect(gzip).toBeLessThan(plain / 3);
  });

  it('serves every range of a compressed object (decompressing from the start)', async () => {
    const { service } = await objectServiceHarness({ compression: 'gzip' });
    const size = 3 * D + 100;
    const data = compressible(size);
    await service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data) });
    const points = [0, 1, D - 1, D, D + 1, 2 * D, 3 * D - 1, 3 * D, size - 1];
    for (const start of points) {
      for (const end of points.filter((e) => e >= start)) {
        const got = await service.getObject('b', 'k', { range: { start, end } });
        expect((await collect(got.body)).equals(data.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
      }
    }
  });

  it('keeps objects of either setting readable by a service with the other one', async () => {
    const { service: plainService, metadata, stores, clock } = await objectServiceHarness({ compression: 'none' });
    const plainOptions = { selfId: 1, clock, random: new SeededRandom(7), stripeDataBytes: D, inlineThresholdBytes: 1024, placementView: async () => stores.all().map((s, i) => ({ id: i + 1, state: 'active' as const, online: true, availableBytes: 2 ** 40 })) };
    const a = compressible(7 * D);
    await plainService.putObject({ bucket: 'b', key: 'old', body: bodyOf(a) });
    // The same metadata and chunks, now with compression on: old stays plain, new is compressed.
    const gzipService = new StrataObjectService({ ...plainOptions, metadata, chunkStores: stores, compression: 'gzip' });
    const b = compressible(9 * D + 3);
    await gzipService.putObject({ bucket: 'b', key: 'new', body: bodyOf(b) });
    expect((metadata.meta.getObject('b', 'old')?.layout as ErasureLayout).compression).toBeUndefined();
    expect((metadata.meta.getObject('b', 'new')?.layout as ErasureLayout).compression?.codec).toBe('gzip');
    for (const service of [plainService, gzipService]) {
      expect((await collect((await service.getObject('b', 'old')).body)).equals(a)).toBe(true);
      expect((await collect((await service.getObject('b', 'new')).body)).equals(b)).toBe(true);
    }
  });

  it('compresses multipart parts each on its own, and leaves inline objects alone', async () => {
    const { service, metadata } = await objectServiceHarness({ compression: 'gzip', minPartSizeBytes: 0 });
    const small = compressible(500);
    await service.putObject({ bucket: 'b', key: 'small', body: bodyOf(small) });
    expect(metadata.meta.getObject('b', 'small')?.layout?.kind).toBe('inline');
    const upload = await service.createMultipartUpload({ bucket: 'b', key: 'mp' });
    const parts = [compressible(3 * D), compressible(2 * D + 5)];
    const etags: string[] = [];
    for (const [i, part] of parts.entries()) etags.push((await service.uploadPart({ bucket: 'b', key: 'mp', uploadId: upload.uploadId, partNumber: i + 1, body: bodyOf(part) })).etag);
    await service.completeMultipartUpload({ bucket: 'b', key: 'mp', uploadId: upload.uploadId, parts: etags.map((etag, i) => ({ partNumber: i + 1, etag })) });
    const whole = Buffer.concat(parts);
    expect((await collect((await service.getObject('b', 'mp')).body)).equals(whole)).toBe(true);
    const got = await service.getObject('b', 'mp', { range: { start: 3 * D - 10, end: 3 * D + 10 } });
    expect((await collect(got.body)).equals(whole.subarray(3 * D - 10, 3 * D + 11))).toBe(true);
  });

  it('fails a body with a bad Content-MD5 and commits nothing', async () => {
    const { service, metadata } = await objectServiceHarness({ compression: 'gzip' });
    const data = compressible(3 * D);
    await expect(service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data), contentMd5: Buffer.alloc(16).toString('base64') })).rejects.toMatchObject({ code: 'Conflict' });
    expect(metadata.meta.getObject('b', 'k')).toBeUndefined();
  });

  it('a body that fails midway aborts the write', async () => {
    const { service, metadata } = await objectServiceHarness({ compression: 'gzip' });
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield compressible(2 * D);
      throw new Error('signature mismatch');
    }
    await expect(service.putObject({ bucket: 'b', key: 'k', body: failing() })).rejects.toThrow(/signature mismatch/);
    expect(metadata.meta.getObject('b', 'k')).toBeUndefined();
  });
});

describe('read cache ([data] cache_size)', () => {
  const blockReads = (stores: { all(): { blockReads: number }[] }) => stores.all().reduce((sum, s) => sum + s.blockReads, 0);

  it('keeps a stripe on its second read and serves the ones after from memory, counting hits and misses', async () => {
    const { sink, counts } = countingMetrics();
    const { service, stores } = await objectServiceHarness({ cacheSizeBytes: 1024 * 1024, metrics: sink });
    const data = pattern(6 * D + 5, 4);
    await service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data) });
    const before = blockReads(stores);
    for (let read = 1; read <= 2; read++) {
      expect((await collect((await service.getObject('b', 'k')).body)).equals(data)).toBe(true);
      expect(blockReads(stores) - before).toBe(read * 4 * 7);
    }
    const afterSecond = blockReads(stores);
    expect((await collect((await service.getObject('b', 'k')).body)).equals(data)).toBe(true);
    expect(blockReads(stores)).toBe(afterSecond);
    expect(counts.get('strata_data_cache_misses_total')).toBe(2 * 7);
    expect(counts.get('strata_data_cache_hits_total')).toBe(7);
    // A range inside cached stripes reads nothing either.
    const got = await service.getObject('b', 'k', { range: { start: D + 3, end: 3 * D } });
    expect((await collect(got.body)).equals(data.subarray(D + 3, 3 * D + 1))).toBe(true);
    expect(blockReads(stores)).toBe(afterSecond);
  });

  it('mixes cached and uncached stripes in one read, resuming chunk reads where needed', async () => {
    const { service, stores } = await objectServiceHarness({ cacheSizeBytes: 1024 * 1024 });
    const data = pattern(8 * D, 5);
    await service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data) });
    // Cache stripes 2..3 and 6 only (each kept on its second read).
    for (let read = 0; read < 2; read++) {
      await collect((await service.getObject('b', 'k', { range: { start: 2 * D, end: 4 * D - 1 } })).body);
      await collect((await service.getObject('b', 'k', { range: { start: 6 * D, end: 7 * D - 1 } })).body);
    }
    const before = blockReads(stores);
    expect((await collect((await service.getObject('b', 'k')).body)).equals(data)).toBe(true);
    expect(blockReads(stores) - before).toBe(4 * 5);
  });

  it('stays within cache_size and still reads correctly after evictions', async () => {
    // 20 objects of 5 stripes (100 stripes) through a cache with room for 80; each object is 1/16 of it.
    const { service } = await objectServiceHarness({ cacheSizeBytes: 80 * D });
    const objects = Array.from({ length: 20 }, (_, i) => pattern(5 * D, i + 1));
    for (const [i, data] of objects.entries()) await service.putObject({ bucket: 'b', key: `k${i}`, body: bodyOf(data) });
    for (let round = 0; round < 3; round++) {
      // Each object read twice in a row, so its stripes are kept and 100 stripes compete for 80 places.
      for (const [i, data] of objects.entries()) {
        for (let read = 0; read < 2; read++) expect((await collect((await service.getObject('b', `k${i}`)).body)).equals(data)).toBe(true);
      }
      expect(service.stripeCache.sizeBytes).toBeLessThanOrEqual(80 * D);
    }
    expect(service.stripeCache.entryCount).toBeGreaterThan(0);
    expect(service.stripeCache.entryCount).toBeLessThanOrEqual(80);
  });

  it('does not cache an object bigger than 1/16 of cache_size (a big read-through keeps the small hot ones)', async () => {
    const { sink, counts } = countingMetrics();
    const { service, stores } = await objectServiceHarness({ cacheSizeBytes: 64 * D, metrics: sink });
    const small = pattern(4 * D, 8); // 16 KiB = 1/16 of 256 KiB: cached
    const big = pattern(4 * D + 1, 9); // one byte more: not
    await service.putObject({ bucket: 'b', key: 'small', body: bodyOf(small) });
    await service.putObject({ bucket: 'b', key: 'big', body: bodyOf(big) });
    for (let i = 0; i < 3; i++) {
      expect((await collect((await service.getObject('b', 'small')).body)).equals(small)).toBe(true);
      expect((await collect((await service.getObject('b', 'big')).body)).equals(big)).toBe(true);
    }
    const before = blockReads(stores);
    expect((await collect((await service.getObject('b', 'big')).body)).equals(big)).toBe(true);
    expect(blockReads(stores) - before).toBe(4 * 5); // every stripe from the chunks again
    expect(counts.get('strata_data_cache_hits_total')).toBe(4); // the small one's third read
    expect(counts.get('strata_data_cache_misses_total')).toBe(2 * 4); // the big one never looked up
  });

  it('caches the repaired stripe of a degraded read', async () => {
    const { service, stores, metadata } = await objectServiceHarness({ cacheSizeBytes: 1024 * 1024 });
    const data = pattern(3 * D, 6);
    await service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data) });
    const layout = metadata.meta.getObject('b', 'k')?.layout as ErasureLayout;
    stores.forNode(layout.chunks[0].nodeId).faults.down = true;
    for (let read = 0; read < 2; read++) expect((await collect((await service.getObject('b', 'k')).body)).equals(data)).toBe(true);
    stores.forNode(layout.chunks[1].nodeId).faults.down = true;
    stores.forNode(layout.chunks[4].nodeId).faults.down = true;
    // Three of six down: only the cache can serve it now.
    expect((await collect((await service.getObject('b', 'k')).body)).equals(data)).toBe(true);
  });

  it('is off by default', async () => {
    const { service, stores } = await objectServiceHarness();
    const data = pattern(2 * D, 7);
    await service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data) });
    const before = blockReads(stores);
    await collect((await service.getObject('b', 'k')).body);
    await collect((await service.getObject('b', 'k')).body);
    expect(blockReads(stores) - before).toBe(2 * 4 * 2);
  });
});
