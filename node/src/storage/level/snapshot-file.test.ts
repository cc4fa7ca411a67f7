import { mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PersistedLog } from '../../ports/log-store.js';
import type { Entry, Snapshot } from '../../raft/types.js';
import { LevelLogStore } from './level-log-store.js';
import { indexedSnapshotChunkKey, snapshotChunkKey } from './log-format.js';
import { snapshotFileName } from './snapshot-file.js';

const MiB = 1024 * 1024;

function entry(index: number, term: number): Entry {
  return { index, term, type: 'normal', data: new Uint8Array(Buffer.from(`cmd-${index}`)) };
}

/** Saves a snapshot held in memory, handed over in uneven slices like a state machine's pages. */
function saveSnapshot(store: LevelLogStore, snap: Snapshot): Promise<void> {
  return store.saveSnapshot(snap.metadata, async (out) => {
    for (let at = 0; at < snap.data.byteLength; at += 777_777) await out(snap.data.subarray(at, at + 777_777));
    return snap.data.byteLength;
  });
}

function snapshot(index: number, term: number, bytes: number): Snapshot {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 7 + index) & 0xff;
  return { metadata: { index, term, conf: { voters: [1, 2, 3], learners: [] } }, data };
}

describe('LevelLogStore.saveSnapshot (local snapshots, in files)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-snapfile-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function reopen(): Promise<{ store: LevelLogStore; log: PersistedLog }> {
    const store = await LevelLogStore.open({ dir });
    return { store, log: await store.load() };
  }

  async function withDb<T>(fn: (db: Level<Buffer, Buffer>) => Promise<T>): Promise<T> {
    const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }

  const keyCount = (prefix: number) => withDb(async (db) => (await db.keys({ gte: Buffer.from([prefix]), lt: Buffer.from([prefix + 1]) }).all()).length);
  const snapshotFiles = async () => (await readdir(dir)).filter((name) => name.startsWith('snapshot-')).sort();

  async function withTwentyEntries(): Promise<LevelLogStore> {
    const { store } = await reopen();
    await store.save({ entries: Array.from({ length: 20 }, (_, i) => entry(i + 1, 1)) }, true);
    return store;
  }

  it('lets saves made while its file is written finish first, and keeps the entries after it', async () => {
    const store = await withTwentyEntries();
    const order: string[] = [];
    const big = snapshot(10, 1, 32 * MiB + 3);
    const saving = saveSnapshot(store, big).then(() => order.push('snapshot'));
    const appended = store.save({ entries: [entry(21, 1)] }, true).then(() => order.push('entry 21'));
    await Promise.all([saving, appended]);
    expect(order).toEqual(['entry 21', 'snapshot']);
    await store.close();

    expect(await snapshotFiles()).toEqual([snapshotFileName(10)]);
    expect(await keyCount(0x04)).toBe(0);
    const { store: again, log } = await reopen();
    expect(log.snapshot?.metadata).toEqual(big.metadata);
    expect(Buffer.from(log.snapshot!.data).equals(Buffer.from(big.data))).toBe(true);
    expect(log.entries.map((e) => e.index)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
    await again.close();
  });

  it('replaces the previous snapshot and deletes its file', async () => {
    const store = await withTwentyEntries();
    await saveSnapshot(store, snapshot(5, 1, 3 * MiB));
    await saveSnapshot(store, snapshot(12, 1, MiB + 1));
    await store.close();
    expect(await snapshotFiles()).toEqual([snapshotFileName(12)]);
    const { store: again, log } = await reopen();
    expect(log.snapshot?.metadata.index).toBe(12);
    expect(log.entries[0]!.index).toBe(13);
    await again.close();
  });

  it('a writer that fails midway (the node stopping) leaves the previous snapshot current and no file behind', async () => {
    const store = await withTwentyEntries();
    await saveSnapshot(store, snapshot(5, 1, 100));
    const failing = store.saveSnapshot({ index: 12, term: 1, conf: { voters: [1, 2, 3], learners: [] } }, async (out) => {
      await out(new Uint8Array(MiB));
      throw new Error('node stopping');
    });
    await expect(failing).rejects.toThrow('node stopping');
    expect(await snapshotFiles()).toEqual([snapshotFileName(5)]);
    await store.close();
    const { store: again, log } = await reopen();
    expect(log.snapshot?.metadata.index).toBe(5);
    expect(Buffer.from(log.snapshot!.data).equals(Buffer.from(snapshot(5, 1, 100).data))).toBe(true);
    await again.close();
  });

  it('after a crash while a file was written, the previous snapshot is current and the stray files go', async () => {
    const store = await withTwentyEntries();
    await saveSnapshot(store, snapshot(5, 1, 100));
    await store.close();
    // What a crash leaves: a finished file whose metadata record was never written, and a half-written one.
    await writeFile(join(dir, snapshotFileName(15)), Buffer.alloc(10));
    await writeFile(join(dir, `${snapshotFileName(16)}.tmp`), Buffer.alloc(10));

    const { store: again, log } = await reopen();
    expect(log.snapshot?.metadata.index).toBe(5);
    expect(log.entries[0]!.index).toBe(6);
    await again.close();
    expect(await snapshotFiles()).toEqual([snapshotFileName(5)]);
  });

  it('refuses to start on a missing or damaged snapshot file, naming it', async () => {
    const store = await withTwentyEntries();
    await saveSnapshot(store, snapshot(5, 1, 1000));
    await store.close();
    const loadError = async (): Promise<string> => {
      const s = await LevelLogStore.open({ dir });
      try {
        await s.load();
        return 'loaded';
      } catch (err) {
        return (err as Error).message;
      } finally {
        await s.close();
      }
    };
    await truncate(join(dir, snapshotFileName(5)), 999);
    expect(await loadError()).toMatch(/snapshot 5 \(file snapshot-0+5\.snap\): 999 bytes found, 1000 recorded/);
    await writeFile(join(dir, snapshotFileName(5)), Buffer.alloc(1000));
    expect(await loadError()).toMatch(/snapshot 5 \(file snapshot-0+5\.snap\): checksum mismatch/);
    await rm(join(dir, snapshotFileName(5)));
    expect(await loadError()).toMatch(/snapshot 5 \(file snapshot-0+5\.snap\): missing/);
  });

  it('reads a snapshot stored under the old chunk keys, and deletes those with the next snapshot', async () => {
    const store = await withTwentyEntries();
    const old = snapshot(5, 1, 2 * MiB + 9);
    // A snapshot received from a leader is stored in chunks; move them to the keys older versions wrote.
    await store.save({ snapshot: old, entries: [] }, true);
    await store.close();
    await withDb(async (db) => {
      for (let c = 0; c < 3; c++) {
        const value = await db.get(indexedSnapshotChunkKey(5, c));
        await db.batch([{ type: 'put', key: snapshotChunkKey(c), value: value! }, { type: 'del', key: indexedSnapshotChunkKey(5, c) }]);
      }
    });

    const { store: reopened, log } = await reopen();
    expect(Buffer.from(log.snapshot!.data).equals(Buffer.from(old.data))).toBe(true);
    await saveSnapshot(reopened, snapshot(9, 1, 10));
    await reopened.close();
    expect(await keyCount(0x03)).toBe(0);
    expect(await keyCount(0x04)).toBe(0);
    const { store: again, log: after } = await reopen();
    expect(after.snapshot?.metadata.index).toBe(9);
    await again.close();
  });

  it('a snapshot received from the leader replaces a file snapshot, and the file goes', async () => {
    const store = await withTwentyEntries();
    await saveSnapshot(store, snapshot(5, 1, 100));
    await store.save({ hardState: { term: 2, vote: 0, commit: 30 }, snapshot: snapshot(30, 2, 2 * MiB), entries: [] }, true);
    await store.close();
    expect(await snapshotFiles()).toEqual([]);
    expect(await keyCount(0x04)).toBe(2);
    const { store: again, log } = await reopen();
    expect(log.snapshot?.metadata.index).toBe(30);
    await again.close();
  });

  it('is dropped when a newer snapshot from the leader was saved while its file was written', async () => {
    const store = await withTwentyEntries();
    const local = saveSnapshot(store, snapshot(10, 1, 32 * MiB));
    await store.save({ hardState: { term: 2, vote: 0, commit: 30 }, snapshot: snapshot(30, 2, 100), entries: [] }, true);
    await local;
    await store.close();
    expect(await snapshotFiles()).toEqual([]);
    const { store: again, log } = await reopen();
    expect(log.snapshot?.metadata.index).toBe(30);
    expect(log.entries).toEqual([]);
    await again.close();
  });

  it('readSnapshot reads back the current snapshot, from its file or from the leader\'s chunks, and refuses a damaged file', async () => {
    const store = await withTwentyEntries();
    expect(await store.readSnapshot()).toBeUndefined();
    const local = snapshot(10, 1, 3 * MiB + 1);
    await saveSnapshot(store, local);
    // (Bytes compared with Buffer.equals: toEqual walks a 3 MiB array element by element for seconds.)
    const same = (a: Snapshot | undefined, b: Snapshot) => a !== undefined && Buffer.from(a.data).equals(b.data) && JSON.stringify(a.metadata) === JSON.stringify(b.metadata);
    expect(same(await store.readSnapshot(), local)).toBe(true);
    const received = snapshot(30, 2, 2 * MiB + 5);
    await store.save({ entries: [], snapshot: received }, true);
    expect(same(await store.readSnapshot(), received)).toBe(true);
    const next = snapshot(31, 2, 1000);
    await store.save({ entries: [entry(31, 2), entry(32, 2)] }, true);
    await saveSnapshot(store, next);
    await truncate(join(dir, snapshotFileName(31)), 999);
    await expect(store.readSnapshot()).rejects.toThrow(snapshotFileName(31));
    await store.close();
  });
});
