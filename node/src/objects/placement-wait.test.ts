import { describe, expect, it } from 'vitest';
import type { PlacementNode } from '../placement/placement.js';
import { StrataError, isStrataError } from '../platform/errors.js';
import { bodyOf, collect, objectServiceHarness, pattern } from './object-service.testkit.js';

const D = 4096;

/** A view that still shows every node online (the usage poll has not noticed a node went down yet). */
const allOnline = async (): Promise<PlacementNode[]> => [1, 2, 3].map((id) => ({ id, state: 'active', online: true, availableBytes: 2 ** 40 }));

describe('a write waits a little for the nodes it needs (a restarting node)', () => {
  it('a node that refuses the chunk and is back within placementWaitMs costs time, not the PUT', async () => {
    const h = await objectServiceHarness({ nodes: 3, placementView: allOnline, placementWaitMs: 5_000 });
    h.stores.forNode(2).faults.down = true;
    setTimeout(() => (h.stores.forNode(2).faults.down = false), 300);
    const data = pattern(3 * D + 11);
    const started = Date.now();
    await h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data), sizeBytes: data.length });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect((await collect((await h.service.getObject('b', 'k')).body)).equals(data)).toBe(true);
    // Only the chunks of the write that went through remain; the refused attempts left nothing open.
    expect(h.stores.chunkCount()).toBe(3);
    for (const store of h.stores.all()) expect(store.open.size).toBe(0);
  });

  it('placement short of nodes is tried again until a node comes back', async () => {
    let down = true;
    const view = async (): Promise<PlacementNode[]> => [1, 2, 3].map((id) => ({ id, state: 'active', online: id !== 3 || !down, availableBytes: 2 ** 40 }));
    const h = await objectServiceHarness({ nodes: 3, placementView: view, placementWaitMs: 5_000 });
    setTimeout(() => (down = false), 300);
    const data = pattern(2 * D);
    await h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(data) });
    expect((await collect((await h.service.getObject('b', 'k')).body)).equals(data)).toBe(true);
  });

  it('a node that stays down ends in the retryable Unavailable after placementWaitMs, nothing read or left', async () => {
    const h = await objectServiceHarness({ nodes: 3, placementView: allOnline, placementWaitMs: 400 });
    h.stores.forNode(3).faults.down = true;
    let pulled = 0;
    async function* counted() {
      for await (const piece of bodyOf(pattern(3 * D))) {
        pulled++;
        yield piece;
      }
    }
    const started = Date.now();
    const error = await h.service.putObject({ bucket: 'b', key: 'k', body: counted(), sizeBytes: 3 * D }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isStrataError(error, 'Unavailable') && error.retryable).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(pulled).toBe(0);
    expect(h.stores.chunkCount()).toBe(0);
    for (const store of h.stores.all()) expect(store.open.size).toBe(0);
  });

  it('does not wait on errors that waiting cannot fix', async () => {
    const h = await objectServiceHarness({ nodes: 3, placementView: allOnline, placementWaitMs: 5_000 });
    h.stores.forNode(1).faults.full = true;
    const started = Date.now();
    const error = await h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(pattern(2 * D)), sizeBytes: 2 * D }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(StrataError);
    expect((error as StrataError).code).toBe('CapacityExceeded');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
