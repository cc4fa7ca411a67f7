import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../platform/random.js';
import type { Entry } from '../raft/types.js';
import { SimClock } from './sim-clock.js';
import { SimDisk, decodeRecord, encodeRecord } from './sim-disk.js';

const entry = (index: number, term = 1): Entry => ({ index, term, type: 'normal', data: new Uint8Array([index, term]) });
const indexes = (es: Entry[]) => es.map((e) => `${e.index}/${e.term}`);

function setup(seed = 1) {
  const clock = new SimClock();
  const disk = new SimDisk({ clock, random: new SeededRandom(seed), minFsyncMs: 2, maxFsyncMs: 5 });
  return { clock, disk };
}

describe('SimDisk', () => {
  it('resolves a synced save only after the simulated fsync, and keeps it across a power loss', async () => {
    const { clock, disk } = setup();
    const store = disk.open(1);
    expect(await store.load()).toEqual({ hardState: { term: 0, vote: 0, commit: 0 }, entries: [] });
    let done = false;
    void store.save({ hardState: { term: 1, vote: 1, commit: 0 }, entries: [entry(1), entry(2)] }, true).then(() => {
      done = true;
    });
    await clock.runFor(1);
    expect(done).toBe(false);
    await clock.runFor(4);
    expect(done).toBe(true);
    disk.crash(1, { loseUnsynced: true, tornTail: false });
    const after = await disk.open(1).load();
    expect(after.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
    expect(indexes(after.entries)).toEqual(['1/1', '2/1']);
  });

  it('loses unsynced writes on power loss, keeps them on a process kill, and a crash mid-fsync never resolves', async () => {
    const { clock, disk } = setup();
    const a = disk.open(1);
    await a.load();
    void a.save({ entries: [entry(1)] }, true);
    await clock.runFor(10);
    void a.save({ entries: [entry(2)] }, false);
    let resolved = false;
    void a.save({ entries: [entry(3)] }, true).then(() => (resolved = true));
    disk.crash(1, { loseUnsynced: false, tornTail: false });
    await clock.runFor(10);
    expect(resolved).toBe(false);
    const b = disk.open(1);
    expect(indexes((await b.load()).entries)).toEqual(['1/1', '2/1', '3/1']);
    // Power loss: the surviving unsynced writes form a prefix; over many seeds both extremes appear.
    const survivors = new Set<number>();
    for (let seed = 1; seed <= 30; seed++) {
      const { disk: d } = setup(seed);
      const s = d.open(1);
      await s.load();
      void s.save({ entries: [entry(1)] }, false);
      void s.save({ entries: [entry(2)] }, false);
      d.crash(1, { loseUnsynced: true, tornTail: false });
      const got = indexes((await d.open(1).load()).entries);
      expect(['', '1/1', '1/1,2/1']).toContain(got.join(','));
      survivors.add(got.length);
    }
    expect([...survivors].sort()).toEqual([0, 1, 2]);
  });

  it('detects and drops a torn tail, then accepts writes again', async () => {
    const { clock, disk } = setup();
    const s = disk.open(1);
    await s.load();
    void s.save({ entries: [entry(1), entry(2)] }, true);
    await clock.runFor(10);
    void s.save({ entries: [entry(3)] }, false);
    disk.crash(1, { loseUnsynced: true, tornTail: true });
    const s2 = disk.open(1);
    const loaded = await s2.load();
    // Whatever prefix of the unsynced write survived, the torn record after it is gone.
    expect(['1/1,2/1', '1/1,2/1,3/1']).toContain(indexes(loaded.entries).join(','));
    expect(disk.tornRecordsDropped).toBe(1);
    const next = loaded.entries.length + 1;
    void s2.save({ entries: [entry(next, 2)] }, true);
    await clock.runFor(10);
    disk.crash(1, { loseUnsynced: true, tornTail: false });
    expect(indexes((await disk.open(1).load()).entries)).toEqual([...indexes(loaded.entries), `${next}/2`]);
  });

  it('record checksums catch truncation and bit flips', () => {
    const bytes = encodeRecord({ kind: 'save', batch: { entries: [entry(5, 3)], hardState: { term: 3, vote: 2, commit: 4 } } });
    expect(decodeRecord(bytes)).toMatchObject({ kind: 'save', batch: { hardState: { term: 3 } } });
    expect(decodeRecord(bytes.subarray(0, bytes.length - 1))).toBeUndefined();
    const flipped = new Uint8Array(bytes);
    flipped[bytes.length - 2] ^= 1;
    expect(decodeRecord(flipped)).toBeUndefined();
  });

  it('overwrites conflicting entries, installs snapshots and compacts', async () => {
    const { clock, disk } = setup();
    const s = disk.open(1);
    await s.load();
    void s.save({ entries: [entry(1), entry(2), entry(3), entry(4)] }, false);
    void s.save({ entries: [entry(3, 2)] }, false);
    const snap = { metadata: { index: 2, term: 1, conf: { voters: [1], learners: [] } }, data: new Uint8Array([9]) };
    void s.save({ entries: [], snapshot: snap }, false);
    void s.compact(2);
    void s.save({ entries: [] }, true);
    await clock.runFor(10);
    disk.crash(1, { loseUnsynced: true, tornTail: false });
    const loaded = await disk.open(1).load();
    expect(loaded.snapshot?.metadata.index).toBe(2);
    expect(indexes(loaded.entries)).toEqual(['3/2']);
    // A snapshot the log does not match replaces the whole log.
    const s2 = disk.open(1);
    await s2.load();
    const snap2 = { metadata: { index: 5, term: 4, conf: { voters: [1], learners: [] } }, data: new Uint8Array([8]) };
    void s2.save({ entries: [], snapshot: snap2 }, true);
    await clock.runFor(10);
    expect(disk.durableState(1).entries).toEqual([]);
  });

  it('refuses a gap in the log as a broken invariant', async () => {
    const { disk } = setup();
    const s = disk.open(1);
    await s.load();
    await expect(s.save({ entries: [entry(1)] }, false)).resolves.toBeUndefined();
    disk.crash(1, { loseUnsynced: false, tornTail: false });
    const s2 = disk.open(1);
    await s2.load();
    void s2.save({ entries: [entry(3)] }, false);
    expect(() => disk.crash(1, { loseUnsynced: false, tornTail: false })).not.toThrow();
    expect(() => disk.durableState(1)).toThrow(/log gap/);
  });
});
