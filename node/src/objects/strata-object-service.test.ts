import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ErasureLayout } from '../meta/records.js';
import { isStrataError, StrataError } from '../platform/errors.js';
import type { MetricsSink } from '../platform/metrics.js';
import { bodyOf, collect, objectServiceHarness, pattern } from './object-service.testkit.js';

const D = 4096; // stripe bytes in the harness
const T = 1024; // inline threshold in the harness

const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');

async function rejection(promise: Promise<unknown>): Promise<StrataError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof StrataError)) throw new Error(`expected a StrataError, got ${String(error)}`);
  return error;
}

describe('StrataObjectService: write and read back', () => {
  it('round-trips every size around the inline threshold and stripe boundaries (4+2)', async () => {
    const { service, metadata, stores } = await objectServiceHarness();
    const sizes = [0, 1, T - 1, T, T + 1, D - 1, D, D + 1, 2 * D - 1, 2 * D, 2 * D + 1, 5 * D + 123];
    for (const size of sizes) {
      const data = pattern(size, size);
      const put = await service.putObject({ bucket: 'b', key: `k${size}`, body: bodyOf(data), sizeBytes: size });
      expect(put).toEqual({ etag: md5(data), sizeBytes: size });
      const got = await service.getObject('b', `k${size}`);
      expect(got.range).toBeUndefined();
      expect(got.head.sizeBytes).toBe(size);
      expect((await collect(got.body)).equals(data)).toBe(true);
      const layout = metadata.meta.getObject('b', `k${size}`)?.layout;
      if (size <= T) {
        expect(layout?.kind).toBe('inline');
      } else {
        const erasure = layout as ErasureLayout;
        expect(erasure).toMatchObject({ kind: 'erasure', codecId: 'rs-ronomon-v1', dataShards: 4, parityShards: 2, stripeDataBytes: D });
        expect(new Set(erasure.chunks.map((c) => c.nodeId)).size).toBe(6);
        erasure.chunks.forEach((c, j) => expect(c.chunkId).toMatch(new RegExp(`^[0-9a-f]{32}\\.${j}$`)));
        // Each chunk holds one block per stripe, on the node the layout names.
        for (const c of erasure.chunks) expect((await stores.forNode(c.nodeId).stat(c.chunkId))?.blockCount).toBe(Math.ceil(size / D));
      }
    }
  });

  it('round-trips without a declared size, and with the automatic scheme on 1, 2 and 3 nodes', async () => {
    for (const [nodes, k, m] of [[1, 1, 0], [2, 1, 1], [3, 2, 1]]) {
      const { service, metadata } = await objectServiceHarness({ nodes, erasure: 'auto' });
      const data = pattern(3 * D + 7, nodes);
      await service.putObject({ bucket: 'b', key: 'x', body: bodyOf(data, 333) });
      expect(metadata.meta.getObject('b', 'x')?.layout).toMatchObject({ kind: 'erasure', dataShards: k, parityShards: m });
      expect((await collect((await service.getObject('b', 'x')).body)).equals(data)).toBe(true);
    }
  });

  it('keeps content type, user metadata and headers', async () => {
    const { service } = await objectServiceHarness();
    await service.putObject({ bucket: 'b', key: 'k', body: bodyOf(pattern(10)), contentType: 'text/plain', userMetadata: { a: '1' }, headers: { 'cache-control': 'no-cache' } });
    expect(await service.headObject('b', 'k')).toMatchObject({ contentType: 'text/plain', userMetadata: { a: '1' }, headers: { 'cache-control': 'no-cache' }, sizeBytes: 10 });
  });

  it('counts reads, writes and bytes under the seed-guide metric names', async () => {
    const counts = new Map<string, number>();
    const sink: MetricsSink = {
      gauge: () => ({ set() {} }),
      histogram: () => ({ observe() {} }),
      counter: (name) => ({ inc: (amount = 1) => void counts.set(name, (counts.get(name) ?? 0) + amount) }),
    };
    const { service } = await objectServiceHarness({ metrics: sink });
    await service.putObject({ bucket: 'b', key: 'k', body: bodyOf(pattern(5000)) });
    await collect((await service.getObject('b', 'k', { range: { start: 10, end: 19 } })).body);
    expect(Object.fromEntries(counts)).toEqual({ strata_data_writes_total: 1, strata_data_bytes_written: 5000, strata_data_reads_total: 1, strata_data_bytes_read: 10 });
  });
});

