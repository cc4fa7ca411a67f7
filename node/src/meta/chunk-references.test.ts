import { describe, expect, it } from 'vitest';
import { encodeMetaCommand, type MetaCommand } from './commands.js';
import { MetaStateMachine } from './meta-state-machine.js';
import { ChunkReferences } from './chunk-references.js';
import type { ErasureLayout, InlineLayout, MultipartLayout, ObjectManifest, PartRecord } from './records.js';

const erasure = (id: string): ErasureLayout => ({
  kind: 'erasure',
  codecId: 'rs-test',
  dataShards: 2,
  parityShards: 1,
  stripeDataBytes: 1024,
  shardBytes: 512,
  chunks: [0, 1, 2].map((j) => ({ nodeId: j + 1, chunkId: `${id}.${j}` })),
});
const manifest = (id: string): ObjectManifest => ({ sizeBytes: 2000, etag: id, lastModifiedMs: 1, layout: erasure(id) });
const part = (n: number, id: string, sizeBytes = 10): PartRecord => ({ partNumber: n, etag: id, sizeBytes, lastModifiedMs: 1, layout: erasure(id) });

function run(sm: MetaStateMachine, commands: MetaCommand[]) {
  return commands.map((c, i) => sm.apply(i + 1, encodeMetaCommand(c)));
}

