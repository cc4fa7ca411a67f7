import { describe, expect, it } from 'vitest';
import type { ErasureLayout } from '../meta/records.js';
import { bodyOf, collect, objectServiceHarness, pattern } from '../objects/object-service.testkit.js';
import { SeededRandom } from '../platform/random.js';
import { StrataError, isStrataError } from '../platform/errors.js';
import type { ChunkBuildRequest, ChunkStoreDirectory } from '../ports/chunk-store.js';
import type { ByteThrottle } from './byte-throttle.js';
import { blockSizes, StreamingChunkBuilder } from './chunk-builder.js';
import { ChunkRelocator } from './chunk-relocator.js';

// 5 nodes, 2+1 over 4 KiB stripes: each object's columns sit on 3 of them, 2 are free.
async function setup(sizeBytes = 3 * 4096 + 1000) {
  const h = await objectServiceHarness({ nodes: 5, erasure: { dataShards: 2, parityShards: 1 } });
  const data = pattern(sizeBytes, 7);
  await h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data), sizeBytes });
  const layout = () => h.metadata.meta.getObject('b', 'k')?.layout as ErasureLayout;
  const free = h.nodeIds.filter((id) => !layout().chunks.some((c) => c.nodeId === id));
  const relocator = new ChunkRelocator({ metadata: h.metadata, chunkStores: h.stores, clock: h.clock, random: new SeededRandom(3), blockTimeoutMs: 500 });
  const readBack = async () => collect((await h.service.getObject('b', 'k')).body);
  return { ...h, data, layout, free, relocator, readBack };
}

describe('ChunkRelocator', () => {
  it.each(['copy', 'rebuild'] as const)('%s: writes a new chunk on the target, swaps the reference, the object reads back', async (mode) => {
    const s = await setup();
    const [from] = s.layout().chunks;
    const to = s.free[0];
    const result = await s.relocator.relocate({ chunkId: from.chunkId, fromNodeId: from.nodeId, toNodeId: to, mode });
    expect(result.newChunkId).not.toBe(from.chunkId);
    expect(result.bytes).toBe(blockSizes(s.layout(), s.data.byteLength).reduce((a, b) => a + b, 0));
    expect(s.layout().chunks[0]).toEqual({ nodeId: to, chunkId: result.newChunkId });
    expect(s.metadata.meta.isChunkReferenced(from.nodeId, from.chunkId)).toBe(false);
    // The source is what the GC will reclaim; take it away now to prove reads use the copy.
    await s.stores.forNode(from.nodeId).delete(from.chunkId);
    expect((await s.readBack()).equals(s.data)).toBe(true);
    // The new chunk holds exactly the old column's bytes.
    expect(s.stores.forNode(to).chunks.get(result.newChunkId)?.blocks.length).toBe(4);
  });

  it('copy falls back to rebuilding when a source block is corrupt', async () => {
    const s = await setup();
    const [, from] = s.layout().chunks;
    s.stores.forNode(from.nodeId).faults.corruptBlocks = new Set([`${from.chunkId}#2`]);
    const result = await s.relocator.relocate({ chunkId: from.chunkId, fromNodeId: from.nodeId, toNodeId: s.free[0], mode: 'copy' });
    s.stores.forNode(from.nodeId).faults.down = true;
    expect(s.layout().chunks[1].chunkId).toBe(result.newChunkId);
    expect((await s.readBack()).equals(s.data)).toBe(true);
  });

  it('rebuilds a corrupt chunk in place (same node, new id): the scrubber\'s repair', async () => {
    const s = await setup();
    const [from] = s.layout().chunks;
    s.stores.forNode(from.nodeId).faults.corruptBlocks = new Set([`${from.chunkId}#0`]);
    const result = await s.relocator.relocate({ chunkId: from.chunkId, fromNodeId: from.nodeId, toNodeId: from.nodeId, mode: 'rebuild' });
    expect(s.layout().chunks[0]).toEqual({ nodeId: from.nodeId, chunkId: result.newChunkId });
    // Another column down: the repaired one must be readable for the object to be.
    s.stores.forNode(s.layout().chunks[1].nodeId).faults.down = true;
    expect((await s.readBack()).equals(s.data)).toBe(true);
  });

  it('rebuilds from parity when the source node is gone and one data sibling fails mid-way', async () => {
    const s = await setup(20_000);
    const [from, sibling] = s.layout().chunks;
    s.stores.forNode(from.nodeId).faults.down = true;
    const result = await s.relocator.relocate({ chunkId: from.chunkId, fromNodeId: from.nodeId, toNodeId: s.free[1], mode: 'rebuild' });
    expect(result.bytes).toBeGreaterThan(0);
    s.stores.forNode(from.nodeId).faults.down = false;
    s.stores.forNode(sibling.nodeId).faults.down = true;
    expect((await s.readBack()).equals(s.data)).toBe(true);
  });

  it('fails Unavailable (unrecoverable) with fewer than k readable siblings, and leaves nothing behind', async () => {
    const s = await setup();
    const [from, a, b] = s.layout().chunks;
    s.stores.forNode(a.nodeId).faults.down = true;
    s.stores.forNode(b.nodeId).faults.down = true;
    const error = await s.relocator.relocate({ chunkId: from.chunkId, fromNodeId: from.nodeId, toNodeId: s.free[0], mode: 'rebuild' }).catch((e: unknown) => e);
    expect(isStrataError(error, 'Unavailable') && error.details.unrecoverable).toBe(true);
    expect(s.stores.forNode(s.free[0]).chunks.size).toBe(0);
    expect(s.layout().chunks[0]).toEqual(from);
  });

  it('an object deleted meanwhile: NotFound, and the copy is deleted again', async () => {
    const s = await setup();
    const [from] = s.layout().chunks;
    await s.service.deleteObject('b', 'k');
    await expect(s.relocator.relocate({ chunkId: from.chunkId, fromNodeId: from.nodeId, toNodeId: s.free[0], mode: 'copy' })).rejects.toMatchObject({ code: 'NotFound' });
    expect(s.stores.forNode(s.free[0]).chunks.size).toBe(0);
  });

  it('refuses a target that holds a sibling column before writing anything', async () => {
    const s = await setup();
    const [from, sibling] = s.layout().chunks;
    await expect(s.relocator.relocate({ chunkId: from.chunkId, fromNodeId: from.nodeId, toNodeId: sibling.nodeId, mode: 'copy' })).rejects.toMatchObject({ code: 'Conflict' });
    expect(s.stores.forNode(sibling.nodeId).chunks.size).toBe(1);
  });
});

