import { describe, expect, it } from 'vitest';
import { encodeMetaCommand, type MetaCommand } from './commands.js';
import { MetaStateMachine } from './meta-state-machine.js';
import type { ObjectManifest } from './records.js';
import type { SnapshotCapture } from './snapshot-format.js';

const inline = (text: string): ObjectManifest => ({
  sizeBytes: text.length, etag: `e-${text.length}`, lastModifiedMs: 5, layout: { kind: 'inline', data: Buffer.from(text).toString('base64') },
});

const erasure = (nodeIds: number[]): ObjectManifest => ({
  sizeBytes: 2048, etag: 'e-erasure', lastModifiedMs: 6,
  layout: {
    kind: 'erasure', codecId: 'rs-vandermonde', dataShards: 2, parityShards: 1, stripeDataBytes: 1024, shardBytes: 512,
    chunks: nodeIds.map((nodeId, j) => ({ nodeId, chunkId: `c${j}` })),
  },
} as ObjectManifest);

let index = 0;
function applyAll(sm: MetaStateMachine, commands: MetaCommand[]): void {
  for (const c of commands) {
    const result = sm.apply(++index, encodeMetaCommand(c));
    expect(result.ok, JSON.stringify(result)).toBe(true);
  }
}

/** Inline objects of 12 KB: 600 of them make ~10 MB of snapshot, so the writer pauses at least twice. */
const BIG = 'x'.repeat(12_000);

/** Two buckets, ~10 MB of inline objects, an erasure-coded object, an upload with a part, a rebalance request. */
function populated(pause?: () => Promise<void>): MetaStateMachine {
  const sm = new MetaStateMachine(pause);
  sm.bootstrap('cluster-1', { id: 1, address: '127.0.0.1:9000', zone: 'a' });
  applyAll(sm, [
    { op: 'createBucket', name: 'photos', createdMs: 1 },
    { op: 'createBucket', name: 'logs', createdMs: 2 },
    ...Array.from({ length: 600 }, (_, i): MetaCommand => ({ op: 'putObject', bucket: 'photos', key: `k/${String(i).padStart(4, '0')}`, manifest: inline(`${i}${BIG}`) })),
    { op: 'putObject', bucket: 'logs', key: 'coded', manifest: erasure([1, 2, 3]) },
    { op: 'createMultipartUpload', bucket: 'logs', key: 'mp', uploadId: 'u1', initiatedMs: 3 },
    { op: 'putPart', bucket: 'logs', key: 'mp', uploadId: 'u1', part: { partNumber: 1, etag: 'p1', sizeBytes: 3, lastModifiedMs: 4, layout: { kind: 'inline', data: 'YWJj' } } },
    { op: 'setRebalance', requested: true, requestedMs: 7 },
  ]);
  return sm;
}

/** What a capture hands out, each slice copied (the writer reuses its pages), and the slices' sizes. */
async function collect(capture: SnapshotCapture, signal?: AbortSignal): Promise<{ bytes: Buffer; slices: number[]; count: number }> {
  const copies: Buffer[] = [];
  const count = await capture.writeTo(async (slice) => {
    copies.push(Buffer.from(slice));
    await new Promise((resolve) => setImmediate(resolve)); // a file write takes a while
  }, signal);
  return { bytes: Buffer.concat(copies), slices: copies.map((c) => c.length), count };
}