describe('MetaStateMachine chunk references and multipart state', () => {
  it('tracks references through put, overwrite, delete, complete, abort and bucket deletion', () => {
    const sm = new MetaStateMachine();
    const refs = (id: string) => [1, 2, 3].map((node, j) => sm.isChunkReferenced(node, `${id}.${j}`));
    run(sm, [
      { op: 'createBucket', name: 'b', createdMs: 1 },
      { op: 'putObject', bucket: 'b', key: 'k', manifest: manifest('v1') },
      { op: 'putObject', bucket: 'b', key: 'k', manifest: manifest('v2') },
    ]);
    expect(refs('v1')).toEqual([false, false, false]);
    expect(refs('v2')).toEqual([true, true, true]);
    expect(sm.isChunkReferenced(2, 'v2.0')).toBe(false); // chunk 0 lives on node 1 only
    run(sm, [
      { op: 'createMultipartUpload', bucket: 'b', key: 'm', uploadId: 'u1', initiatedMs: 1 },
      { op: 'putPart', bucket: 'b', key: 'm', uploadId: 'u1', part: part(1, 'p1') },
      { op: 'putPart', bucket: 'b', key: 'm', uploadId: 'u1', part: part(2, 'p2') },
      { op: 'putPart', bucket: 'b', key: 'm', uploadId: 'u1', part: part(3, 'p3') },
      { op: 'putPart', bucket: 'b', key: 'm', uploadId: 'u1', part: part(3, 'p3b') },
    ]);
    expect(refs('p3')).toEqual([false, false, false]);
    expect(sm.referencedChunkCount()).toBe(12);
    const [done] = run(sm, [
      { op: 'completeMultipartUpload', bucket: 'b', key: 'm', uploadId: 'u1', parts: [{ partNumber: 1, etag: '"p1"' }, { partNumber: 3, etag: 'p3b' }], etag: 'x-2', lastModifiedMs: 5, minPartSizeBytes: 10 },
    ]);
    expect(done.ok).toBe(true);
    expect(sm.getObject('b', 'm')).toMatchObject({ sizeBytes: 20, etag: 'x-2', layout: { kind: 'multipart', parts: [{ partNumber: 1 }, { partNumber: 3 }] } });
    expect([...refs('p1'), ...refs('p3b')].every(Boolean)).toBe(true);
    expect(refs('p2')).toEqual([false, false, false]);
    expect(sm.getUpload('b', 'm', 'u1')).toBeUndefined();

    run(sm, [
      { op: 'createMultipartUpload', bucket: 'b', key: 'n', uploadId: 'u2', initiatedMs: 1 },
      { op: 'putPart', bucket: 'b', key: 'n', uploadId: 'u2', part: part(1, 'q1') },
      { op: 'createMultipartUpload', bucket: 'b', key: 'n', uploadId: 'u3', initiatedMs: 1 },
      { op: 'putPart', bucket: 'b', key: 'n', uploadId: 'u3', part: part(1, 'r1') },
      { op: 'abortMultipartUpload', bucket: 'b', key: 'n', uploadId: 'u2' },
    ]);
    expect(refs('q1')).toEqual([false, false, false]);
    expect(refs('r1')).toEqual([true, true, true]);

    // Snapshot and restore rebuild the references from manifests and uploads.
    const copy = new MetaStateMachine();
    copy.restore(sm.snapshot());
    expect(copy.referencedChunkCount()).toBe(sm.referencedChunkCount());
    expect(copy.listUploads('b', { limit: 10 }).uploads.map((u) => u.uploadId)).toEqual(['u3']);
    expect(copy.listParts('b', 'n', 'u3', { limit: 10 })?.parts.map((p) => p.etag)).toEqual(['r1']);

    run(sm, [
      { op: 'deleteObject', bucket: 'b', key: 'k' },
      { op: 'deleteObject', bucket: 'b', key: 'm' },
      { op: 'deleteBucket', name: 'b' },
    ]);
    expect(sm.referencedChunkCount()).toBe(0);
  });

  it('refuses bad completions with the S3 reason, leaving the upload as it was', () => {
    const sm = new MetaStateMachine();
    run(sm, [
      { op: 'createBucket', name: 'b', createdMs: 1 },
      { op: 'createMultipartUpload', bucket: 'b', key: 'm', uploadId: 'u', initiatedMs: 1 },
      { op: 'putPart', bucket: 'b', key: 'm', uploadId: 'u', part: part(1, 'a', 5) },
      { op: 'putPart', bucket: 'b', key: 'm', uploadId: 'u', part: part(2, 'b', 50) },
    ]);
    const complete = (parts: { partNumber: number; etag: string }[]): MetaCommand => ({ op: 'completeMultipartUpload', bucket: 'b', key: 'm', uploadId: 'u', parts, etag: 'e', lastModifiedMs: 1, minPartSizeBytes: 10 });
    const outcomes = run(sm, [
      complete([{ partNumber: 2, etag: 'b' }, { partNumber: 1, etag: 'a' }]),
      complete([{ partNumber: 1, etag: 'zz' }]),
      complete([{ partNumber: 1, etag: 'a' }, { partNumber: 2, etag: 'b' }]),
      complete([]),
      { op: 'putPart', bucket: 'b', key: 'm', uploadId: 'nope', part: part(1, 'c') },
      { op: 'putPart', bucket: 'b', key: 'm', uploadId: 'u', part: part(0, 'c') },
    ]);
    expect(outcomes.map((o) => (o.ok ? 'ok' : `${o.code}:${String(o.details?.reason ?? o.details?.resource)}`))).toEqual([
      'Conflict:InvalidPartOrder',
      'Conflict:InvalidPart',
      'Conflict:EntityTooSmall',
      'InvalidArgument:MalformedXML',
      'NotFound:upload',
      'InvalidArgument:InvalidArgument',
    ]);
    expect(sm.listParts('b', 'm', 'u', { limit: 10 })?.parts).toHaveLength(2);
    expect(run(sm, [complete([{ partNumber: 2, etag: 'b' }])])[0].ok).toBe(true);
  });

  it('restores a version 1 snapshot (before multipart uploads) and rebuilds its references', () => {
    const v1 = { version: 1, clusterId: 'c', members: [], buckets: [{ record: { name: 'b', createdMs: 1 }, objects: [['k', manifest('v1')]] }] };
    const sm = new MetaStateMachine();
    sm.restore(new TextEncoder().encode(JSON.stringify(v1)));
    expect(sm.isChunkReferenced(3, 'v1.2')).toBe(true);
    expect(sm.listUploads('b', { limit: 1 }).uploads).toEqual([]);
  });
});

describe('ChunkReferences inline bytes', () => {
  it('counts the inline bytes of objects and parts as layouts come and go', () => {
    const refs = new ChunkReferences();
    const inline = (n: number): InlineLayout => ({ kind: 'inline', data: new Uint8Array(n) });
    const owner = (key: string) => ({ kind: 'object', bucket: 'b', key }) as const;
    const small = inline(100);
    const multipart: MultipartLayout = {
      kind: 'multipart',
      parts: [
        { partNumber: 1, sizeBytes: 40, etag: 'a', layout: inline(40) },
        { partNumber: 2, sizeBytes: 2000, etag: 'b', layout: erasure('p2') },
      ],
    };
    refs.add(small, 100, owner('a'));
    refs.add(multipart, 2040, owner('m'));
    refs.add(erasure('e'), 2000, owner('e'));
    expect(refs.inlineBytes()).toBe(140);
    refs.remove(small, owner('a'));
    expect(refs.inlineBytes()).toBe(40);
    refs.clear();
    expect(refs.inlineBytes()).toBe(0);
  });
});
