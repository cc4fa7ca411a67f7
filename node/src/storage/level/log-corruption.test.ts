import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStrataError, type StrataError } from '../../platform/errors.js';
import { type Logger, silentLogger } from '../../platform/logger.js';
import type { Entry } from '../../raft/types.js';
import { LevelLogStore } from './level-log-store.js';
import { encodeEntry, entryKey, HARD_STATE_KEY, indexedSnapshotChunkKey } from './log-format.js';

function entry(index: number, term: number): Entry {
  return { index, term, type: 'normal', data: new Uint8Array(Buffer.from(`payload-${index}`)) };
}

/** A logger that remembers its warnings. */
function recordingLogger(warnings: Array<{ obj: unknown; msg?: string }>): Logger {
  const logger: Logger = {
    ...silentLogger,
    warn: (obj, msg) => void warnings.push({ obj, msg }),
    child: () => logger,
  };
  return logger;
}

describe('LevelLogStore corruption handling', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-corrupt-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Entries 1..10 (terms 1,1,2,2,...), commit as given, optionally a snapshot at 2; then closed. */
  async function seed(commit: number, withSnapshot = false): Promise<void> {
    const store = await LevelLogStore.open({ dir });
    await store.load();
    const entries = Array.from({ length: 10 }, (_, i) => entry(i + 1, 1 + Math.floor(i / 2)));
    await store.save({ hardState: { term: 5, vote: 1, commit }, entries }, true);
    if (withSnapshot) {
      const data = new Uint8Array(1024 * 1024 + 10).fill(3);
      await store.save({ snapshot: { metadata: { index: 2, term: 1, conf: { voters: [1], learners: [] } }, data }, entries: [] }, true);
    }
    await store.close();
  }

  /** Edits raw LevelDB values with a second handle while the store is closed. */
  async function tamper(edit: (db: Level<Buffer, Buffer>) => Promise<void>): Promise<void> {
    const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    await edit(db);
    await db.close();
  }

  async function flipByte(key: Buffer, at = -1): Promise<void> {
    await tamper(async (db) => {
      const value = Buffer.from((await db.get(key))!);
      value[at < 0 ? value.length + at : at]! ^= 0x5a;
      await db.put(key, value);
    });
  }

  async function loadError(): Promise<StrataError> {
    const store = await LevelLogStore.open({ dir });
    try {
      await store.load();
    } catch (err) {
      return err as StrataError;
    } finally {
      await store.close();
    }
    throw new Error('load() did not fail');
  }

  it('drops a bad record at the tail with a warning, and the next start is clean', async () => {
    await seed(5);
    await flipByte(entryKey(10));
    const warnings: Array<{ obj: unknown; msg?: string }> = [];
    const store = await LevelLogStore.open({ dir, logger: recordingLogger(warnings) });
    const log = await store.load();
    expect(log.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.obj).toMatchObject({ fromIndex: 10, toIndex: 10 });
    expect(String((warnings[0]!.obj as { reason: string }).reason)).toMatch(/entry 10 .*checksum mismatch/);
    // The log continues where the good part ended.
    await store.save({ entries: [entry(10, 6)] }, true);
    await store.close();

    const quiet: Array<{ obj: unknown; msg?: string }> = [];
    const again = await LevelLogStore.open({ dir, logger: recordingLogger(quiet) });
    const reloaded = await again.load();
    expect(reloaded.entries.map((e) => `${e.index}/${e.term}`).slice(-2)).toEqual(['9/5', '10/6']);
    expect(quiet).toHaveLength(0);
    await again.close();
  });

  it('drops a bad record followed only by bad records (several torn entries at the tail)', async () => {
    await seed(5);
    for (const i of [8, 9, 10]) await flipByte(entryKey(i), 7);
    const store = await LevelLogStore.open({ dir });
    expect((await store.load()).entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await store.close();
  });

  it('refuses to start on a bad record in the middle, naming the folder, key, index and checksums', async () => {
    await seed(5);
    await flipByte(entryKey(7));
    const err = await loadError();
    expect(isStrataError(err, 'Corruption')).toBe(true);
    expect(err.message).toContain(dir);
    expect(err.message).toContain(`entry 7 (key ${entryKey(7).toString('hex')})`);
    expect(err.message).toMatch(/expected checksum 0x[0-9a-f]{8}, found 0x[0-9a-f]{8}/);
    expect(err.message).toContain('followed by a valid entry 8');
    expect(err.details).toMatchObject({ dir, index: 7, nextValidIndex: 8 });
    // Nothing was deleted: the evidence stays for the operator.
    await tamper(async (db) => expect(await db.get(entryKey(10))).toBeDefined());
  });

  it('refuses to drop a bad tail record at or below the commit index', async () => {
    await seed(10);
    await flipByte(entryKey(10));
    const err = await loadError();
    expect(isStrataError(err, 'Corruption')).toBe(true);
    expect(err.message).toMatch(/entry 10 .*at or below the commit index 10/);
  });

  it('refuses a missing entry in the middle, a record under the wrong key, and a term going down', async () => {
    await seed(2);
    await tamper((db) => db.del(entryKey(5)));
    expect((await loadError()).message).toMatch(/entry 5 is missing \(next stored entry is 6\)/);

    await rm(dir, { recursive: true, force: true });
    await seed(2);
    await tamper((db) => db.put(entryKey(4), encodeEntry(entry(3, 2))));
    expect((await loadError()).message).toMatch(/entry key 4 .* holds entry 3/);

    await rm(dir, { recursive: true, force: true });
    await seed(2);
    await tamper((db) => db.put(entryKey(6), encodeEntry(entry(6, 1))));
    expect((await loadError()).message).toMatch(/entry 6 .* has term 1, below the term 3/);
  });

  it('refuses a bad hard state', async () => {
    await seed(5);
    await flipByte(HARD_STATE_KEY, 10);
    const err = await loadError();
    expect(isStrataError(err, 'Corruption')).toBe(true);
    expect(err.message).toContain(dir);
    expect(err.message).toMatch(/hard state \(key 01\): checksum mismatch/);
  });

  it('refuses a commit index beyond the last entry', async () => {
    await seed(5);
    await tamper(async (db) => {
      const b = db.batch();
      for (let i = 6; i <= 10; i++) b.del(entryKey(i));
      await b.write();
    });
    const store = await LevelLogStore.open({ dir });
    expect((await store.load()).entries.length).toBe(5); // commit 5 is still covered
    await store.close();
    await tamper((db) => db.del(entryKey(5)));
    expect((await loadError()).message).toMatch(/commit index 5 is beyond the last log entry 4/);
  });

  it('refuses a bad or missing snapshot chunk', async () => {
    await seed(5, true);
    await flipByte(indexedSnapshotChunkKey(2, 1), 20);
    expect((await loadError()).message).toMatch(/snapshot 2 chunk 1 \(key 04000000000000000200000001\): checksum mismatch/);

    await rm(dir, { recursive: true, force: true });
    await seed(5, true);
    await tamper((db) => db.del(indexedSnapshotChunkKey(2, 0)));
    expect((await loadError()).message).toMatch(/snapshot 2 chunk 0 .*missing/);

    await rm(dir, { recursive: true, force: true });
    await seed(5, true);
    const store = await LevelLogStore.open({ dir });
    const log = await store.load();
    expect(log.snapshot?.data.byteLength).toBe(1024 * 1024 + 10);
    expect(log.entries[0]!.index).toBe(3);
    await store.close();
  });
});
