import { describe, expect, it } from 'vitest';
import { isStrataError, type StrataError } from '../platform/errors.js';
import { bodyOf, objectServiceHarness, pattern } from './object-service.testkit.js';

const T = 1024; // inline threshold in the harness

async function rejection(promise: Promise<unknown>): Promise<StrataError> {
  try {
    await promise;
  } catch (error) {
    if (isStrataError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

/** The harness with its metadata reads counted. */
async function countingHarness() {
  const h = await objectServiceHarness();
  let reads = 0;
  const read = h.metadata.read.bind(h.metadata);
  h.metadata.read = (query) => {
    reads++;
    return read(query);
  };
  return { ...h, reads: () => reads };
}

describe('PUT of a body declared small enough to go inline', () => {
  it('commits with one Raft command and no metadata read first', async () => {
    const h = await countingHarness();
    const put = await h.service.putObject({ bucket: 'b', key: 'k', body: bodyOf(pattern(T)), sizeBytes: T });
    expect(put.sizeBytes).toBe(T);
    expect(h.reads()).toBe(0);
    expect(h.metadata.commands.at(-1)).toMatchObject({ op: 'putObject', key: 'k', manifest: { layout: { kind: 'inline' } } });
  });

  it('still refuses a missing bucket and false preconditions, in the state machine', async () => {
    const h = await countingHarness();
    const small = (key: string, extra: object = {}) => h.service.putObject({ bucket: 'b', key, body: bodyOf(pattern(10)), sizeBytes: 10, ...extra });
    const missing = await rejection(h.service.putObject({ bucket: 'nope', key: 'k', body: bodyOf(pattern(10)), sizeBytes: 10 }));
    expect(missing.code).toBe('NotFound');
    expect(missing.details.resource).toBe('bucket');
    const first = await small('k', { ifNoneMatch: '*' });
    expect((await rejection(small('k', { ifNoneMatch: '*' }))).details.reason).toBe('PreconditionFailed');
    expect((await rejection(small('k', { ifMatch: '"0123"' }))).details.reason).toBe('PreconditionFailed');
    expect((await rejection(small('absent', { ifMatch: first.etag }))).details.resource).toBe('object');
    await small('k', { ifMatch: `"${first.etag}"` });
    expect(h.reads()).toBe(0);
  });

  it('keeps the early read for bodies that may need chunks', async () => {
    const h = await countingHarness();
    const missing = await rejection(h.service.putObject({ bucket: 'nope', key: 'k', body: bodyOf(pattern(4 * T)), sizeBytes: 4 * T }));
    expect(missing.code).toBe('NotFound');
    await h.service.putObject({ bucket: 'b', key: 'unknown-length', body: bodyOf(pattern(10)) });
    expect(h.reads()).toBe(2);
  });
});
