import { existsSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ErasureLayout } from '../meta/records.js';
import type { Clock } from '../platform/clock.js';
import { chunkPath } from '../storage/fs/chunk-paths.js';
import { FsChunkStore } from '../storage/fs/fs-chunk-store.js';
import { ChunkGarbageCollector } from './chunk-garbage-collector.js';
import type { MetadataAccess } from './metadata-access.js';
import { bodyOf, objectServiceHarness, pattern } from './object-service.testkit.js';

const HOUR = 3_600_000;

/** Wall time set by the test; timers are real (the service's timeouts need them). */
class ManualWallClock implements Clock {
  wall = 1_000_000;
  nowMs = () => performance.now();
  wallMs = () => this.wall;
  setTimeout(callback: () => void, delayMs: number) {
    const t = setTimeout(callback, delayMs);
    return { cancel: () => clearTimeout(t) };
  }
  setInterval(callback: () => void, periodMs: number) {
    const t = setInterval(callback, periodMs);
    return { cancel: () => clearInterval(t) };
  }
}

describe('ChunkGarbageCollector', () => {
  it('deletes exactly the unreferenced chunks older than the grace period, idempotently', async () => {
    const clock = new ManualWallClock();
    const h = await objectServiceHarness({ clock, minPartSizeBytes: 0 });
    const chunksOf = (key: string) => (h.metadata.meta.getObject('b', key)?.layout as ErasureLayout).chunks.map((c) => `${c.nodeId}/${c.chunkId}`);
    const put = (key: string, salt: number) => h.service.putObject({ bucket: 'b', key, body: bodyOf(pattern(3 * 4096, salt)) });

    await put('kept', 1);
    await put('overwritten', 2);
    const oldVersion = chunksOf('overwritten');
    await put('overwritten', 3);
    await put('deleted', 4);
    const deletedVersion = chunksOf('deleted');
    await h.service.deleteObject('b', 'deleted');
    const live = await h.service.createMultipartUpload({ bucket: 'b', key: 'mp' });
    await h.service.uploadPart({ bucket: 'b', key: 'mp', uploadId: live.uploadId, partNumber: 1, body: bodyOf(pattern(5000)) });
    const aborted = await h.service.createMultipartUpload({ bucket: 'b', key: 'gone' });
    await h.service.uploadPart({ bucket: 'b', key: 'gone', uploadId: aborted.uploadId, partNumber: 1, body: bodyOf(pattern(5000)) });
    const abortedChunks = h.metadata.meta.listParts('b', 'gone', aborted.uploadId, { limit: 1 })!.parts[0].layout as ErasureLayout;
    await h.service.abortMultipartUpload('b', 'gone', aborted.uploadId);
    // A PUT that crashed after committing its chunks but before its manifest: a chunk no one references.
    const crashed = await h.stores.forNode(2).create('deadbeef.0', { blockSizeBytes: 8, expectedBytes: 8 });
    await crashed.append(new Uint8Array(8));
    await crashed.commit();

    const expectedGarbage = new Set([...oldVersion, ...deletedVersion, ...abortedChunks.chunks.map((c) => `${c.nodeId}/${c.chunkId}`), '2/deadbeef.0']);
    const all = () => new Set(h.stores.all().flatMap((s) => [...s.chunks.keys()].map((id) => `${s.nodeId}/${id}`)));
    const before = all();
    for (const g of expectedGarbage) expect(before.has(g)).toBe(true);

    // A fresh orphan, younger than the grace period, written just before the pass.
    clock.wall += HOUR + 1;
    const young = await h.stores.forNode(3).create('cafe.0', { blockSizeBytes: 8, expectedBytes: 8 });
    await young.append(new Uint8Array(8));
    await young.commit();

    const gcs = h.nodeIds.map((id) => new ChunkGarbageCollector({ selfId: id, store: h.stores.forNode(id), metadata: h.metadata, clock, graceMs: HOUR, batchSize: 3 }));
    const results = await Promise.all(gcs.map((gc) => gc.runOnce()));
    expect(results.reduce((sum, r) => sum + r.deleted, 0)).toBe(expectedGarbage.size);
    const after = all();
    expect(new Set([...before].filter((c) => !after.has(c)))).toEqual(expectedGarbage);
    expect(after.has('3/cafe.0')).toBe(true);

    // Idempotent: a second pass (or a restarted collector) finds nothing more.
    const again = await Promise.all(gcs.map((gc) => gc.runOnce()));
    expect(again.reduce((sum, r) => sum + r.deleted, 0)).toBe(0);
    // Everything still referenced still reads.
    for (const key of ['kept', 'overwritten']) await h.service.getObject('b', key).then(async (r) => { for await (const _ of r.body); });
    expect(h.metadata.meta.referencedChunkCount()).toBe(after.size - 1);
    // Once the young orphan ages past the grace period it goes too.
    clock.wall += HOUR + 1;
    expect((await gcs[2].runOnce()).deleted).toBe(1);
  });

  it('never deletes a chunk a manifest references, even one older than the grace period', async () => {
    const clock = new ManualWallClock();
    const h = await objectServiceHarness({ clock });
    await h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(pattern(9000)) });
    clock.wall += 10 * HOUR;
    for (const id of h.nodeIds) {
      const result = await new ChunkGarbageCollector({ selfId: id, store: h.stores.forNode(id), metadata: h.metadata, clock }).runOnce();
      expect(result).toMatchObject({ examined: 1, candidates: 1, deleted: 0 });
    }
    // The collector asks about its own node: the same chunk id on another node is a different chunk.
    const gc = new ChunkGarbageCollector({ selfId: 99, store: h.stores.forNode(1), metadata: h.metadata, clock });
    expect((await gc.runOnce()).deleted).toBe(1);
  });

  it('deletes an unreferenced chunk file whose header is damaged (what a scrub repair leaves behind)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-gc-'));
    try {
      const store = await FsChunkStore.open({ dir, syncWrites: false, reserveBytes: 1 });
      for (const chunkId of ['rotten.0', 'kept.1']) {
        const writer = await store.create(chunkId, { blockSizeBytes: 8, expectedBytes: 8 });
        await writer.append(new Uint8Array(8));
        await writer.commit();
      }
      const file = chunkPath(dir, 'rotten.0');
      const handle = await open(file, 'r+');
      await handle.write(Buffer.from([0xff]), 0, 1, 3);
      await handle.close();
      await store.close();

      const clock = new ManualWallClock();
      clock.wall = Date.now() + 2 * HOUR;
      const metadata = { read: async <T,>(q: (meta: { isChunkReferenced: (n: number, c: string) => boolean }) => T) => q({ isChunkReferenced: (_n, c) => c === 'kept.1' }) };
      const gc = new ChunkGarbageCollector({ selfId: 1, store, metadata: metadata as unknown as MetadataAccess, clock, graceMs: HOUR });
      expect(await gc.runOnce()).toMatchObject({ examined: 2, deleted: 1, failed: 0 });
      expect(existsSync(file)).toBe(false);
      expect(existsSync(chunkPath(dir, 'kept.1'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