describe('StrataObjectService: ranges', () => {
  it('serves every range between stripe boundaries, reading only the stripes it needs', async () => {
    const { service, stores } = await objectServiceHarness();
    const size = 3 * D + 100;
    const data = pattern(size, 9);
    await service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data) });
    const points = [0, 1, D - 1, D, D + 1, 2 * D - 1, 2 * D, 3 * D - 1, 3 * D, size - 1];
    for (const start of points) {
      for (const end of points.filter((e) => e >= start)) {
        const before = stores.all().reduce((sum, s) => sum + s.blockReads, 0);
        const got = await service.getObject('b', 'k', { range: { start, end } });
        expect(got.range).toEqual({ start, end });
        expect((await collect(got.body)).equals(data.subarray(start, end + 1))).toBe(true);
        const stripes = Math.floor(end / D) - Math.floor(start / D) + 1;
        expect(stores.all().reduce((sum, s) => sum + s.blockReads, 0) - before).toBe(4 * stripes);
      }
    }
  });

  it('resolves suffix, open and overlong ranges and refuses unsatisfiable ones', async () => {
    const { service } = await objectServiceHarness();
    const data = pattern(2 * D, 3);
    await service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data) });
    await service.putObject({ bucket: 'b', key: 'empty', body: bodyOf(Buffer.alloc(0)) });
    const read = async (range: Parameters<typeof service.getObject>[2] extends infer O ? (O extends { range?: infer R } ? R : never) : never) => {
      const got = await service.getObject('b', 'k', { range });
      return { range: got.range, body: await collect(got.body) };
    };
    expect(await read({ suffixLength: 10 })).toEqual({ range: { start: 2 * D - 10, end: 2 * D - 1 }, body: data.subarray(2 * D - 10) });
    expect((await read({ suffixLength: 10 * D })).range).toEqual({ start: 0, end: 2 * D - 1 });
    expect((await read({ start: D + 5 })).body.equals(data.subarray(D + 5))).toBe(true);
    expect((await read({ start: 5, end: 10 * D })).range).toEqual({ start: 5, end: 2 * D - 1 });
    for (const range of [{ start: 2 * D }, { start: 2 * D, end: 2 * D + 5 }, { suffixLength: 0 }, { start: 5, end: 4 }]) {
      const error = await rejection(service.getObject('b', 'k', { range }));
      expect([error.code, error.details.reason]).toEqual(['InvalidArgument', 'InvalidRange']);
    }
    expect((await rejection(service.getObject('b', 'empty', { range: { start: 0 } }))).details.reason).toBe('InvalidRange');
  });
});

