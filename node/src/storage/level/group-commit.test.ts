import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStrataError } from '../../platform/errors.js';
import type { Entry, HardState } from '../../raft/types.js';
import { type BatchSink, GroupCommitWriter } from './group-commit.js';
import { LevelLogStore } from './level-log-store.js';

function entry(index: number, term: number, text = `e${index}`): Entry {
  return { index, term, type: 'normal', data: new Uint8Array(Buffer.from(text)) };
}

describe('group commit on LevelDB', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-gc-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('200 concurrent synced saves share a few fsynced writes and are all durable', async () => {
    const store = await LevelLogStore.open({ dir });
    await store.load();
    const saves: Promise<void>[] = [];
    for (let i = 1; i <= 200; i++) saves.push(store.save({ entries: [entry(i, 1)] }, true));
    await Promise.all(saves);
    const stats = store.stats();
    expect(stats.saves).toBe(200);
    expect(stats.writes).toBeLessThanOrEqual(10);
    expect(stats.syncedWrites).toBe(stats.writes);
    expect(stats.maxGroupsPerWrite).toBeGreaterThanOrEqual(20);
    await store.close();

    const again = await LevelLogStore.open({ dir });
    const log = await again.load();
    expect(log.entries.map((e) => e.index)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    await again.close();
  });

  it('savers that each wait for their own save still share writes', async () => {
    const store = await LevelLogStore.open({ dir });
    await store.load();
    let next = 1;
    const saver = async () => {
      for (let k = 0; k < 25; k++) await store.save({ entries: [entry(next++, 1)] }, true);
    };
    await Promise.all(Array.from({ length: 16 }, saver));
    expect(store.stats().saves).toBe(400);
    expect(store.stats().writes).toBeLessThan(100);
    await store.close();
    const again = await LevelLogStore.open({ dir });
    expect((await again.load()).entries.length).toBe(400);
    await again.close();
  });

  it('keeps the order of interleaved saves (appends, conflicts, hard states, sync and not)', async () => {
    // A small model of the log: the same overwrite rule, applied in call order.
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const model: Entry[] = [];
    let hardState: HardState = { term: 1, vote: 1, commit: 0 };
    let term = 1;
    const store = await LevelLogStore.open({ dir });
    await store.load();
    const resolved: number[] = [];
    const saves: Promise<void>[] = [];
    for (let call = 0; call < 300; call++) {
      const conflict = model.length > 3 && rand(5) === 0;
      if (conflict) term++;
      const from = conflict ? Math.max(hardState.commit + 1, model.length - rand(3)) : model.length + 1;
      const count = 1 + rand(3);
      const entries = Array.from({ length: count }, (_, k) => entry(from + k, term, `c${call}-${k}`));
      model.length = from - 1;
      model.push(...entries);
      hardState = { term, vote: 1, commit: Math.max(hardState.commit, model.length - 2 - rand(2)) };
      saves.push(store.save({ hardState, entries }, rand(2) === 0).then(() => void resolved.push(call)));
    }
    // An empty save still resolves after every earlier one.
    saves.push(store.save({ entries: [] }, true).then(() => void resolved.push(300)));
    await Promise.all(saves);
    expect(resolved).toEqual(Array.from({ length: 301 }, (_, i) => i));
    await store.close();

    const again = await LevelLogStore.open({ dir });
    const log = await again.load();
    expect(log.hardState).toEqual(hardState);
    expect(log.entries.map((e) => `${e.index}/${e.term}/${Buffer.from(e.data)}`)).toEqual(
      model.map((e) => `${e.index}/${e.term}/${Buffer.from(e.data)}`),
    );
    await again.close();
  });
});

/** A sink whose writes finish when the test says so, or fail. */
function manualSink() {
  const writes: Array<{ ops: string[]; sync: boolean; finish: (err?: Error) => void }> = [];
  const sink: BatchSink = {
    batch() {
      const ops: string[] = [];
      return {
        put: (k: Buffer) => ops.push(`put ${k.toString()}`),
        del: (k: Buffer) => ops.push(`del ${k.toString()}`),
        write: ({ sync }: { sync: boolean }) =>
          new Promise<void>((resolve, reject) => {
            writes.push({ ops, sync, finish: (err) => (err ? reject(err) : resolve()) });
          }),
        close: async () => {},
      };
    },
  };
  return { sink, writes };
}

const put = (k: string) => ({ type: 'put' as const, key: Buffer.from(k), value: Buffer.from('v') });
const tick = () => new Promise((r) => setImmediate(r));

describe('GroupCommitWriter', () => {
  it('resolves a save only after the write that carries it, and batches what queued meanwhile', async () => {
    const { sink, writes } = manualSink();
    const writer = new GroupCommitWriter({ sink, syncWrites: true, maxBatchBytes: 1 << 20, describe: 'test' });
    const done: string[] = [];
    void writer.submit([put('a')], true).then(() => done.push('a'));
    await tick();
    void writer.submit([put('b')], false).then(() => done.push('b'));
    void writer.submit([put('c')], true).then(() => done.push('c'));
    await tick();
    expect(writes.map((w) => w.ops)).toEqual([['put a']]);
    expect(done).toEqual([]);
    writes[0]!.finish();
    await tick();
    expect(done).toEqual(['a']);
    expect(writes[1]!.ops).toEqual(['put b', 'put c']);
    expect(writes[1]!.sync).toBe(true);
    writes[1]!.finish();
    await writer.idle();
    expect(done).toEqual(['a', 'b', 'c']);
    expect(writer.stats()).toMatchObject({ groups: 3, writes: 2, syncedWrites: 2, maxGroupsPerWrite: 2 });
  });

  it('caps a write by bytes, and never fsyncs when syncWrites is false', async () => {
    const { sink, writes } = manualSink();
    const writer = new GroupCommitWriter({ sink, syncWrites: false, maxBatchBytes: 5, describe: 'test' });
    const all = ['k1', 'k2', 'k3'].map((k) => writer.submit([put(k)], true));
    for (let i = 0; i < 3; i++) {
      await tick();
      writes[i]!.finish();
    }
    await Promise.all(all);
    expect(writes.map((w) => [w.ops.length, w.sync])).toEqual([[1, false], [1, false], [1, false]]);
  });

  it('after a failed write rejects everything queued and later with Internal', async () => {
    const { sink, writes } = manualSink();
    const writer = new GroupCommitWriter({ sink, syncWrites: true, maxBatchBytes: 1 << 20, describe: '/data/log' });
    const first = writer.submit([put('a')], true);
    await tick();
    const second = writer.submit([put('b')], true);
    writes[0]!.finish(new Error('disk full'));
    await expect(first).rejects.toSatisfy((e) => isStrataError(e, 'Internal') && /\/data\/log/.test(String(e)));
    await expect(second).rejects.toSatisfy((e) => isStrataError(e, 'Internal'));
    await expect(writer.submit([put('c')], false)).rejects.toSatisfy((e) => isStrataError(e, 'Internal'));
    expect(writes.length).toBe(1);
  });
});
