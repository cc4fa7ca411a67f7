import { describe, expect, it } from 'vitest';
import type { ErasureLayout } from '../meta/records.js';
import { chunksToRead } from './data-reader.js';
import { bodyOf, collect, objectServiceHarness, pattern } from './object-service.testkit.js';

/** A layout of k data chunks whose chunks live on `nodeIds`, in shard order. */
const on = (k: number, ...nodeIds: number[]) => ({ dataShards: k, chunks: nodeIds.map((nodeId, i) => ({ nodeId, chunkId: `c${i}` })) });

describe('chunksToRead', () => {
  it('reads the data chunks when this node holds no parity', () => {
    expect(chunksToRead(on(2, 2, 3, 4), 1)).toEqual([0, 1]);
    expect(chunksToRead(on(2, 1, 3, 4), 1)).toEqual([0, 1]);
  });

  it('reads a local parity chunk instead of a data chunk on another node', () => {
    expect(chunksToRead(on(2, 2, 3, 1), 1)).toEqual([0, 2]);
    // The local data chunk stays; the remote one is the one replaced.
    expect(chunksToRead(on(2, 3, 1, 1), 1)).toEqual([2, 1]);
    expect(chunksToRead(on(4, 2, 3, 4, 5, 1, 1), 1)).toEqual([0, 1, 5, 4]);
  });

  it('keeps the data chunks when they are all local', () => {
    expect(chunksToRead(on(2, 1, 1, 1), 1)).toEqual([0, 1]);
    expect(chunksToRead(on(1, 1), 1)).toEqual([0]);
  });
});

describe('reading with a local parity chunk', () => {
  /** An object of two stripes on 3 nodes (2+1) whose parity chunk is on node 1, the reading node. */
  async function objectWithLocalParity() {
    const harness = await objectServiceHarness({ nodes: 3, stripeDataBytes: 4096 });
    for (let i = 0; i < 50; i++) {
      const data = pattern(8192, i);
      await harness.service.putObject({ bucket: 'b', key: `k${i}`, body: bodyOf(data) });
      const layout = harness.metadata.meta.getObject('b', `k${i}`)?.layout as ErasureLayout;
      if (layout.chunks[2].nodeId === 1) return { ...harness, key: `k${i}`, data, layout };
    }
    throw new Error('no object had its parity chunk on node 1');
  }

  it('decodes from it and leaves the data chunk it stands in for unread', async () => {
    const { service, stores, key, data, layout } = await objectWithLocalParity();
    expect(layout.dataShards).toBe(2);
    const reads = () => layout.chunks.map((c) => stores.forNode(c.nodeId).blockReads);
    const before = reads();
    expect((await collect((await service.getObject('b', key)).body)).equals(data)).toBe(true);
    const after = reads();
    expect(after.map((n, i) => n - before[i])).toEqual([2, 0, 2]);
  });

  it('still reads the other data chunk when the local parity chunk fails', async () => {
    const { service, stores, key, data, layout } = await objectWithLocalParity();
    stores.forNode(layout.chunks[2].nodeId).faults.down = true;
    expect((await collect((await service.getObject('b', key)).body)).equals(data)).toBe(true);
  });
});