describe('metadata snapshots written in slices', () => {
  it('gives the bytes snapshot() gave at capture time, while later commands change the state', async () => {
    let pauses = 0;
    const sm = populated(async () => void pauses++);
    const atCapture = Buffer.from(sm.snapshot());
    const capture = sm.captureSnapshot();
    applyAll(sm, [
      { op: 'putObject', bucket: 'photos', key: 'k/0000', manifest: inline('overwritten') },
      { op: 'deleteObject', bucket: 'photos', key: 'k/0001' },
      { op: 'putObject', bucket: 'photos', key: 'new', manifest: inline('new') },
      { op: 'replaceChunk', chunkId: 'c0', fromNodeId: 1, toNodeId: 4, newChunkId: 'c0-moved' },
      { op: 'putPart', bucket: 'logs', key: 'mp', uploadId: 'u1', part: { partNumber: 2, etag: 'p2', sizeBytes: 3, lastModifiedMs: 4, layout: { kind: 'inline', data: 'ZGVm' } } },
      { op: 'createBucket', name: 'later', createdMs: 9 },
      { op: 'setRebalance', requested: false, requestedMs: 7 },
    ]);
    const { bytes: written, count } = await collect(capture);
    expect(written.equals(atCapture)).toBe(true);
    expect(count).toBe(written.length);
    expect(pauses).toBeGreaterThanOrEqual(2);
    expect(written.equals(Buffer.from(sm.snapshot()))).toBe(false);
  });

  it('hands the bytes out a page (1 MiB) at a time, and a frame bigger than a page whole', async () => {
    const sm = populated();
    const huge = 'y'.repeat(1_500_000); // 2 MB of base64: more than a page
    applyAll(sm, [{ op: 'putObject', bucket: 'photos', key: 'huge', manifest: inline(huge) }]);
    const { bytes, slices } = await collect(sm.captureSnapshot());
    expect(bytes.equals(Buffer.from(sm.snapshot()))).toBe(true);
    expect(slices.length).toBeGreaterThan(8);
    expect(slices.filter((n) => n > 1024 * 1024)).toEqual([Buffer.from(huge).toString('base64').length]);
    const copy = new MetaStateMachine();
    copy.restore(bytes);
    expect(copy.getObject('photos', 'huge')?.layout).toEqual(inline(huge).layout);
  });

  it('writes format 3, which restores to the same state', async () => {
    const sm = populated();
    const { bytes } = await collect(sm.captureSnapshot());
    expect(Buffer.from(bytes).subarray(0, 4).toString('latin1')).toBe('SMS3');
    const copy = new MetaStateMachine();
    copy.restore(bytes);
    expect(Buffer.from(copy.snapshot()).equals(Buffer.from(bytes))).toBe(true);
    expect(copy.getObject('logs', 'coded')?.etag).toBe('e-erasure');
    expect(copy.getObject('photos', 'k/0007')?.layout).toEqual({ kind: 'inline', data: Buffer.from(`7${BIG}`).toString('base64') });
    expect(copy.listObjects('photos', { limit: 1000 }).length).toBe(600);
    expect(copy.rebalanceRequest()).toEqual({ requested: true, requestedMs: 7 });
    expect(copy.members().map((m) => [m.id, m.zone])).toEqual([[1, 'a']]);
  });

  it('still reads format 2 (the JSON that nodes and backups wrote before)', () => {
    const sm = populated();
    const copy = new MetaStateMachine();
    copy.restore(sm.snapshot());
    const format2 = JSON.stringify({
      version: 2, clusterId: 'cluster-1', members: copy.members(),
      buckets: ['photos', 'logs'].map((name) => ({
        record: copy.getBucket(name), objects: copy.listObjects(name, { limit: 10_000 }).map((e) => [e.key, copy.getObject(name, e.key)]),
        uploads: name === 'logs' ? [{ record: { bucket: 'logs', key: 'mp', uploadId: 'u1', initiatedMs: 3 }, parts: [{ partNumber: 1, etag: 'p1', sizeBytes: 3, lastModifiedMs: 4, layout: { kind: 'inline', data: 'YWJj' } }] }] : [],
      })),
      rebalance: { requested: true, requestedMs: 7 },
    });
    const fromJson = new MetaStateMachine();
    fromJson.restore(Buffer.from(format2));
    expect(Buffer.from(fromJson.snapshot()).equals(Buffer.from(sm.snapshot()))).toBe(true);
  });

  it('refuses a truncated or padded format 3 snapshot as Corruption', () => {
    const bytes = Buffer.from(populated().snapshot());
    for (const damaged of [bytes.subarray(0, bytes.length - 1), bytes.subarray(0, 100), Buffer.concat([bytes, Buffer.from([0])])]) {
      expect(() => new MetaStateMachine().restore(damaged)).toThrow(/metadata snapshot (is truncated|has 1 bytes after its end)/);
    }
  });

  it('stops with the abort reason when aborted between slices', async () => {
    const sm = populated();
    const controller = new AbortController();
    const serializing = collect(sm.captureSnapshot(), controller.signal);
    controller.abort(new Error('node stopping'));
    await expect(serializing).rejects.toThrow('node stopping');
  });
});
