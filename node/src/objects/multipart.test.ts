import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StrataError } from '../platform/errors.js';
import { bodyOf, collect, objectServiceHarness, pattern } from './object-service.testkit.js';

const MiB = 1024 * 1024;
const md5 = (data: Uint8Array) => createHash('md5').update(data).digest();

async function rejection(promise: Promise<unknown>): Promise<StrataError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof StrataError)) throw new Error(`expected a StrataError, got ${String(error)}`);
  return error;
}

describe('StrataObjectService: multipart uploads', () => {
  it('completes with the S3 multipart ETag, reads across part boundaries, enforces 5 MiB parts', async () => {
    const h = await objectServiceHarness({ stripeDataBytes: MiB, inlineThresholdBytes: 16 * 1024 });
    const upload = await h.service.createMultipartUpload({ bucket: 'b', key: 'big', contentType: 'x/y', userMetadata: { m: 'v' } });
    const parts = [pattern(5 * MiB, 1), pattern(5 * MiB + 3, 2), pattern(100, 3)];
    const etags: string[] = [];
    for (const [i, data] of parts.entries()) {
      const result = await h.service.uploadPart({ bucket: 'b', key: 'big', uploadId: upload.uploadId, partNumber: i + 1, body: bodyOf(data, 65536) });
      expect(result).toEqual({ etag: md5(data).toString('hex'), sizeBytes: data.byteLength });
      etags.push(result.etag);
    }
    const order = await rejection(
      h.service.completeMultipartUpload({ bucket: 'b', key: 'big', uploadId: upload.uploadId, parts: [2, 1, 3].map((n) => ({ partNumber: n, etag: etags[n - 1] })) }),
    );
    expect(order.details.reason).toBe('InvalidPartOrder');
    const missing = await rejection(
      h.service.completeMultipartUpload({ bucket: 'b', key: 'big', uploadId: upload.uploadId, parts: [{ partNumber: 3, etag: etags[2] }, { partNumber: 4, etag: etags[0] }] }),
    );
    expect(missing.details.reason).toBe('InvalidPart'); // part 4 was never uploaded
    // A part under 5 MiB that is not the last one: EntityTooSmall.
    const entity = await h.service.uploadPart({ bucket: 'b', key: 'big', uploadId: upload.uploadId, partNumber: 4, body: bodyOf(pattern(10)) });
    const tiny = await rejection(
      h.service.completeMultipartUpload({ bucket: 'b', key: 'big', uploadId: upload.uploadId, parts: [{ partNumber: 3, etag: etags[2] }, { partNumber: 4, etag: entity.etag }] }),
    );
    expect([tiny.code, tiny.details.reason]).toEqual(['Conflict', 'EntityTooSmall']);
    const wrong = await rejection(
      h.service.completeMultipartUpload({ bucket: 'b', key: 'big', uploadId: upload.uploadId, parts: [{ partNumber: 1, etag: etags[1] }] }),
    );
    expect(wrong.details.reason).toBe('InvalidPart');

    const done = await h.service.completeMultipartUpload({
      bucket: 'b',
      key: 'big',
      uploadId: upload.uploadId,
      parts: etags.map((etag, i) => ({ partNumber: i + 1, etag: `"${etag}"` })),
    });
    const expectedEtag = `${createHash('md5').update(Buffer.concat(parts.map(md5))).digest('hex')}-3`;
    const whole = Buffer.concat(parts);
    expect(done).toEqual({ etag: expectedEtag, sizeBytes: whole.byteLength });
    expect(await h.service.headObject('b', 'big')).toMatchObject({ etag: expectedEtag, partCount: 3, contentType: 'x/y', userMetadata: { m: 'v' } });
    expect((await collect((await h.service.getObject('b', 'big')).body)).equals(whole)).toBe(true);
    for (const [start, end] of [[5 * MiB - 2, 5 * MiB + 1], [10 * MiB, 10 * MiB + 50], [3, 10 * MiB + 102]]) {
      const got = await h.service.getObject('b', 'big', { range: { start, end } });
      expect((await collect(got.body)).equals(whole.subarray(start, end + 1))).toBe(true);
    }
    // The upload is gone; part 4's chunks (inline here) and nothing else lost their references.
    expect((await rejection(h.service.listParts({ bucket: 'b', key: 'big', uploadId: upload.uploadId, maxParts: 10 }))).details.resource).toBe('upload');
    expect(h.metadata.meta.referencedChunkCount()).toBe(2 * 6);
  });

  it('replaces a re-uploaded part, lists parts and uploads in order with markers, and aborts', async () => {
    const h = await objectServiceHarness({ minPartSizeBytes: 0 });
    const uploads = [];
    for (const key of ['b/2', 'a', 'b/1', 'a']) uploads.push(await h.service.createMultipartUpload({ bucket: 'b', key }));
    const listed = await h.service.listMultipartUploads({ bucket: 'b', maxUploads: 10 });
    expect(listed.uploads.map((u) => u.key)).toEqual(['a', 'a', 'b/1', 'b/2']);
    const aIds = uploads.filter((u) => u.key === 'a').map((u) => u.uploadId).sort();
    expect(listed.uploads.slice(0, 2).map((u) => u.uploadId)).toEqual(aIds);
    expect((await h.service.listMultipartUploads({ bucket: 'b', maxUploads: 1, keyMarker: 'a', uploadIdMarker: aIds[0] })).uploads.map((u) => u.uploadId)).toEqual([aIds[1]]);
    expect(await h.service.listMultipartUploads({ bucket: 'b', maxUploads: 1, prefix: 'b/', keyMarker: 'a' })).toMatchObject({ uploads: [{ key: 'b/1' }], isTruncated: true });

    const { uploadId } = uploads[0];
    for (const n of [3, 1, 2]) await h.service.uploadPart({ bucket: 'b', key: 'b/2', uploadId, partNumber: n, body: bodyOf(pattern(5000, n)) });
    expect(h.metadata.meta.referencedChunkCount()).toBe(18);
    const replaced = await h.service.uploadPart({ bucket: 'b', key: 'b/2', uploadId, partNumber: 2, body: bodyOf(pattern(6000, 9)) });
    expect(h.metadata.meta.referencedChunkCount()).toBe(18); // the old part 2 chunks are unreferenced now
    const page = await h.service.listParts({ bucket: 'b', key: 'b/2', uploadId, maxParts: 2 });
    expect(page).toMatchObject({ isTruncated: true, nextPartNumberMarker: 2, parts: [{ partNumber: 1 }, { partNumber: 2, etag: replaced.etag, sizeBytes: 6000 }] });
    expect((await h.service.listParts({ bucket: 'b', key: 'b/2', uploadId, maxParts: 2, partNumberMarker: 2 })).parts.map((p) => p.partNumber)).toEqual([3]);
    expect((await rejection(h.service.uploadPart({ bucket: 'b', key: 'b/2', uploadId, partNumber: 10_001, body: bodyOf(pattern(1)) }))).code).toBe('InvalidArgument');

    await h.service.abortMultipartUpload('b', 'b/2', uploadId);
    expect(h.metadata.meta.referencedChunkCount()).toBe(0);
    const gone = await rejection(h.service.uploadPart({ bucket: 'b', key: 'b/2', uploadId, partNumber: 1, body: bodyOf(pattern(5000)) }));
    expect(gone.details.resource).toBe('upload');
    expect((await rejection(h.service.abortMultipartUpload('b', 'b/2', uploadId))).details.resource).toBe('upload');
  });

  it('copies a source range into a part', async () => {
    const h = await objectServiceHarness({ minPartSizeBytes: 0 });
    const data = pattern(9000, 5);
    await h.service.putObject({ bucket: 'b', key: 'src', body: bodyOf(data) });
    const { uploadId } = await h.service.createMultipartUpload({ bucket: 'b', key: 'dst' });
    const part = await h.service.uploadPartCopy({ bucket: 'b', key: 'dst', uploadId, partNumber: 1, sourceBucket: 'b', sourceKey: 'src', range: { start: 100, end: 5099 } });
    expect(part.sizeBytes).toBe(5000);
    await h.service.completeMultipartUpload({ bucket: 'b', key: 'dst', uploadId, parts: [{ partNumber: 1, etag: part.etag }] });
    expect((await collect((await h.service.getObject('b', 'dst')).body)).equals(data.subarray(100, 5100))).toBe(true);
  });
});
