import { describe, expect, it } from 'vitest';
import { encodeMetaCommand, type MetaCommand } from './commands.js';
import { MetaStateMachine } from './meta-state-machine.js';
import type { ObjectManifest } from './records.js';
import type { SnapshotCapture } from './snapshot-format.js';

const inline = (text: string): ObjectManifest => ({
  sizeBytes: text.length, etag: `e-${text.length}`, lastModifiedMs: 5, layout: { kind: 'inline', data: Buffer.from(text) },
});

/** The inline bytes of a layout as text (a view, a copy or a Buffer: compared by content). */
function inlineText(layout: ObjectManifest['layout']): string | undefined {
  return layout?.kind === 'inline' ? Buffer.from(layout.data).toString() : undefined;
}

/** JSON as nodes wrote it before 0022: inline bytes as base64 strings. */
function base64Json(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    return key === 'data' && raw instanceof Uint8Array ? Buffer.from(raw).toString('base64') : v;
  });
}

/** A format 3 snapshot (before 0022): "SMS3", frames of JSON, each object's inline data as base64 after it. */
function format3(head: unknown, buckets: { meta: unknown; objects: [string, ObjectManifest][] }[]): Buffer {
  const frame = (text: string): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(Buffer.byteLength(text));
    return Buffer.concat([len, Buffer.from(text)]);
  };
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const parts = [Buffer.from('SMS3'), frame(JSON.stringify(head))];
  for (const bucket of buckets) {
    parts.push(frame(base64Json(bucket.meta)));
    for (const [key, manifest] of bucket.objects) {
      const layout = manifest.layout;
      if (layout?.kind !== 'inline') {
        parts.push(frame(JSON.stringify([key, manifest])), u32(0xffffffff));
        continue;
      }
      const b64 = Buffer.from(Buffer.from(layout.data).toString('base64'), 'latin1');
      parts.push(frame(JSON.stringify([key, { ...manifest, layout: { kind: 'inline' } }])), u32(b64.length), b64);
    }
  }
  return Buffer.concat(parts);
}

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
    { op: 'putPart', bucket: 'logs', key: 'mp', uploadId: 'u1', part: { partNumber: 1, etag: 'p1', sizeBytes: 3, lastModifiedMs: 4, layout: { kind: 'inline', data: Buffer.from('abc') } } },
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
      { op: 'putPart', bucket: 'logs', key: 'mp', uploadId: 'u1', part: { partNumber: 2, etag: 'p2', sizeBytes: 3, lastModifiedMs: 4, layout: { kind: 'inline', data: Buffer.from('def') } } },
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
    const huge = 'y'.repeat(1_500_000); // more than a page
    applyAll(sm, [{ op: 'putObject', bucket: 'photos', key: 'huge', manifest: inline(huge) }]);
    const { bytes, slices } = await collect(sm.captureSnapshot());
    expect(bytes.equals(Buffer.from(sm.snapshot()))).toBe(true);
    expect(slices.length).toBeGreaterThan(8);
    expect(slices.filter((n) => n > 1024 * 1024)).toEqual([huge.length]);
    const copy = new MetaStateMachine();
    copy.restore(bytes);
    expect(inlineText(copy.getObject('photos', 'huge')?.layout)).toBe(huge);
  });

  it('writes format 4, which restores to the same state, inline bytes as bytes', async () => {
    const sm = populated();
    const { bytes } = await collect(sm.captureSnapshot());
    expect(Buffer.from(bytes).subarray(0, 4).toString('latin1')).toBe('SMS4');
    expect(bytes.length).toBeLessThan(600 * 12_300); // with base64: 600 x 16 KB
    const copy = new MetaStateMachine();
    copy.restore(bytes);
    expect(Buffer.from(copy.snapshot()).equals(Buffer.from(bytes))).toBe(true);
    expect(copy.getObject('logs', 'coded')?.etag).toBe('e-erasure');
    expect(inlineText(copy.getObject('photos', 'k/0007')?.layout)).toBe(`7${BIG}`);
    // Copied out of the snapshot: an object does not keep the snapshot's buffer alive.
    const data = (copy.getObject('photos', 'k/0007')?.layout as { data: Uint8Array }).data;
    expect(data.buffer.byteLength).toBe(data.byteLength);
    expect(inlineText(copy.listParts('logs', 'mp', 'u1', { limit: 10 })?.parts[0]?.layout)).toBe('abc');
    expect(copy.listObjects('photos', { limit: 1000 }).length).toBe(600);
    expect(copy.rebalanceRequest()).toEqual({ requested: true, requestedMs: 7 });
    expect(copy.members().map((m) => [m.id, m.zone])).toEqual([[1, 'a']]);
  });

  it('still reads format 2 (the JSON that nodes and backups wrote before)', () => {
    const sm = populated();
    const copy = new MetaStateMachine();
    copy.restore(sm.snapshot());
    const format2 = base64Json({
      version: 2, clusterId: 'cluster-1', members: copy.members(),
      buckets: ['photos', 'logs'].map((name) => ({
        record: copy.getBucket(name), objects: copy.listObjects(name, { limit: 10_000 }).map((e) => [e.key, copy.getObject(name, e.key)]),
        uploads: name === 'logs' ? [{ record: { bucket: 'logs', key: 'mp', uploadId: 'u1', initiatedMs: 3 }, parts: [{ partNumber: 1, etag: 'p1', sizeBytes: 3, lastModifiedMs: 4, layout: { kind: 'inline', data: Buffer.from('abc') } }] }] : [],
      })),
      rebalance: { requested: true, requestedMs: 7 },
    });
    const fromJson = new MetaStateMachine();
    fromJson.restore(Buffer.from(format2));
    expect(Buffer.from(fromJson.snapshot()).equals(Buffer.from(sm.snapshot()))).toBe(true);
  });

  it('still reads format 3 (binary with base64 inline data, before 0022)', () => {
    const sm = populated();
    const names = ['photos', 'logs'];
    const old = format3(
      { clusterId: 'cluster-1', members: sm.members(), rebalance: { requested: true, requestedMs: 7 }, bucketCount: 2 },
      names.map((name) => {
        const objects = sm.listObjects(name, { limit: 10_000 }).map((e): [string, ObjectManifest] => [e.key, sm.getObject(name, e.key)!]);
        const uploads = name === 'logs' ? [{ record: { bucket: 'logs', key: 'mp', uploadId: 'u1', initiatedMs: 3 }, parts: sm.listParts('logs', 'mp', 'u1', { limit: 10 })!.parts }] : [];
        return { meta: { record: sm.getBucket(name), uploads, objectCount: objects.length }, objects };
      }),
    );
    const copy = new MetaStateMachine();
    copy.restore(old);
    expect(Buffer.from(copy.snapshot()).equals(Buffer.from(sm.snapshot()))).toBe(true);
    expect(inlineText(copy.getObject('photos', 'k/0042')?.layout)).toBe(`42${BIG}`);
    expect(inlineText(copy.listParts('logs', 'mp', 'u1', { limit: 10 })?.parts[0]?.layout)).toBe('abc');
  });

  it('refuses a truncated or padded format 4 snapshot as Corruption', () => {
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
