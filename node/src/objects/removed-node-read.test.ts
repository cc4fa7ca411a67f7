import { describe, expect, it } from 'vitest';
import type { ErasureLayout } from '../meta/records.js';
import { bodyOf, collect, objectServiceHarness, pattern } from './object-service.testkit.js';

const D = 4096; // stripe bytes in the harness

describe('StrataObjectService: a chunk on a node that left the cluster', () => {
  it('is read from parity when the directory no longer knows the node (removed with --force, not yet rebuilt)', async () => {
    const { service, metadata, stores } = await objectServiceHarness();
    const data = pattern(3 * D + 17, 11);
    await service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data) });
    const chunks = (metadata.meta.getObject('b', 'k')?.layout as ErasureLayout).chunks;
    // forNode() now throws for this node, as GrpcChunkStoreDirectory does for a node without an address.
    stores.stores.delete(chunks[0].nodeId);
    expect((await collect((await service.getObject('b', 'k')).body)).equals(data)).toBe(true);
    const ranged = await service.getObject('b', 'k', { range: { start: D - 1, end: 2 * D } });
    expect((await collect(ranged.body)).equals(data.subarray(D - 1, 2 * D + 1))).toBe(true);
  });
});