describe('StrataObjectService: degraded reads', () => {
  it('reads every object with any m chunks missing, and fails with m+1', async () => {
    const { service, metadata, stores } = await objectServiceHarness();
    const data = pattern(4 * D + 333, 5);
    await service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data) });
    const chunks = (metadata.meta.getObject('b', 'k')?.layout as ErasureLayout).chunks;
    for (let a = 0; a < 6; a++) {
      for (let b = a; b < 6; b++) {
        stores.forNode(chunks[a].nodeId).faults.down = true;
        stores.forNode(chunks[b].nodeId).faults.down = true;
        expect((await collect((await service.getObject('b', 'k')).body)).equals(data)).toBe(true);
        const ranged = await service.getObject('b', 'k', { range: { start: D - 3, end: 3 * D + 2 } });
        expect((await collect(ranged.body)).equals(data.subarray(D - 3, 3 * D + 3))).toBe(true);
        stores.all().forEach((s) => (s.faults = {}));
      }
    }
    for (const j of [0, 2, 5]) stores.forNode(chunks[j].nodeId).faults.down = true;
    const error = await rejection(collect((await service.getObject('b', 'k')).body));
    expect(error.code).toBe('Unavailable');
  });

  it('reconstructs blocks that fail their checksum, mid-object, in different chunks', async () => {
    const { service, metadata, stores } = await objectServiceHarness();
    const data = pattern(5 * D, 6);
    await service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data) });
    const chunks = (metadata.meta.getObject('b', 'k')?.layout as ErasureLayout).chunks;
    stores.forNode(chunks[1].nodeId).faults.corruptBlocks = new Set([`${chunks[1].chunkId}#2`]);
    stores.forNode(chunks[3].nodeId).faults.corruptBlocks = new Set([`${chunks[3].chunkId}#4`]);
    expect((await collect((await service.getObject('b', 'k')).body)).equals(data)).toBe(true);
  });

  it('turns to parity when a node stops answering (read timeout)', async () => {
    const { service, metadata, stores } = await objectServiceHarness({ readTimeoutMs: 50 });
    const data = pattern(2 * D + 1, 7);
    await service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data) });
    const chunks = (metadata.meta.getObject('b', 'k')?.layout as ErasureLayout).chunks;
    stores.forNode(chunks[0].nodeId).faults.hangReads = true;
    expect((await collect((await service.getObject('b', 'k')).body)).equals(data)).toBe(true);
  });
});

describe('StrataObjectService: failed writes leave nothing', () => {
  async function expectNothingLeft(h: Awaited<ReturnType<typeof objectServiceHarness>>, key: string) {
    expect(h.metadata.meta.getObject('b', key)).toBeUndefined();
    expect(h.stores.chunkCount()).toBe(0);
    for (const store of h.stores.all()) expect(store.open.size).toBe(0);
  }

  it('an unconditional PUT into a missing bucket (checked alongside the write) answers NotFound and deletes its chunks', async () => {
    const h = await objectServiceHarness();
    const error = await rejection(h.service.putObject({ bucket: 'nb', key: 'k', body: bodyOf(pattern(3 * D + 5)) }));
    expect(error.code).toBe('NotFound');
    expect(error.details).toMatchObject({ resource: 'bucket', bucket: 'nb' });
    await new Promise((resolve) => setTimeout(resolve, 20)); // the deletes are not awaited by the PUT
    expect(h.metadata.meta.getObject('nb', 'k')).toBeUndefined();
    expect(h.stores.chunkCount()).toBe(0);
  });

  it('aborts every chunk when one store fails mid-stream', async () => {
    const h = await objectServiceHarness();
    h.stores.forNode(4).faults.failAppendAfterBlocks = 2;
    const error = await rejection(h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(pattern(6 * D)) }));
    expect(error.code).toBe('Internal');
    await expectNothingLeft(h, 'k');
    expect(h.stores.all().reduce((sum, s) => sum + s.aborted.size, 0)).toBe(6);
  });

  it('aborts every chunk when the body fails (a checksum trailer mismatch) after some stripes', async () => {
    const h = await objectServiceHarness();
    async function* failing() {
      yield* bodyOf(pattern(3 * D));
      throw new StrataError('InvalidArgument', 'x-amz-checksum-crc32 mismatch', { details: { reason: 'BadDigest' } });
    }
    expect((await rejection(h.service.putObject({ bucket: 'b', key: 'k', body: failing() }))).message).toMatch(/crc32/);
    await expectNothingLeft(h, 'k');
  });

  it('refuses a Content-MD5 mismatch and a short body', async () => {
    const h = await objectServiceHarness();
    const data = pattern(2 * D);
    const wrongMd5 = createHash('md5').update('other').digest('base64');
    const bad = await rejection(h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data), contentMd5: wrongMd5 }));
    expect([bad.code, bad.details.reason]).toEqual(['Conflict', 'BadDigest']);
    const short = await rejection(h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data), sizeBytes: 2 * D + 1 }));
    expect(short.details.reason).toBe('IncompleteBody');
    const smallBad = await rejection(h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(pattern(10)), contentMd5: wrongMd5 }));
    expect(smallBad.details.reason).toBe('BadDigest');
    await expectNothingLeft(h, 'k');
    const right = createHash('md5').update(data).digest('base64');
    await h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data), contentMd5: right });
  });

  it('aborts on CapacityExceeded and on a write timeout', async () => {
    const h = await objectServiceHarness({ writeTimeoutMs: 50 });
    h.stores.forNode(2).faults.full = true;
    expect((await rejection(h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(pattern(2 * D)) }))).code).toBe('CapacityExceeded');
    await expectNothingLeft(h, 'k');
    h.stores.forNode(2).faults = { hangWrites: true };
    expect((await rejection(h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(pattern(2 * D)) }))).code).toBe('Timeout');
    await expectNothingLeft(h, 'k');
  });

  it('refuses with Unavailable before writing anything when fewer than k+m nodes are up', async () => {
    const h = await objectServiceHarness();
    h.stores.forNode(3).faults.down = true;
    let pulled = 0;
    async function* counted() {
      for await (const piece of bodyOf(pattern(3 * D))) {
        pulled++;
        yield piece;
      }
    }
    const error = await rejection(h.service.putObject({ bucket: 'b', key: 'k', body: counted(), sizeBytes: 3 * D }));
    expect([error.code, error.retryable]).toEqual(['Unavailable', true]);
    expect(pulled).toBe(0);
    await expectNothingLeft(h, 'k');
    // Small objects go inline into the metadata and need no chunk node at all.
    await h.service.putObject({ bucket: 'b', key: 'small', body: bodyOf(pattern(100)) });
  });
});

