import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AssertionFailure } from '../../platform/assert.js';
import { isStrataError } from '../../platform/errors.js';
import type { PersistedLog } from '../../ports/log-store.js';
import type { Entry, Snapshot } from '../../raft/types.js';
import { Level } from 'level';
import { LevelLogStore, resolveLevelLogStoreOptions } from './level-log-store.js';

/** Counts raw LevelDB keys by their first byte (0x03 old and 0x04 snapshot chunks, 0x10 entries), store closed. */
async function rawKeyCount(dir: string, prefix: number): Promise<number> {
  const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  const keys = await db.keys({ gte: Buffer.from([prefix]), lt: Buffer.from([prefix + 1]) }).all();
  await db.close();
  return keys.length;
}

function entry(index: number, term: number, text = `cmd-${index}`): Entry {
  return { index, term, type: 'normal', data: new Uint8Array(Buffer.from(text)) };
}

function snapshot(index: number, term: number, bytes: number, seed = 1): Snapshot {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 31 + seed) & 0xff;
  return { metadata: { index, term, conf: { voters: [1, 2, 3], learners: [4] } }, data };
}

/** Entries as [index, term, text] so failures read well. */
function view(log: PersistedLog): Array<[number, number, string]> {
  return log.entries.map((e) => [e.index, e.term, Buffer.from(e.data).toString()]);
}

