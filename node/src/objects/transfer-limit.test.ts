import { describe, expect, it } from 'vitest';
import { isStrataError } from '../platform/errors.js';
import { bodyOf, collect, objectServiceHarness, pattern } from './object-service.testkit.js';

const D = 4096; // stripe bytes in the harness
const T = 1024; // inline threshold in the harness

/** Whether the promise settles within a few event-loop turns. */
async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('[data] max_concurrent_transfers in the object service', () => {
  it('a GET of an erasure-coded object holds its slot until its body is read; inline objects never wait', async () => {
    const h = await objectServiceHarness({ maxConcurrentTransfers: 1 });
    const big = pattern(3 * D + 5);
    const small = pattern(T);
    await h.service.putObject({ bucket: 'b', key: 'big', body: bodyOf(big), sizeBytes: big.length });
    await h.service.putObject({ bucket: 'b', key: 'small', body: bodyOf(small), sizeBytes: small.length });

    const first = await h.service.getObject('b', 'big');
    expect(h.service.transfers.running).toBe(1);
    const second = h.service.getObject('b', 'big');
    expect(await settlesSoon(second)).toBe(false);
    // Inline reads and writes go by.
    expect((await collect((await h.service.getObject('b', 'small')).body)).equals(small)).toBe(true);
    await h.service.putObject({ bucket: 'b', key: 'small2', body: bodyOf(small), sizeBytes: small.length });
    // A big PUT waits in line too.
    const put = h.service.putObject({ bucket: 'b', key: 'big2', body: bodyOf(big), sizeBytes: big.length });
    expect(await settlesSoon(put)).toBe(false);

    expect((await collect(first.body)).equals(big)).toBe(true);
    expect((await collect((await second).body)).equals(big)).toBe(true);
    await put;
    expect((await collect((await h.service.getObject('b', 'big2')).body)).equals(big)).toBe(true);
    expect(h.service.transfers.running).toBe(0);
  });

  it('a body abandoned before its first piece gives the slot back', async () => {
    const h = await objectServiceHarness({ maxConcurrentTransfers: 1 });
    const big = pattern(2 * D);
    await h.service.putObject({ bucket: 'b', key: 'big', body: bodyOf(big), sizeBytes: big.length });
    const dropped = await h.service.getObject('b', 'big');
    await (dropped.body as AsyncIterableIterator<Uint8Array>).return!();
    expect(h.service.transfers.running).toBe(0);
    expect((await collect((await h.service.getObject('b', 'big')).body)).equals(big)).toBe(true);
  });

  it('a copy takes one slot, so it runs at a limit of 1 (its source read does not wait on its own write)', async () => {
    const h = await objectServiceHarness({ maxConcurrentTransfers: 1 });
    const big = pattern(2 * D + 99);
    await h.service.putObject({ bucket: 'b', key: 'src', body: bodyOf(big), sizeBytes: big.length });
    await h.service.copyObject({ sourceBucket: 'b', sourceKey: 'src', bucket: 'b', key: 'dst', metadataDirective: 'COPY' });
    expect((await collect((await h.service.getObject('b', 'dst')).body)).equals(big)).toBe(true);
  });

  it('a transfer that waits longer than transferWaitMs fails with a retryable Overloaded and writes nothing', async () => {
    const h = await objectServiceHarness({ maxConcurrentTransfers: 1, transferWaitMs: 50 });
    const big = pattern(2 * D);
    await h.service.putObject({ bucket: 'b', key: 'big', body: bodyOf(big), sizeBytes: big.length });
    const held = await h.service.getObject('b', 'big');
    const error = await h.service.putObject({ bucket: 'b', key: 'late', body: bodyOf(big), sizeBytes: big.length }).catch((e: unknown) => e);
    expect(isStrataError(error, 'Overloaded') && error.retryable).toBe(true);
    expect(h.metadata.meta.getObject('b', 'late')).toBeUndefined();
    expect(isStrataError(await h.service.getObject('b', 'big').catch((e: unknown) => e), 'Overloaded')).toBe(true);
    await collect(held.body);
    expect(h.service.transfers.running).toBe(0);
  });
});