describe('StrataObjectService: conditions', () => {
  it('checks If-None-Match: * and If-Match inside the metadata command', async () => {
    const h = await objectServiceHarness();
    const first = await h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(pattern(2 * D)), ifNoneMatch: '*' });
    const again = await rejection(h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(pattern(2 * D)), ifNoneMatch: '*' }));
    expect(again.details.reason).toBe('PreconditionFailed');
    expect((await rejection(h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(pattern(5)), ifMatch: '"0123"' }))).details.reason).toBe('PreconditionFailed');
    expect((await rejection(h.service.putObject({ bucket: 'b', key: 'nope', body: bodyOf(pattern(5)), ifMatch: first.etag }))).code).toBe('NotFound');
    const second = await h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(pattern(7)), ifMatch: `"${first.etag}"` });
    expect((await h.service.headObject('b', 'k')).etag).toBe(second.etag);
  });

  it('lets exactly one of two racing If-None-Match: * writers win, and deletes the loser chunks', async () => {
    const h = await objectServiceHarness();
    const results = await Promise.allSettled([1, 2].map((salt) => h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(pattern(3 * D, salt)), ifNoneMatch: '*' })));
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const loser = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect(isStrataError(loser.reason, 'Conflict') && loser.reason.details.reason).toBe('PreconditionFailed');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(h.stores.chunkCount()).toBe(6);
    expect(h.metadata.meta.referencedChunkCount()).toBe(6);
  });

  it('evaluates read preconditions in S3 order', async () => {
    const h = await objectServiceHarness();
    const { etag } = await h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(pattern(10)) });
    const modified = (await h.service.headObject('b', 'k')).lastModifiedMs;
    const reason = async (preconditions: object) => (await rejection(h.service.headObject('b', 'k', { preconditions }))).details.reason;
    expect(await reason({ ifMatch: '"other"' })).toBe('PreconditionFailed');
    expect(await reason({ ifUnmodifiedSinceMs: modified - 5000 })).toBe('PreconditionFailed');
    expect(await reason({ ifNoneMatch: `"${etag}"` })).toBe('NotModified');
    expect(await reason({ ifNoneMatch: '*' })).toBe('NotModified');
    expect(await reason({ ifModifiedSinceMs: modified + 5000 })).toBe('NotModified');
    expect(await reason({ ifNoneMatch: `"${etag}"`, ifModifiedSinceMs: modified - 5000 })).toBe('NotModified');
    // If-Match that holds overrides a failing If-Unmodified-Since; If-None-Match that holds overrides If-Modified-Since.
    await h.service.headObject('b', 'k', { preconditions: { ifMatch: `"x", "${etag}"`, ifUnmodifiedSinceMs: modified - 5000 } });
    await h.service.getObject('b', 'k', { preconditions: { ifNoneMatch: '"other"', ifModifiedSinceMs: modified + 5000 } });
    await h.service.getObject('b', 'k', { preconditions: { ifModifiedSinceMs: modified - 5000, ifUnmodifiedSinceMs: modified + 5000 } });
  });

  it('names the missing bucket or object', async () => {
    const h = await objectServiceHarness();
    expect((await rejection(h.service.getObject('b', 'none'))).details).toMatchObject({ resource: 'object' });
    expect((await rejection(h.service.getObject('nb', 'none'))).details).toMatchObject({ resource: 'bucket' });
    expect((await rejection(h.service.putObject({ bucket: 'nb', key: 'k', body: bodyOf(pattern(3)) }))).details).toMatchObject({ resource: 'bucket' });
    await h.service.deleteObject('b', 'none');
  });
});