describe('ChunkRelocator with targets that build for themselves', () => {
  /** The harness's stores plus a builder per node that records its calls (and can play an older version). */
  function delegating(s: Awaited<ReturnType<typeof setup>>, options: { unsupported?: boolean } = {}) {
    const builds: { nodeId: number; request: ChunkBuildRequest }[] = [];
    const taken: number[] = [];
    const onNode = new StreamingChunkBuilder({ chunkStores: s.stores, clock: s.clock, blockTimeoutMs: 500 });
    const chunkStores: ChunkStoreDirectory = {
      forNode: (id) => s.stores.forNode(id),
      builderFor: (nodeId) => ({
        build: async (request) => {
          if (options.unsupported) throw new StrataError('FailedPrecondition', 'older version', { details: { buildUnsupported: true } });
          builds.push({ nodeId, request });
          return onNode.buildInto(s.stores.forNode(nodeId), request);
        },
      }),
    };
    const throttle = { take: async (bytes: number) => void taken.push(bytes) } as unknown as ByteThrottle;
    const relocator = new ChunkRelocator({ metadata: s.metadata, chunkStores, clock: s.clock, random: new SeededRandom(3), throttle, blockTimeoutMs: 500 });
    return { builds, taken, relocator };
  }

  it('asks the target to build the chunk, takes the throttle for the whole chunk, and the object reads back', async () => {
    const s = await setup();
    const { builds, taken, relocator } = delegating(s);
    const [from] = s.layout().chunks;
    const result = await relocator.relocate({ chunkId: from.chunkId, fromNodeId: from.nodeId, toNodeId: s.free[0], mode: 'copy' });
    expect(builds).toHaveLength(1);
    expect(builds[0]).toMatchObject({ nodeId: s.free[0], request: { newChunkId: result.newChunkId, mode: 'copy', source: { column: 0, chunkId: from.chunkId } } });
    const chunkBytes = blockSizes(s.layout(), s.data.byteLength).reduce((a, b) => a + b, 0);
    expect(taken).toEqual([chunkBytes]);
    expect(s.layout().chunks[0]).toEqual({ nodeId: s.free[0], chunkId: result.newChunkId });
    await s.stores.forNode(from.nodeId).delete(from.chunkId);
    expect((await s.readBack()).equals(s.data)).toBe(true);
  });

  it('builds here and writes over the cluster port when the target is of an older version', async () => {
    const s = await setup();
    const { builds, relocator } = delegating(s, { unsupported: true });
    const [from] = s.layout().chunks;
    const result = await relocator.relocate({ chunkId: from.chunkId, fromNodeId: from.nodeId, toNodeId: s.free[0], mode: 'rebuild' });
    expect(builds).toHaveLength(0);
    expect(s.stores.forNode(s.free[0]).chunks.has(result.newChunkId)).toBe(true);
    s.stores.forNode(s.layout().chunks[1].nodeId).faults.down = true;
    expect((await s.readBack()).equals(s.data)).toBe(true);
  });
});

describe('blockSizes', () => {
  const layout: ErasureLayout = { kind: 'erasure', codecId: 'x', dataShards: 2, parityShards: 1, stripeDataBytes: 4096, shardBytes: 2048, chunks: [] };
  it.each([
    [4096, [2048]],
    [4097, [2048, 8]],
    [3 * 4096 + 1000, [2048, 2048, 2048, 504]],
  ])('%i data bytes -> %j', (dataBytes, sizes) => {
    expect(blockSizes(layout, dataBytes)).toEqual(sizes);
  });
});