describe('LevelLogStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-log-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function reopen(options: { syncWrites?: boolean } = {}): Promise<{ store: LevelLogStore; log: PersistedLog }> {
    const store = await LevelLogStore.open({ dir, ...options });
    return { store, log: await store.load() };
  }

  it('starts empty', async () => {
    const { store, log } = await reopen();
    expect(log).toEqual({ hardState: { term: 0, vote: 0, commit: 0 }, entries: [] });
    await store.close();
  });

  it('round-trips hard state, entries and a snapshot across close and reopen', async () => {
    const { store } = await reopen();
    await store.save({ hardState: { term: 2, vote: 1, commit: 0 }, entries: [entry(1, 1), entry(2, 2)] }, true);
    await store.save(
      { hardState: { term: 2, vote: 1, commit: 2 }, entries: [{ index: 3, term: 2, type: 'conf', data: new Uint8Array([9]) }] },
      true,
    );
    await store.close();

    const { store: s2, log } = await reopen();
    expect(log.hardState).toEqual({ term: 2, vote: 1, commit: 2 });
    expect(log.snapshot).toBeUndefined();
    expect(log.entries.map((e) => [e.index, e.term, e.type, [...e.data]])).toEqual([
      [1, 1, 'normal', [...Buffer.from('cmd-1')]],
      [2, 2, 'normal', [...Buffer.from('cmd-2')]],
      [3, 2, 'conf', [9]],
    ]);
    // A locally taken snapshot at 2 keeps entry 3; compact drops 1 and 2.
    const snap = snapshot(2, 2, 3 * 1024 * 1024 + 17);
    await s2.save({ snapshot: snap, entries: [entry(4, 2)] }, true);
    await s2.compact(2);
    await s2.close();

    const { store: s3, log: again } = await reopen();
    expect(again.snapshot?.metadata).toEqual(snap.metadata);
    expect(Buffer.from(again.snapshot!.data).equals(Buffer.from(snap.data))).toBe(true);
    expect(view(again)).toEqual([[3, 2, '\t'], [4, 2, 'cmd-4']]);
    await s3.close();
  });

  it('replaces an entry at a stored index and drops every later one, atomically with the batch', async () => {
    const { store } = await reopen();
    await store.save({ entries: [1, 2, 3, 4, 5].map((i) => entry(i, 1)) }, true);
    await store.save({ hardState: { term: 3, vote: 2, commit: 2 }, entries: [entry(3, 3, 'new-3')] }, true);
    await store.close();
    const { store: s2, log } = await reopen();
    expect(view(log)).toEqual([[1, 1, 'cmd-1'], [2, 1, 'cmd-2'], [3, 3, 'new-3']]);
    expect(log.hardState.term).toBe(3);
    // Appending after the truncation continues the log at 4.
    await s2.save({ entries: [entry(4, 3, 'new-4')] }, true);
    await s2.close();
    const { store: s3, log: again } = await reopen();
    expect(view(again).map(([i, , t]) => `${i}:${t}`)).toEqual(['1:cmd-1', '2:cmd-2', '3:new-3', '4:new-4']);
    await s3.close();
  });

  it('a snapshot that does not match the log replaces it; a smaller snapshot drops the old chunks', async () => {
    const { store } = await reopen();
    await store.save({ entries: [1, 2, 3, 4, 5, 6].map((i) => entry(i, 1)) }, true);
    await store.save({ snapshot: snapshot(3, 1, 2 * 1024 * 1024 + 5, 1), entries: [] }, true);
    // Received from a leader: index 10 term 4 is not in our log, so every entry goes.
    const received = snapshot(10, 4, 100, 2);
    await store.save({ hardState: { term: 4, vote: 0, commit: 10 }, snapshot: received, entries: [entry(11, 4)] }, true);
    await store.close();
    expect(await rawKeyCount(dir, 0x04)).toBe(1);
    expect(await rawKeyCount(dir, 0x10)).toBe(1);
    const { store: s2, log } = await reopen();
    expect(log.snapshot?.metadata.index).toBe(10);
    expect([...log.snapshot!.data]).toEqual([...received.data]);
    expect(view(log)).toEqual([[11, 4, 'cmd-11']]);
    expect(log.hardState.commit).toBe(10);
    await s2.close();
  });

  it('compacts in slices while saves continue, and reloads the rest', async () => {
    const { store } = await reopen({ syncWrites: false });
    const n = 10_000;
    const batch: Entry[] = [];
    for (let i = 1; i <= n; i++) batch.push(entry(i, 1));
    await store.save({ entries: batch }, false);
    await store.save({ snapshot: snapshot(9_000, 1, 10), entries: [] }, true);
    const compacting = store.compact(9_000);
    const saving = store.save({ entries: [entry(n + 1, 1)] }, true);
    await Promise.all([compacting, saving]);
    expect(store.stats().groups).toBeGreaterThanOrEqual(5); // 3 saves + 3 compaction slices
    await store.close();
    expect(await rawKeyCount(dir, 0x10)).toBe(n + 1 - 9_000);
    const { store: s2, log } = await reopen();
    expect(log.entries.length).toBe(n + 1 - 9_000);
    expect(log.entries[0]!.index).toBe(9_001);
    expect(log.entries.at(-1)!.index).toBe(n + 1);
    await s2.close();
  });

  it('with syncWrites=false never fsyncs, yet a clean close keeps the data', async () => {
    const { store } = await reopen({ syncWrites: false });
    await Promise.all([1, 2, 3].map((i) => store.save({ entries: [entry(i, 1)] }, true)));
    const stats = store.stats();
    expect(stats.writes).toBeGreaterThan(0);
    expect(stats.syncedWrites).toBe(0);
    await store.close();
    const { store: s2, log } = await reopen();
    expect(log.entries.map((e) => e.index)).toEqual([1, 2, 3]);
    await s2.save({ entries: [entry(4, 1)] }, true);
    expect(s2.stats().syncedWrites).toBe(1);
    await s2.close();
  });

  it('guards its contract: load first, no gaps, no compaction beyond the snapshot, closed is Stopped', async () => {
    const store = await LevelLogStore.open({ dir });
    expect(() => store.save({ entries: [entry(1, 1)] }, true)).toThrow(AssertionFailure);
    await store.load();
    expect(() => store.save({ entries: [entry(3, 1)] }, true)).toThrow(/gap/);
    await expect(store.compact(1)).rejects.toThrow(AssertionFailure);
    await store.close();
    await expect(store.save({ entries: [entry(1, 1)] }, true)).rejects.toSatisfy((e) => isStrataError(e, 'Stopped'));
  });

  it('resolves options with the documented defaults', () => {
    const r = resolveLevelLogStoreOptions({ dir });
    expect([r.dir, r.syncWrites, r.cacheSizeBytes]).toEqual([dir, true, 8 * 1024 * 1024]);
    expect(() => resolveLevelLogStoreOptions({ dir, cacheSizeBytes: 0 })).toThrow(/cacheSizeBytes/);
  });
});