describe('StrataObjectService: copy and buckets', () => {
  it('copies through the write path with COPY and REPLACE directives', async () => {
    const h = await objectServiceHarness();
    const data = pattern(3 * D + 1, 4);
    await h.service.putObject({ bucket: 'b', key: 'src', body: bodyOf(data), contentType: 'a/b', userMetadata: { x: '1' } });
    await h.service.createBucket('c');
    const copied = await h.service.copyObject({ sourceBucket: 'b', sourceKey: 'src', bucket: 'c', key: 'dst', metadataDirective: 'COPY' });
    expect(copied.etag).toBe(md5(data));
    expect(await h.service.headObject('c', 'dst')).toMatchObject({ contentType: 'a/b', userMetadata: { x: '1' } });
    expect((await collect((await h.service.getObject('c', 'dst')).body)).equals(data)).toBe(true);
    await h.service.copyObject({ sourceBucket: 'b', sourceKey: 'src', bucket: 'b', key: 'src', metadataDirective: 'REPLACE', contentType: 'c/d' });
    expect(await h.service.headObject('b', 'src')).toMatchObject({ contentType: 'c/d', userMetadata: {} });
    expect((await rejection(h.service.copyObject({ sourceBucket: 'b', sourceKey: 'src', bucket: 'b', key: 'src', metadataDirective: 'COPY' }))).details.reason).toBe('InvalidRequest');
    const cond = await rejection(h.service.copyObject({ sourceBucket: 'b', sourceKey: 'src', bucket: 'c', key: 'x', metadataDirective: 'COPY', sourcePreconditions: { ifNoneMatch: '*' } }));
    expect(cond.details.reason).toBe('PreconditionFailed');
  });

  it('creates, lists, heads and deletes buckets; refuses to delete a non-empty one', async () => {
    const h = await objectServiceHarness();
    await h.service.createBucket('a');
    expect((await h.service.listBuckets()).map((b) => b.name)).toEqual(['a', 'b']);
    expect((await rejection(h.service.createBucket('a'))).code).toBe('AlreadyExists');
    await h.service.putObject({ bucket: 'a', key: 'k', body: bodyOf(pattern(1)) });
    expect((await rejection(h.service.deleteBucket('a'))).details.reason).toBe('BucketNotEmpty');
    await h.service.deleteObject('a', 'k');
    await h.service.deleteBucket('a');
    expect((await rejection(h.service.headBucket('a'))).details.resource).toBe('bucket');
  });
});
